"""Schools, managed by the instance's operators.

Operators create, edit, deactivate and reactivate schools and give a school its first administrator.
They see no pupils' data: only counts, and the school administrators' login names.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schoolcloud.accounts import validation as v
from schoolcloud.accounts.models import Role, School, User
from schoolcloud.accounts.permissions import require_operator
from schoolcloud.accounts.services_base import Credentials, new_one_time_password, record
from schoolcloud.accounts.services_users import Conflict, unique_username
from schoolcloud.auth.models import LoginSession
from schoolcloud.web.errors import AppError, NotFound, ValidationError
from schoolcloud.web.i18n import N_


def _number_taken() -> AppError:
    return AppError("school_number_taken", N_("Another school already has this school number."),
                    field="school_number")


async def list_schools(actor: User) -> list[School]:
    require_operator(actor)
    return await School.all().order_by("name", "id")


async def get_school(actor: User, school_id) -> School:
    require_operator(actor)
    try:
        school = await School.get_or_none(id=int(school_id))
    except (TypeError, ValueError):
        school = None
    if school is None:
        raise NotFound("school")
    return school


async def school_overview(actor: User, school: School) -> dict:
    """Counts per role and the active administrators (login names only)."""
    require_operator(actor)
    counts = {role: await User.filter(school_id=school.id, role=role).count()
              for role in (Role.PUPIL, Role.TEACHER, Role.SCHOOL_ADMIN)}
    admins = await User.filter(school_id=school.id, role=Role.SCHOOL_ADMIN).order_by("username")
    return {"counts": counts, "admins": admins, "has_active_admin": any(a.active for a in admins)}


def _school_fields(errors: v.FieldErrors, name, school_number, state) -> dict:
    return {"name": v.plain_name(name, "name", errors, v.SCHOOL_NAME_MAX),
            "school_number": v.school_number(school_number, errors),
            "state": v.state(state, errors)}


async def create_school(actor: User, *, name, school_number=None, state="") -> School:
    require_operator(actor)
    errors = v.FieldErrors()
    values = _school_fields(errors, name, school_number, state)
    errors.raise_if_any()
    if values["school_number"] and await School.filter(school_number=values["school_number"]).exists():
        raise ValidationError([_number_taken()])
    try:
        school = await School.create(**values)
    except IntegrityError:
        raise ValidationError([_number_taken()]) from None
    await record("school.created", actor, school_id=school.id, target_type="school", target_id=school.id)
    return school


async def update_school(actor: User, school_id, **changes) -> School:
    school = await get_school(actor, school_id)
    errors = v.FieldErrors()
    keys = ("name", "school_number", "state")
    for field in sorted(set(changes) - set(keys) - {"active"}):
        errors.add(field, "unknown_field", N_("This field cannot be changed."))
    current = {k: getattr(school, k) for k in keys}
    values = _school_fields(errors, **{**current, **{k: changes[k] for k in keys if k in changes}})
    errors.raise_if_any()
    changed = sorted(k for k, value in values.items() if getattr(school, k) != value)
    if "school_number" in changed and values["school_number"] and \
            await School.filter(school_number=values["school_number"]).exclude(id=school.id).exists():
        raise ValidationError([_number_taken()])
    if changed:
        for k in changed:
            setattr(school, k, values[k])
        try:
            await school.save(update_fields=changed)
        except IntegrityError:
            raise ValidationError([_number_taken()]) from None
        await record("school.updated", actor, school_id=school.id, target_type="school", target_id=school.id,
                     details={"fields": changed})
    if "active" in changes:
        school = await (activate_school if v.flag(changes["active"]) else deactivate_school)(actor, school.id)
    return school


async def deactivate_school(actor: User, school_id) -> School:
    """Nobody of the school can log in any more; their sessions end now. Nothing is deleted."""
    school = await get_school(actor, school_id)
    if school.active:
        async with in_transaction():
            school.active = False
            await school.save(update_fields=["active"])
            ended = await LoginSession.filter(user__school_id=school.id).values_list("id_hash", flat=True)
            if ended:
                await LoginSession.filter(id_hash__in=list(ended)).delete()
            await record("school.deactivated", actor, school_id=school.id, target_type="school",
                         target_id=school.id)
    return school


async def activate_school(actor: User, school_id) -> School:
    school = await get_school(actor, school_id)
    if not school.active:
        school.active = True
        await school.save(update_fields=["active"])
        await record("school.reactivated", actor, school_id=school.id, target_type="school", target_id=school.id)
    return school


async def new_account_fields(given_name, family_name, email, username) -> tuple[str, str, str | None, str | None]:
    """Checked names, email and (optional, free) username of an account an operator creates."""
    errors = v.FieldErrors()
    given = v.person_name(given_name, "given_name", errors)
    family = v.person_name(family_name, "family_name", errors)
    address = v.email(email, errors)
    name = v.username(username, errors)
    if name and not errors.has("username") and await User.filter(username=name).exists():
        errors.add("username", "username_taken", N_("This username is already taken."))
    errors.raise_if_any()
    return given, family, address, name


async def create_first_admin(actor: User, school_id, *, given_name, family_name, email=None,
                             username=None) -> tuple[User, Credentials]:
    """The school's first administrator (one-time password returned once). Further administrators are
    made by the school itself; an operator may only step in while the school has no active one."""
    school = await get_school(actor, school_id)
    given, family, address, name = await new_account_fields(given_name, family_name, email, username)
    if await User.filter(school_id=school.id, role=Role.SCHOOL_ADMIN, active=True).exists():
        raise Conflict("school_has_admin",
                       N_("This school already has an active administrator, who can add further ones."))
    password, password_hash = await new_one_time_password()
    try:
        user = await User.create(school_id=school.id, role=Role.SCHOOL_ADMIN,
                                 username=name or await unique_username(given, family), given_name=given,
                                 family_name=family, email=address, password_hash=password_hash,
                                 must_change_password=True)
    except IntegrityError:
        raise ValidationError([AppError("username_taken", N_("This username is already taken."),
                                        field="username")]) from None
    await record("user.created", actor, school_id=school.id, target_type="user", target_id=user.public_id,
                 details={"role": Role.SCHOOL_ADMIN})
    return user, Credentials(public_id=str(user.public_id), given_name=given, family_name=family,
                             username=user.username, password=password, role=Role.SCHOOL_ADMIN)
