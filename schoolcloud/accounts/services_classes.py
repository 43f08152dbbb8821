"""Classes and courses of a school, and who belongs to them.

School admins manage them; teachers read the classes they are members of and the courses they teach.
Members are pupils and teachers of the same school only. A course has its own teachers and pupils and
may be linked to classes, whose pupils then count as course members (``course_member_ids``).
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from schoolcloud.accounts import validation as v
from schoolcloud.accounts.models import Course, Role, SchoolClass, User
from schoolcloud.accounts.permissions import MEMBER_ROLES, is_school_admin, require_school_admin, require_staff
from schoolcloud.accounts.services_base import record
from schoolcloud.accounts.services_users import parse_public_id
from schoolcloud.web.errors import AppError, NotFound, ValidationError
from schoolcloud.web.i18n import N_


def _int_id(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(what) from None


# --- classes --------------------------------------------------------------------------------------------


async def list_classes(actor: User, *, school_year: str | None = None) -> list[SchoolClass]:
    """Admins: every class of the school. Teachers: the classes they are members of."""
    school_id = require_staff(actor)
    query = SchoolClass.filter(school_id=school_id)
    if not is_school_admin(actor):
        query = query.filter(members__id=actor.id)
    if school_year:
        query = query.filter(school_year=school_year)
    return await query.order_by("-school_year", "grade_level", "name").prefetch_related("members")


async def school_years(actor: User) -> list[str]:
    school_id = require_staff(actor)
    years = await SchoolClass.filter(school_id=school_id).distinct().values_list("school_year", flat=True)
    return sorted(set(years), reverse=True)


async def get_class(actor: User, class_id) -> SchoolClass:
    school_id = require_staff(actor)
    query = SchoolClass.filter(id=_int_id(class_id, "class"), school_id=school_id)
    if not is_school_admin(actor):
        query = query.filter(members__id=actor.id)
    school_class = await query.first()
    if school_class is None:
        raise NotFound("class")
    return school_class


async def _managed_class(actor: User, class_id) -> SchoolClass:
    school_id = require_school_admin(actor)
    school_class = await SchoolClass.get_or_none(id=_int_id(class_id, "class"), school_id=school_id)
    if school_class is None:
        raise NotFound("class")
    return school_class


async def class_members(actor: User, class_id) -> tuple[SchoolClass, list[User], list[User]]:
    """(class, pupils, teachers), sorted by name."""
    school_class = await get_class(actor, class_id)
    members = await school_class.members.all().order_by("family_name", "given_name", "username")
    return (school_class, [m for m in members if m.role == Role.PUPIL],
            [m for m in members if m.role != Role.PUPIL])


def _class_fields(errors: v.FieldErrors, name, grade_level, school_year) -> dict:
    return {"name": v.plain_name(name, "name", errors, v.CLASS_NAME_MAX),
            "grade_level": v.grade_level(grade_level, errors),
            "school_year": v.school_year(school_year, errors)}


def _class_exists() -> AppError:
    return AppError("class_exists", N_("A class with this name already exists in this school year."), field="name")


async def create_class(actor: User, *, name, grade_level, school_year) -> SchoolClass:
    school_id = require_school_admin(actor)
    errors = v.FieldErrors()
    values = _class_fields(errors, name, grade_level, school_year)
    errors.raise_if_any()
    if await SchoolClass.filter(school_id=school_id, name=values["name"], school_year=values["school_year"]).exists():
        raise ValidationError([_class_exists()])
    try:
        school_class = await SchoolClass.create(school_id=school_id, **values)
    except IntegrityError:
        raise ValidationError([_class_exists()]) from None
    await record("class.created", actor, school_id=school_id, target_type="class", target_id=school_class.id)
    return school_class


async def update_class(actor: User, class_id, **changes) -> SchoolClass:
    school_class = await _managed_class(actor, class_id)
    errors = v.FieldErrors()
    unknown = set(changes) - {"name", "grade_level", "school_year"}
    for field in sorted(unknown):
        errors.add(field, "unknown_field", N_("This field cannot be changed."))
    current = {"name": school_class.name, "grade_level": school_class.grade_level,
               "school_year": school_class.school_year}
    values = _class_fields(errors, **{**current, **{k: changes[k] for k in current if k in changes}})
    errors.raise_if_any()
    changed = sorted(k for k, value in values.items() if getattr(school_class, k) != value)
    if not changed:
        return school_class
    if await SchoolClass.filter(school_id=school_class.school_id, name=values["name"],
                                school_year=values["school_year"]).exclude(id=school_class.id).exists():
        raise ValidationError([_class_exists()])
    for k in changed:
        setattr(school_class, k, values[k])
    try:
        await school_class.save(update_fields=changed)
    except IntegrityError:
        raise ValidationError([_class_exists()]) from None
    await record("class.updated", actor, school_id=school_class.school_id, target_type="class",
                 target_id=school_class.id, details={"fields": changed})
    return school_class


async def delete_class(actor: User, class_id, files) -> None:
    """The class goes with its files (see ``_delete_group``); its members' accounts stay."""
    school_class = await _managed_class(actor, class_id)
    class_pk, school_id = school_class.id, school_class.school_id

    async def rows(conn) -> None:
        await school_class.members.clear(using_db=conn)
        await school_class.courses.clear(using_db=conn)
        await school_class.delete(using_db=conn)

    objects = await _delete_group(files, SchoolClass, class_pk, Q(school_class_id=class_pk), rows)
    await record("class.deleted", actor, school_id=school_id, target_type="class", target_id=class_pk,
                 details={"objects": objects})


async def _delete_group(files, model, pk: int, spaces: Q, rows) -> int:
    """Delete a class or course (``rows(conn)`` removes its own rows) with its file spaces (``spaces``
    selects them): in one transaction, the group's row is locked first (a space created lazily at that
    moment waits for it, then fails on the foreign key), then the spaces' nodes, versions, shares, links
    and unfinished uploads (``trash.delete_space_rows``), then the rows; the objects afterwards, as every
    deletion in files/ (else they stayed until ``schoolcloud fsck --repair``). ``files`` is the
    app's FilesContext. Returns the number of objects removed."""
    from schoolcloud.files.content import discard
    from schoolcloud.files.models import Space
    from schoolcloud.files.trash import delete_space_rows

    async with in_transaction() as conn:
        await model.filter(id=pk).using_db(conn).select_for_update()  # (values_list would drop FOR UPDATE)
        space_ids = await Space.filter(spaces).using_db(conn).values_list("id", flat=True)
        keys = await delete_space_rows(conn, *space_ids)
        await rows(conn)
    if keys:
        await discard(files, *keys)
    return len(keys)


async def _school_members(actor: User, user_ids, field: str, roles: tuple[str, ...] = MEMBER_ROLES) -> list[User]:
    """Accounts by public id, all of the actor's school and with an allowed role; else a field error."""
    if isinstance(user_ids, (str, bytes)) or not isinstance(user_ids, (list, tuple, set)):
        raise ValidationError([AppError("invalid_list", N_("Please send a list of ids."), field=field)])
    wanted = {parse_public_id_or_none(value) for value in user_ids}
    if None in wanted:
        raise ValidationError([AppError("user_invalid", N_("Unknown account."), field=field)])
    users = await User.filter(public_id__in=list(wanted), school_id=actor.school_id) if wanted else []
    if len(users) != len(wanted):
        raise ValidationError([AppError("user_invalid", N_("Unknown account."), field=field)])
    if any(user.role not in roles for user in users):
        raise ValidationError([AppError("member_role", N_("This account cannot be added here."),
                                        field=field)])
    return users


def parse_public_id_or_none(value):
    try:
        return parse_public_id(value)
    except NotFound:
        return None


async def add_class_members(actor: User, class_id, user_ids) -> int:
    """Add pupils and teachers of the school; returns how many were new."""
    school_class = await _managed_class(actor, class_id)
    users = await _school_members(actor, user_ids, "user_ids")
    present = set(await school_class.members.filter(id__in=[u.id for u in users]).values_list("id", flat=True))
    new = [u for u in users if u.id not in present]
    if new:
        await school_class.members.add(*new)
        await record("class.members_added", actor, school_id=school_class.school_id, target_type="class",
                     target_id=school_class.id, details={"users": [str(u.public_id) for u in new]})
    return len(new)


async def remove_class_members(actor: User, class_id, user_ids) -> int:
    school_class = await _managed_class(actor, class_id)
    users = await _school_members(actor, user_ids, "user_ids", roles=tuple(Role.ALL))
    member_ids = set(await school_class.members.all().values_list("id", flat=True))
    present = [u for u in users if u.id in member_ids]
    if present:
        await school_class.members.remove(*present)
        await record("class.members_removed", actor, school_id=school_class.school_id, target_type="class",
                     target_id=school_class.id, details={"users": [str(u.public_id) for u in present]})
    return len(present)


# --- courses --------------------------------------------------------------------------------------------


async def list_courses(actor: User, *, school_year: str | None = None) -> list[Course]:
    """Admins: every course of the school. Teachers: the courses they teach."""
    school_id = require_staff(actor)
    query = Course.filter(school_id=school_id)
    if not is_school_admin(actor):
        query = query.filter(teachers__id=actor.id)
    if school_year:
        query = query.filter(school_year=school_year)
    return await query.order_by("-school_year", "name").prefetch_related("teachers", "pupils", "classes")


async def get_course(actor: User, course_id) -> Course:
    school_id = require_staff(actor)
    query = Course.filter(id=_int_id(course_id, "course"), school_id=school_id)
    if not is_school_admin(actor):
        query = query.filter(teachers__id=actor.id)
    course = await query.first()
    if course is None:
        raise NotFound("course")
    await course.fetch_related("teachers", "pupils", "classes")
    return course


async def _managed_course(actor: User, course_id) -> Course:
    school_id = require_school_admin(actor)
    course = await Course.get_or_none(id=_int_id(course_id, "course"), school_id=school_id)
    if course is None:
        raise NotFound("course")
    return course


def _course_exists() -> AppError:
    return AppError("course_exists", N_("A course with this name already exists in this school year."),
                    field="name")


def _course_fields(errors: v.FieldErrors, name, subject, school_year) -> dict:
    return {"name": v.plain_name(name, "name", errors, v.COURSE_NAME_MAX),
            "subject": v.plain_name(subject, "subject", errors, v.COURSE_NAME_MAX, required=False),
            "school_year": v.school_year(school_year, errors)}


async def _classes_of_school(actor: User, class_ids, field: str = "class_ids") -> list[SchoolClass]:
    if isinstance(class_ids, (str, bytes)) or not isinstance(class_ids, (list, tuple, set)):
        raise ValidationError([AppError("invalid_list", N_("Please send a list of ids."), field=field)])
    try:
        wanted = {int(value) for value in class_ids}
    except (TypeError, ValueError):
        raise ValidationError([AppError("class_invalid", N_("Unknown class."), field=field)]) from None
    classes = await SchoolClass.filter(id__in=list(wanted), school_id=actor.school_id) if wanted else []
    if len(classes) != len(wanted):
        raise ValidationError([AppError("class_invalid", N_("Unknown class."), field=field)])
    return classes


async def create_course(actor: User, *, name, school_year, subject="", teacher_ids=(), pupil_ids=(),
                        class_ids=()) -> Course:
    school_id = require_school_admin(actor)
    errors = v.FieldErrors()
    values = _course_fields(errors, name, subject, school_year)
    errors.raise_if_any()
    teachers = await _school_members(actor, list(teacher_ids), "teacher_ids", roles=(Role.TEACHER,))
    pupils = await _school_members(actor, list(pupil_ids), "pupil_ids", roles=(Role.PUPIL,))
    classes = await _classes_of_school(actor, list(class_ids))
    if await Course.filter(school_id=school_id, name=values["name"], school_year=values["school_year"]).exists():
        raise ValidationError([_course_exists()])
    try:
        async with in_transaction():
            course = await Course.create(school_id=school_id, **values)
            if teachers:
                await course.teachers.add(*teachers)
            if pupils:
                await course.pupils.add(*pupils)
            if classes:
                await course.classes.add(*classes)
    except IntegrityError:
        raise ValidationError([_course_exists()]) from None
    await record("course.created", actor, school_id=school_id, target_type="course", target_id=course.id)
    return course


async def update_course(actor: User, course_id, **changes) -> Course:
    """Fields name, subject, school_year; teacher_ids, pupil_ids, class_ids replace those sets."""
    course = await _managed_course(actor, course_id)
    errors = v.FieldErrors()
    scalar = ("name", "subject", "school_year")
    sets = ("teacher_ids", "pupil_ids", "class_ids")
    for field in sorted(set(changes) - set(scalar) - set(sets)):
        errors.add(field, "unknown_field", N_("This field cannot be changed."))
    current = {k: getattr(course, k) for k in scalar}
    values = _course_fields(errors, **{**current, **{k: changes[k] for k in scalar if k in changes}})
    errors.raise_if_any()
    teachers = await _school_members(actor, changes["teacher_ids"], "teacher_ids", roles=(Role.TEACHER,)) \
        if "teacher_ids" in changes else None
    pupils = await _school_members(actor, changes["pupil_ids"], "pupil_ids", roles=(Role.PUPIL,)) \
        if "pupil_ids" in changes else None
    classes = await _classes_of_school(actor, changes["class_ids"]) if "class_ids" in changes else None
    changed = sorted(k for k, value in values.items() if getattr(course, k) != value)
    if changed and await Course.filter(school_id=course.school_id, name=values["name"],
                                       school_year=values["school_year"]).exclude(id=course.id).exists():
        raise ValidationError([_course_exists()])
    try:
        async with in_transaction():
            if changed:
                for k in changed:
                    setattr(course, k, values[k])
                await course.save(update_fields=changed)
            for relation, new, name in ((course.teachers, teachers, "teacher_ids"),
                                        (course.pupils, pupils, "pupil_ids"), (course.classes, classes, "class_ids")):
                if new is not None:
                    await relation.clear()
                    if new:
                        await relation.add(*new)
                    changed.append(name)
    except IntegrityError:
        raise ValidationError([_course_exists()]) from None
    if changed:
        await record("course.updated", actor, school_id=course.school_id, target_type="course",
                     target_id=course.id, details={"fields": changed})
    return course


async def change_course_members(actor: User, course_id, *, add_users=(), add_classes=(), remove_users=(),
                                remove_classes=()) -> Course:
    """Incremental changes for the pages (the API replaces whole sets with update_course). Added teachers
    teach the course, added pupils attend it."""
    course = await _managed_course(actor, course_id)
    newcomers = await _school_members(actor, list(add_users), "user_ids")
    teachers = [u for u in newcomers if u.role == Role.TEACHER]
    pupils = [u for u in newcomers if u.role == Role.PUPIL]
    classes = await _classes_of_school(actor, list(add_classes))
    leaving = await _school_members(actor, list(remove_users), "user_ids", roles=tuple(Role.ALL))
    unlinked = await _classes_of_school(actor, list(remove_classes))
    async with in_transaction():
        if teachers:
            await course.teachers.add(*teachers)
        if pupils:
            await course.pupils.add(*pupils)
        if classes:
            await course.classes.add(*classes)
        for user in leaving:
            await course.teachers.remove(user)
            await course.pupils.remove(user)
        if unlinked:
            await course.classes.remove(*unlinked)
    if teachers or pupils or classes or leaving or unlinked:
        await record("course.members_changed", actor, school_id=course.school_id, target_type="course",
                     target_id=course.id, details={
                         "added": [str(u.public_id) for u in (*teachers, *pupils)],
                         "removed": [str(u.public_id) for u in leaving],
                         "classes_added": [c.id for c in classes], "classes_removed": [c.id for c in unlinked]})
    return course


async def delete_course(actor: User, course_id, files) -> None:
    """The course goes with its tasks, its files and its task records (the material and feedback kept
    from erased teachers), see ``_delete_group``; its members' accounts stay."""
    course = await _managed_course(actor, course_id)
    course_pk, school_id = course.id, course.school_id

    async def rows(conn) -> None:
        await course.teachers.clear(using_db=conn)
        await course.pupils.clear(using_db=conn)
        await course.classes.clear(using_db=conn)
        await course.delete(using_db=conn)

    objects = await _delete_group(files, Course, course_pk, Q(course_id=course_pk) | Q(records_course_id=course_pk),
                                  rows)
    await record("course.deleted", actor, school_id=school_id, target_type="course", target_id=course_pk,
                 details={"objects": objects})


async def course_member_ids(course: Course) -> set[int]:
    """User ids of everyone in a course: its teachers, its own pupils and the pupils of linked classes.

    Teachers of a linked class are not course members (they teach the class, not this course). No
    permission check: callers have already loaded the course through a scoped service.
    """
    teachers = await User.filter(taught_courses__id=course.id).values_list("id", flat=True)
    pupils = await User.filter(attended_courses__id=course.id).values_list("id", flat=True)
    class_pupils = await User.filter(role=Role.PUPIL, school_id=course.school_id,
                                     classes__courses__id=course.id).values_list("id", flat=True)
    return {*teachers, *pupils, *class_pupils}


async def courses_of(user: User) -> list[Course]:
    """Courses a user belongs to, directly or through a class."""
    return await Course.filter(Q(teachers__id=user.id) | Q(pupils__id=user.id) | Q(classes__members__id=user.id)) \
        .distinct().order_by("name")
