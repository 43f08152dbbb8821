"""Accounts of a school: list, create, edit, deactivate, delete, reset passwords.

Every function takes the acting user first and only ever touches rows of the actor's school. School
admins manage everyone in their school; teachers see the pupils of their own classes and may reset
their passwords; pupils and operators get nothing here (operators: services_schools).
"""

from __future__ import annotations

import uuid

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from schoolcloud.accounts import validation as v
from schoolcloud.accounts.csv_import import make_username
from schoolcloud.accounts.models import Role, School, SchoolClass, User
from schoolcloud.accounts.permissions import (
    MANAGEABLE_ROLES,
    MEMBER_ROLES,
    is_school_admin,
    require_school_admin,
    require_staff,
)
from schoolcloud.accounts.services_base import (
    Credentials,
    Page,
    current_class_name,
    new_one_time_password,
    page_bounds,
    record,
)
from schoolcloud.auth import sessions
from schoolcloud.web.errors import AppError, Forbidden, NotFound, ValidationError
from schoolcloud.web.i18n import N_

EDITABLE = ("given_name", "family_name", "birth_date", "email", "username", "role")


def parse_public_id(value) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise NotFound("user") from None


class Conflict(AppError):
    status_code = 409


async def teacher_class_ids(actor: User) -> list[int]:
    return await SchoolClass.filter(school_id=actor.school_id, members__id=actor.id).values_list("id", flat=True)


async def _teacher_pupil_ids(actor: User) -> set[int]:
    class_ids = await teacher_class_ids(actor)
    if not class_ids:
        return set()
    return set(await User.filter(school_id=actor.school_id, role=Role.PUPIL, classes__id__in=class_ids)
               .values_list("id", flat=True))


async def school_user(actor: User, user_id) -> User:
    """An account of the admin's own school; anything else is "not found" (no hint that it exists)."""
    school_id = require_school_admin(actor)
    user = await User.get_or_none(public_id=parse_public_id(user_id), school_id=school_id)
    if user is None:
        raise NotFound("user")
    return user


async def get_user(actor: User, user_id) -> User:
    """Admins: anyone in their school. Teachers: the pupils of their own classes."""
    if is_school_admin(actor):
        user = await school_user(actor, user_id)
    else:
        require_staff(actor)
        user = await User.get_or_none(public_id=parse_public_id(user_id), school_id=actor.school_id)
        if user is None or user.id not in await _teacher_pupil_ids(actor):
            raise NotFound("user")
    await user.fetch_related("classes")
    return user


async def list_users(actor: User, *, q: str = "", role: str | None = None, class_id: int | str | None = None,
                     active: bool | None = None, page=1, per_page=50) -> Page[User]:
    school_id = require_staff(actor)
    query = User.filter(school_id=school_id)
    if not is_school_admin(actor):
        query = query.filter(id__in=list(await _teacher_pupil_ids(actor)))
    if role:
        if role not in Role.ALL:
            raise ValidationError([AppError("role_invalid", N_("Please choose one of the offered values."),
                                            field="role")])
        query = query.filter(role=role)
    if class_id not in (None, ""):
        school_class = await _visible_class(actor, class_id)
        query = query.filter(classes__id=school_class.id)
    if active is not None:
        query = query.filter(active=active)
    for word in v.clean_text(q).split()[:5]:
        query = query.filter(Q(given_name__icontains=word) | Q(family_name__icontains=word)
                             | Q(username__icontains=word))
    page_no, size = page_bounds(page, per_page)
    total = await query.count()
    items = await (query.order_by("family_name", "given_name", "username").offset((page_no - 1) * size)
                   .limit(size).prefetch_related("classes"))
    return Page(items, total, page_no, size)


async def _visible_class(actor: User, class_id) -> SchoolClass:
    try:
        key = int(class_id)
    except (TypeError, ValueError):
        raise NotFound("class") from None
    school_class = await SchoolClass.get_or_none(id=key, school_id=actor.school_id)
    if school_class is None or (not is_school_admin(actor) and key not in await teacher_class_ids(actor)):
        raise NotFound("class")
    return school_class


async def unique_username(given_name: str, family_name: str, also_taken: set[str] | frozenset = frozenset()) -> str:
    """``given.family`` in ASCII, numbered if taken anywhere on the instance (usernames are global)."""
    base = make_username(given_name, family_name, set())
    taken = set(await User.filter(username__startswith=base).values_list("username", flat=True))
    return make_username(given_name, family_name, taken | set(also_taken))


async def _username_free(name: str, except_user_id: int | None = None) -> bool:
    query = User.filter(username=name)
    if except_user_id is not None:
        query = query.exclude(id=except_user_id)
    return not await query.exists()


def _username_taken() -> AppError:
    return AppError("username_taken", N_("This username is already taken."), field="username")


async def create_user(actor: User, *, role, given_name, family_name, birth_date=None, email=None,
                      username=None, class_id=None) -> tuple[User, Credentials]:
    """A new account with a one-time password, returned once and never stored in plaintext."""
    school_id = require_school_admin(actor)
    errors = v.FieldErrors()
    role = v.choice(role, MANAGEABLE_ROLES, "role", errors)
    given = v.person_name(given_name, "given_name", errors)
    family = v.person_name(family_name, "family_name", errors)
    born = v.birth_date(birth_date, errors)
    address = v.email(email, errors)
    name = v.username(username, errors)
    school_class = None
    if class_id not in (None, ""):
        try:
            school_class = await SchoolClass.get_or_none(id=int(class_id), school_id=school_id)
        except (TypeError, ValueError):
            pass
        if school_class is None:
            errors.add("class_id", "class_invalid", N_("Please choose one of the offered values."))
        elif role not in MEMBER_ROLES:
            errors.add("class_id", "class_not_for_role", N_("Only pupils and teachers can be class members."))
    if name and not errors.has("username") and not await _username_free(name):
        errors.errors.append(_username_taken())
    errors.raise_if_any()
    password, password_hash = await new_one_time_password()
    for _attempt in range(3):
        login = name or await unique_username(given, family)
        try:
            async with in_transaction():
                user = await User.create(school_id=school_id, role=role, username=login, given_name=given,
                                         family_name=family, birth_date=born, email=address,
                                         password_hash=password_hash, must_change_password=True)
                if school_class is not None:
                    await school_class.members.add(user)
            break
        except IntegrityError:
            if name:  # chosen by the admin and taken in the meantime
                raise ValidationError([_username_taken()]) from None
    else:
        raise Conflict("username_conflict", N_("Please try again."))
    await record("user.created", actor, school_id=school_id, target_type="user", target_id=user.public_id,
                 details={"role": role})
    credentials = Credentials(public_id=str(user.public_id), given_name=given, family_name=family,
                              username=user.username, password=password,
                              class_name=school_class.name if school_class and role == Role.PUPIL else None,
                              role=role)
    return user, credentials


async def _other_active_admins(user: User) -> bool:
    return await User.filter(school_id=user.school_id, role=Role.SCHOOL_ADMIN, active=True) \
        .exclude(id=user.id).exists()


async def _refuse_self_or_last_admin(actor: User, user: User) -> None:
    if user.id == actor.id:
        raise Conflict("own_account", N_("You cannot do this with your own account."))
    if user.role == Role.SCHOOL_ADMIN and user.active and not await _other_active_admins(user):
        raise Conflict("last_admin", N_("The school needs at least one active school administrator."))


async def update_user(actor: User, user_id, **changes) -> User:
    """Change the given fields (keys of EDITABLE); absent keys stay as they are."""
    user = await _changeable_user(actor, user_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError([AppError("unknown_field", N_("This field cannot be changed."), field=name)
                               for name in sorted(unknown)])
    errors = v.FieldErrors()
    new: dict = {}
    if "given_name" in changes:
        new["given_name"] = v.person_name(changes["given_name"], "given_name", errors)
    if "family_name" in changes:
        new["family_name"] = v.person_name(changes["family_name"], "family_name", errors)
    if "birth_date" in changes:
        new["birth_date"] = v.birth_date(changes["birth_date"], errors)
    if "email" in changes:
        new["email"] = v.email(changes["email"], errors)
    if "username" in changes:
        name = v.username(changes["username"], errors)
        if name is None and not errors.has("username"):
            errors.add("username", "required", N_("Please fill in this field."))
        elif name and name != user.username and not await _username_free(name, user.id):
            errors.errors.append(_username_taken())
        new["username"] = name
    if "role" in changes:
        new["role"] = v.choice(changes["role"], MANAGEABLE_ROLES, "role", errors)
        if new["role"] and new["role"] != user.role:
            if user.id == actor.id:
                errors.add("role", "own_role", N_("You cannot change your own role."))
            elif user.role == Role.SCHOOL_ADMIN and user.active and not await _other_active_admins(user):
                errors.add("role", "last_admin", N_("The school needs at least one active school administrator."))
    errors.raise_if_any()
    changed = sorted(name for name, value in new.items() if getattr(user, name) != value)
    if not changed:
        return user
    role_changed = "role" in changed
    for name in changed:
        setattr(user, name, new[name])
    try:
        async with in_transaction():
            await user.save(update_fields=[*changed, "updated_at"])
            if role_changed:
                # Memberships belong to a role (pupils attend, teachers teach): start afresh.
                await _remove_memberships(user)
    except IntegrityError:
        raise ValidationError([_username_taken()]) from None
    await record("user.updated", actor, school_id=user.school_id, target_type="user", target_id=user.public_id,
                 details={"fields": changed})
    return user


async def _remove_memberships(user: User) -> None:
    await user.fetch_related("classes", "taught_courses", "attended_courses")
    for school_class in list(user.classes):
        await school_class.members.remove(user)
    for course in list(user.taught_courses):
        await course.teachers.remove(user)
    for course in list(user.attended_courses):
        await course.pupils.remove(user)


async def deactivate_user(actor: User, user_id) -> User:
    """The account can no longer log in; its sessions end now. Data stays (see delete_user)."""
    user = await _changeable_user(actor, user_id)
    await _refuse_self_or_last_admin(actor, user)
    if user.active:
        user.active = False
        await user.save(update_fields=["active", "updated_at"])
        await sessions.end_all_for(user.id)
        await record("user.deactivated", actor, school_id=user.school_id, target_type="user",
                     target_id=user.public_id)
    return user


async def reactivate_user(actor: User, user_id) -> User:
    user = await _changeable_user(actor, user_id)
    if not user.active:
        user.active = True
        # Back at school: no longer a leaver whom the retention rule would delete.
        user.left_at = None
        await user.save(update_fields=["active", "left_at", "updated_at"])
        await record("user.reactivated", actor, school_id=user.school_id, target_type="user",
                     target_id=user.public_id)
    return user


async def _refuse_frozen(user: User) -> None:
    """A frozen account (restriction of processing, privacy/services_restriction.py) is not changed."""
    from schoolcloud.privacy.services_restriction import require_not_frozen

    await require_not_frozen(user)


async def _changeable_user(actor: User, user_id) -> User:
    user = await school_user(actor, user_id)
    await _refuse_frozen(user)
    return user


async def delete_user(actor: User, user_id, files=None) -> None:
    """Remove an account for good (GDPR erasure): its personal space with every file and object, its
    uploads, the shares and links it made (privacy/services_erasure.py), then sessions, memberships and
    the row (consents and IdP grants cascade). ``files`` is the FilesContext (the store); without one it
    is opened from the settings.

    The one place accounts are deleted. A second request for the same account answers 410.
    """
    user = await delete_check(actor, user_id)
    await erase_account(user, actor=actor, files=files)


async def erase_account(user: User, *, actor: User | None, files=None, reason: str = "") -> None:
    """The erasure itself, after the permission checks: by delete_user, or by the school's retention rule
    for leavers (``actor`` None, ``reason`` "retention")."""
    from schoolcloud.privacy import services_erasure as erasure

    public_id, school_id, role = user.public_id, user.school_id, user.role
    async with erasure.claim(user):
        if not await User.filter(id=user.id).exists():  # a concurrent request finished first
            await erasure.refuse_if_erased(school_id, public_id)
            raise NotFound("user")
        if files is None:
            from schoolcloud.config import load_settings
            from schoolcloud.files.context import open_context

            async with open_context(load_settings()) as files:
                erased = await erasure.erase_data(files, user)
        else:
            erased = await erasure.erase_data(files, user)
        async with in_transaction():
            await sessions.end_all_for(user.id)
            await _remove_memberships(user)
            await user.delete()
            await record("user.deleted", actor, school_id=school_id, target_type="user", target_id=public_id,
                         details={"role": role, **erased.as_dict(), **({"reason": reason} if reason else {})})


async def may_reset_password(actor: User, user: User) -> bool:
    if user.school_id is None or user.school_id != actor.school_id or not actor.active:
        return False
    if is_school_admin(actor):
        return True
    if actor.role == Role.TEACHER and user.role == Role.PUPIL:
        class_ids = await teacher_class_ids(actor)
        return bool(class_ids) and await SchoolClass.filter(id__in=class_ids, members__id=user.id).exists()
    return False


async def reset_password(actor: User, user_id) -> Credentials:
    """A new one-time password (returned once), to be changed at the next login; sessions end now.

    School admins: anyone in their school. Teachers: pupils of the classes they are members of.
    """
    if actor.role not in (Role.SCHOOL_ADMIN, Role.TEACHER):
        raise Forbidden()
    user = await User.get_or_none(public_id=parse_public_id(user_id))
    if user is None:
        raise NotFound("user")
    if not await may_reset_password(actor, user):
        raise Forbidden()
    if user.id == actor.id:
        raise Conflict("own_account", N_("You cannot do this with your own account."))
    await _refuse_frozen(user)
    if user.external_issuer:
        raise Conflict("external_account",
                       N_("This account logs in through another login service; reset the password there."))
    password, password_hash = await new_one_time_password()
    user.password_hash = password_hash
    user.must_change_password = True
    async with in_transaction():
        await user.save(update_fields=["password_hash", "must_change_password", "updated_at"])
        await sessions.end_all_for(user.id)
    await record("password.reset", actor, school_id=user.school_id, target_type="user", target_id=user.public_id,
                 details={"by_role": actor.role})
    return Credentials(public_id=str(user.public_id), given_name=user.given_name, family_name=user.family_name,
                       username=user.username, password=password,
                       class_name=await current_class_name(user) if user.role == Role.PUPIL else None,
                       role=user.role)


async def school_of(actor: User) -> School:
    if actor.school_id is None:
        raise Forbidden()
    return await School.get(id=actor.school_id)


async def delete_check(actor: User, user_id) -> User:
    """The account a confirmation page asks about, refusing early what delete_user would refuse; an
    account deleted before answers 410."""
    from schoolcloud.privacy.services_erasure import refuse_if_erased

    try:
        user = await school_user(actor, user_id)
    except NotFound:
        await refuse_if_erased(actor.school_id if is_school_admin(actor) else None, user_id)
        raise
    await _refuse_self_or_last_admin(actor, user)
    await _refuse_frozen(user)
    return user
