"""Erasure (Art. 17 GDPR): what deleting an account removes besides the account row.

``accounts.services_users.delete_user`` stays the one place accounts are deleted and calls ``erase_data``
first: the personal space with every file, version and trash entry (rows first, then the objects, as
everywhere in files/) except a teacher's task material and given feedback, which move to the course's
task records for its pupils (tasks/records.py); the person's unfinished uploads (their part objects),
the shares and public links they made. Sessions, memberships, consents, IdP grants and the row follow in
delete_user. In content that stays (files they put into class, course and team spaces, hand-ins,
feedback, kept task material, lessons), the foreign keys to the person are set to NULL, so their name
disappears there; where such content shows its author (lessons, library entries, tasks, plan versions
and status steps), a pseudonym ("Former member
3f2a", pseudonyms.py) takes the name's place. The login throttle's counters keyed by the login name
(its keyed hash) go too. The audit trail knows the person only by their public id; ``user.deleted`` also carries the
pseudonym. One erasure per account runs at a time.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta

from schoolcloud.accounts.models import User
from schoolcloud.courses.models import LibraryEntry, Lesson
from schoolcloud.files.context import FilesContext
from schoolcloud.files.models import Node, Space, SpaceKind, TusUpload
from schoolcloud.files.sharing_models import PublicLink, Share
from schoolcloud.files.trash import purge_subtree
from schoolcloud.files.tus import terminate_upload
from schoolcloud.idp.throttle import forget_account
from schoolcloud.planning.models import PlanRevision, PlanStatusChange
from schoolcloud.privacy import locks, pseudonyms
from schoolcloud.privacy.models import AuditEvent
from schoolcloud.tasks import records as task_records
from schoolcloud.tasks.models import Task
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_

LEASE = timedelta(hours=1)
# Content others keep that names its author: (model, foreign key to the user). Each model has a
# ``<key>_pseudonym`` column that takes the pseudonym before the key is set to NULL.
AUTHORED = ((Lesson, "created_by"), (LibraryEntry, "published_by"), (PlanRevision, "author"),
            (PlanStatusChange, "actor"), (Task, "created_by"))


@dataclass
class Erased:
    objects: int = 0
    uploads: int = 0
    shares: int = 0
    links: int = 0
    # A teacher's task material and feedback folders, and feedback files given from elsewhere, kept for
    # the course (tasks/records.py).
    kept_folders: int = 0
    kept_files: int = 0
    pseudonym: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


async def refuse_if_erased(school_id: int | None, user_id) -> None:
    """A second deletion of the same account: say that it is gone, rather than a bare "not found"."""
    if school_id is not None and await AuditEvent.filter(action="user.deleted", school_id=school_id,
                                                         target_id=str(user_id).lower()).exists():
        raise AppError("already_deleted", N_("This account has already been deleted."), status=410)


@contextlib.asynccontextmanager
async def claim(user: User):
    key = f"erase:{user.id}"
    if not await locks.claim(key, LEASE):
        raise AppError("erasure_running", N_("This account is being deleted right now."), status=409)
    try:
        yield
    finally:
        await locks.release(key)


async def erase_data(ctx: FilesContext, user: User) -> Erased:
    """Remove the person's files, uploads, shares and links (the row itself goes in delete_user)."""
    result = Erased()
    for upload in await TusUpload.filter(user_id=user.id):
        await terminate_upload(ctx, upload)
        result.uploads += 1
    result.shares = await Share.filter(created_by_id=user.id).delete()
    result.links = await PublicLink.filter(created_by_id=user.id).delete()
    result.pseudonym = await pseudonymise(user)
    await forget_account(user.username)
    from schoolcloud.privacy.export_archive import remove_for_account

    result.objects += await remove_for_account(ctx, user)  # data exports about them or requested by them
    space = await Space.get_or_none(owner_id=user.id, kind=SpaceKind.PERSONAL)
    if space is not None:
        kept = await task_records.keep(user, space)
        result.kept_folders, result.kept_files = kept.folders, kept.files
        root = await Node.get_or_none(space_id=space.id, parent_id=None)
        if root is not None:
            result.objects += await purge_subtree(ctx, root)
        await Space.filter(id=space.id).delete()
    return result


async def pseudonymise(user: User) -> str:
    """Give the person's authored content its pseudonym (one tag for all of it); the name goes with the row."""
    tag = pseudonyms.new_tag()
    for model, key in AUTHORED:
        await model.filter(**{f"{key}_id": user.id}).update(**{f"{key}_pseudonym": tag})
    return tag
