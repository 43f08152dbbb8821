"""Reading what teachers and pupils send (forms and JSON alike) into checked values, with messages in
German and English. Nothing here touches the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from schoolcloud.courses.richtext import MAX_TEXT as MAX_MARKDOWN
from schoolcloud.courses.validation import SCHOOL_TZ  # dates typed into forms mean the school's local time
from schoolcloud.tasks.models import Audience, GradeScale
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import N_

MAX_TITLE = 200
MAX_TEXT = 100_000
MAX_GROUPS = 50

GRADES = ("1+", "1", "1-", "2+", "2", "2-", "3+", "3", "3-", "4+", "4", "4-", "5+", "5", "5-", "6")
POINTS = tuple(str(n) for n in range(15, -1, -1))
SCALE_VALUES = {GradeScale.GRADES: GRADES, GradeScale.POINTS: POINTS, GradeScale.NONE: ()}


def parse_time(value, name: str) -> datetime | None:
    """ISO 8601; without an offset it is the school's local time (what a datetime-local field sends)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise AppError("invalid_time", N_("Please enter a valid date and time."), status=422, field=name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SCHOOL_TZ)
    return parsed.astimezone(timezone.utc)


def truthy(value) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true", "on", "yes"))


@dataclass
class TaskInput:
    title: str
    instructions: str
    available_from: datetime | None
    due_at: datetime | None
    late_allowed: bool
    audience: str
    group_submission: bool
    grade_scale: str
    lesson_id: int | None = None  # a lesson of the same course, optional
    pupil_ids: list = field(default_factory=list)  # audience "chosen", without groups: ids or public ids
    groups: list[tuple[str, list]] = field(default_factory=list)  # group submission


def _ids(values) -> list[int | str]:
    """Pupils as the form sends them (account ids) or as the API names people (public ids, UUIDs);
    ``services`` maps them to the course's pupils."""
    if not isinstance(values, list):
        values = [] if values in (None, "") else [values]
    result: list[int | str] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise invalid_pupil()
        text = str(value).strip()
        if text.isdigit():
            key: int | str = int(text)
        else:
            try:
                key = str(uuid.UUID(text))
            except ValueError:
                raise invalid_pupil() from None
        if key not in result:
            result.append(key)
    return result


def invalid_pupil() -> AppError:
    return AppError("invalid_pupil", N_("Please choose pupils of this course."), status=422, field="pupils")


def task_input(data: dict) -> TaskInput:
    """Check a task as sent; every problem is reported at once (422 with one entry per field)."""
    problems: list[AppError] = []
    title = str(data.get("title") or "").strip()
    if not title:
        problems.append(AppError("title_missing", N_("Please enter a title."), status=422, field="title"))
    elif len(title) > MAX_TITLE:
        problems.append(AppError("title_too_long", N_("The title may have at most %(max)s characters."),
                                 status=422, field="title", max=MAX_TITLE))
    instructions = str(data.get("instructions") or "")
    if len(instructions) > MAX_MARKDOWN:
        problems.append(AppError("text_too_long", N_("The text may have at most %(max)s characters."),
                                 status=422, field="instructions", max=MAX_MARKDOWN))
    times = {}
    for name in ("available_from", "due_at"):
        try:
            times[name] = parse_time(data.get(name), name)
        except AppError as exc:
            problems.append(exc)
            times[name] = None
    if times["available_from"] and times["due_at"] and times["due_at"] <= times["available_from"]:
        problems.append(AppError("due_before_start", N_("The due date must come after the start."),
                                 status=422, field="due_at"))
    audience = str(data.get("audience") or Audience.COURSE)
    if audience not in Audience.ALL:
        problems.append(AppError("invalid_audience", N_("Please choose who the task is for."), status=422,
                                 field="audience"))
    scale = str(data.get("grade_scale") or GradeScale.GRADES)
    if scale not in GradeScale.ALL:
        problems.append(AppError("invalid_scale", N_("Please choose a grading scale."), status=422,
                                 field="grade_scale"))
    group_submission = truthy(data.get("group_submission"))
    pupil_ids: list[int] = []
    groups: list[tuple[str, list[int]]] = []
    try:
        if group_submission:
            raw_groups = data.get("groups") or []
            if not isinstance(raw_groups, list) or len(raw_groups) > MAX_GROUPS:
                raise AppError("invalid_groups", N_("Please put the pupils into groups."), status=422, field="groups")
            seen: set[int] = set()
            for number, raw in enumerate(raw_groups, start=1):
                if not isinstance(raw, dict):
                    raise AppError("invalid_groups", N_("Please put the pupils into groups."), status=422,
                                   field="groups")
                members = [i for i in _ids(raw.get("pupil_ids")) if i not in seen]
                seen.update(members)
                if members:
                    name = str(raw.get("name") or "").strip()[:100] or f"{number}"
                    groups.append((name, members))
            if not groups:
                raise AppError("groups_missing", N_("Please put at least one pupil into a group."), status=422,
                               field="groups")
            audience = Audience.CHOSEN
        elif audience == Audience.CHOSEN:
            pupil_ids = _ids(data.get("pupil_ids"))
            if not pupil_ids:
                raise AppError("pupils_missing", N_("Please choose at least one pupil."), status=422,
                               field="pupils")
    except AppError as exc:
        problems.append(exc)
    lesson_id = None
    if data.get("lesson_id") not in (None, ""):
        try:
            lesson_id = int(data.get("lesson_id"))
        except (TypeError, ValueError):
            problems.append(invalid_lesson())
    if problems:
        raise ValidationError(problems)
    return TaskInput(title, instructions, times["available_from"], times["due_at"],
                     truthy(data.get("late_allowed")), audience, group_submission, scale, lesson_id, pupil_ids, groups)


def invalid_lesson() -> AppError:
    return AppError("invalid_lesson", N_("Please choose a lesson of this course."), status=422, field="lesson_id")


def check_grade(scale: str, grade) -> str:
    """The grade as stored ("" for none), or 422 when it is not on the task's scale."""
    value = str(grade or "").strip().replace("−", "-")
    if value == "":
        return ""
    allowed = SCALE_VALUES.get(scale, ())
    if value not in allowed:
        if scale == GradeScale.POINTS:
            raise AppError("grade_off_scale", N_("Please give between 15 and 0 points."), status=422, field="grade")
        if scale == GradeScale.GRADES:
            raise AppError("grade_off_scale", N_("Please give a grade from 1 to 6 (with + or -)."), status=422,
                           field="grade")
        raise AppError("grade_off_scale", N_("This task is not graded."), status=422, field="grade")
    return value


def check_text(text, name: str = "text", limit: int = MAX_TEXT) -> str:
    value = str(text or "")
    if len(value) > limit:
        raise AppError("text_too_long", N_("The text may have at most %(max)s characters."), status=422,
                       field=name, max=limit)
    return value
