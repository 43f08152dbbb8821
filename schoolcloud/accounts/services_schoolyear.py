"""The school-year change, one guided step of the school administrator: preview, then confirm.

Classes belong to a school year (SchoolClass.school_year), so moving up makes, for every class of the old
year, the class of the next year with the same members (5a 2025/26 -> 6a 2026/27): the old classes, their
spaces and courses stay as they were, as history of that year (teachers copy courses into the new year
from the course page, courses/services_copy.py). The administrator may correct each new name; an empty
name ends the class. Pupils of ended classes who are in no class of the new year are marked as left
(``User.left_at``, deactivated, sessions ended): their data stays until the school's retention rule for
leavers deletes it (privacy/RETENTION.md). A change is recorded per school and old year
(SchoolYearChange), so a second one for the same year is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schoolcloud.accounts import validation as v
from schoolcloud.accounts.models import Role, SchoolClass, User
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.accounts.services_base import record
from schoolcloud.auth.models import LoginSession
from schoolcloud.courses.services_copy import next_school_year
from schoolcloud.privacy.retention_models import SchoolYearChange
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import N_

LEADING_NUMBER = re.compile(r"^(\d+)(.*)$")


def field_name(school_class: SchoolClass) -> str:
    """The form field holding a class's new name."""
    return f"class_{school_class.id}"


def proposed_name(school_class: SchoolClass, final_grade: int) -> str:
    """5a -> 6a, 10b -> 11b; a class of the final grade ends (""); a name without a number stays."""
    if school_class.grade_level >= final_grade:
        return ""
    match = LEADING_NUMBER.match(school_class.name)
    if match and int(match.group(1)) == school_class.grade_level:
        return f"{school_class.grade_level + 1}{match.group(2)}"
    return school_class.name


@dataclass
class Move:
    source: SchoolClass
    target: str  # "" : the class ends
    grade: int | None
    members: list[User] = field(default_factory=list)

    @property
    def ends(self) -> bool:
        return not self.target

    @property
    def pupils(self) -> int:
        return sum(1 for m in self.members if m.role == Role.PUPIL)


@dataclass
class Change:
    from_year: str
    to_year: str
    moves: list[Move]
    leavers: list[User]
    done: SchoolYearChange | None = None

    def summary(self) -> dict:
        return {"from": self.from_year, "to": self.to_year,
                "classes_moved": sum(1 for m in self.moves if not m.ends),
                "classes_ended": sum(1 for m in self.moves if m.ends), "leavers": len(self.leavers),
                "mapping": {m.source.name: m.target for m in self.moves}}


def _already_done(done: SchoolYearChange) -> AppError:
    return AppError("school_year_changed", N_("The school year %(from_year)s was already changed to %(to_year)s on "
                                              "%(date)s. Nothing was changed."), status=409,
                    from_year=done.from_year, to_year=done.to_year, date=done.done_at.strftime("%d.%m.%Y"))


async def years(actor: User) -> list[str]:
    school_id = require_school_admin(actor)
    return sorted(set(await SchoolClass.filter(school_id=school_id).values_list("school_year", flat=True)),
                  reverse=True)


async def preview(actor: User, from_year: str | None = None, names: dict | None = None) -> Change:
    """The change as it would be made: proposed names, or ``names`` (form field -> new name) checked
    (422 naming each bad field). Changes nothing."""
    school_id = require_school_admin(actor)
    known = await years(actor)
    if not known:
        raise AppError("no_classes", N_("This school has no classes yet, so there is nothing to move up."), status=409)
    from_year = from_year or known[0]
    if from_year not in known:
        raise ValidationError([AppError("school_year_invalid", N_("Please choose one of the offered values."),
                                        field="from_year")])
    to_year = next_school_year(from_year)
    classes = await SchoolClass.filter(school_id=school_id, school_year=from_year) \
        .order_by("grade_level", "name").prefetch_related("members")
    final_grade = max(c.grade_level for c in classes)
    errors = v.FieldErrors()
    moves: list[Move] = []
    taken: dict[str, str] = {}
    for school_class in classes:
        key = field_name(school_class)
        wanted = proposed_name(school_class, final_grade) if names is None else names.get(key, "")
        target = v.plain_name(wanted, key, errors, v.CLASS_NAME_MAX, required=False)
        grade = None
        if target:
            if target.casefold() in taken:
                errors.add(key, "class_name_twice", N_("Two classes cannot get the same name."))
            taken[target.casefold()] = key
            match = LEADING_NUMBER.match(target)
            grade = int(match.group(1)) if match else school_class.grade_level + 1
            grade = v.grade_level(grade, errors, field=key)
        moves.append(Move(school_class, target, grade, list(school_class.members)))
    errors.raise_if_any()
    staying = {m.id for move in moves if not move.ends for m in move.members}
    staying |= set(await User.filter(classes__school_id=school_id, classes__school_year=to_year)
                   .values_list("id", flat=True))  # already in a class of the new year (e.g. imported)
    leaving: dict[int, User] = {m.id: m for move in moves if move.ends for m in move.members
                                if m.role == Role.PUPIL and m.id not in staying and m.left_at is None}
    done = await SchoolYearChange.get_or_none(school_id=school_id, from_year=from_year)
    return Change(from_year, to_year, moves, sorted(leaving.values(), key=lambda u: (u.family_name, u.given_name)),
                  done)


async def confirm(actor: User, from_year: str, names: dict) -> Change:
    """Make the change previewed with these names, all or nothing; a second time for the same year: 409."""
    school_id = require_school_admin(actor)
    change = await preview(actor, from_year, names)
    if change.done is not None:
        raise _already_done(change.done)
    left_at = datetime.now(timezone.utc).replace(microsecond=0)
    try:
        async with in_transaction() as conn:
            # First, so that a concurrent second confirmation fails on the unique key before it moves anything.
            await SchoolYearChange.create(using_db=conn, school_id=school_id, from_year=change.from_year,
                                          to_year=change.to_year, done_at=left_at, done_by=str(actor.public_id),
                                          summary=change.summary())
            for move in change.moves:
                if move.ends:
                    continue
                target, _created = await SchoolClass.get_or_create(
                    using_db=conn, school_id=school_id, school_year=change.to_year, name=move.target,
                    defaults={"grade_level": move.grade})
                if move.members:
                    await target.members.add(*move.members, using_db=conn)
            leaver_ids = [u.id for u in change.leavers]
            for start in range(0, len(leaver_ids), 500):
                chunk = leaver_ids[start:start + 500]
                await User.filter(id__in=chunk).using_db(conn).update(left_at=left_at, active=False)
                await LoginSession.filter(user_id__in=chunk).using_db(conn).delete()
    except IntegrityError:
        done = await SchoolYearChange.get_or_none(school_id=school_id, from_year=change.from_year)
        if done is None:
            raise
        raise _already_done(done) from None
    await record("school_year.changed", actor, school_id=school_id, target_type="school", target_id=school_id,
                 details=change.summary())
    return change
