"""Deleting a whole school (`schoolcloud delete-school N`): every file, upload and export of it, every
row, and under encryption at rest its data key (crypto-shredding).

Order, so that a crash anywhere leaves something a second run finishes: the school must have been
deactivated first (nobody of it is logged in, and an active school is never deleted by a wrong number);
then its spaces go (rows first, then their objects, as everywhere in files/), its unfinished uploads and
data exports; then, in one transaction, the school row (the database cascades to everything else of it)
and its data key. The key goes last on purpose: it is only needed to read the school's objects, and
those are gone by then; an object that failed to delete (an orphan for fsck) or a copy in a backup can
no longer be read by anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import School
from schoolcloud.auth.models import LoginSession
from schoolcloud.files.context import FilesContext, school_scope
from schoolcloud.files.models import DataKey, Node, Space, TusUpload
from schoolcloud.files.trash import purge_subtree
from schoolcloud.files.tus import terminate_upload
from schoolcloud.privacy import audit
from schoolcloud.privacy.models import DataExport


class SchoolStillActive(Exception):
    """Only a deactivated school is deleted."""


@dataclass
class Removed:
    objects: int = 0
    spaces: int = 0
    uploads: int = 0
    exports: int = 0
    data_keys: int = 0


async def delete_school(ctx: FilesContext, school_id: int) -> Removed:
    """Remove the school and everything of it; ``LookupError`` if there is no such school."""
    school = await School.get_or_none(id=school_id)
    if school is None:
        raise LookupError(f"there is no school with id {school_id}")
    if school.active:
        raise SchoolStillActive(f"school {school_id} ({school.name}) is active: deactivate it first")
    removed = Removed()
    await LoginSession.filter(user__school_id=school_id).delete()
    for space_id in await Space.filter(school_id=school_id).values_list("id", flat=True):
        root = await Node.get_or_none(space_id=space_id, parent_id=None)
        if root is not None:
            removed.objects += await purge_subtree(ctx, root)
        await Space.filter(id=space_id).delete()
        removed.spaces += 1
    for upload in await TusUpload.filter(school_id=school_id):
        await terminate_upload(ctx, upload)
        removed.uploads += 1
    from schoolcloud.privacy.export_archive import remove

    removed.exports = await remove(ctx, DataExport.filter(Q(school_id=school_id) | Q(subject__school_id=school_id)))
    async with in_transaction() as conn:
        await School.filter(id=school_id).using_db(conn).delete()
        scope = school_scope(school_id)  # and keys retired by a rotation: "school:N/retired-M"
        removed.data_keys = await DataKey.filter(Q(scope=scope) | Q(scope__startswith=scope + "/")) \
            .using_db(conn).delete()
    await audit.record("school.deleted", target_type="school", target_id=school_id,
                       details={"objects": removed.objects, "data_key_deleted": bool(removed.data_keys)})
    return removed
