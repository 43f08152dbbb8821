"""Helpers of the tasks pages: times in the school's zone, form values, the state labels."""

from __future__ import annotations

from datetime import datetime

from schoolcloud.tasks.models import GradeScale
from schoolcloud.tasks.validation import GRADES, POINTS, SCHOOL_TZ
from schoolcloud.web.i18n import N_, current_locale
from schoolcloud.web.i18n import gettext_ as _

STATE_LABELS = {
    "missing": N_("not handed in"),
    "submitted": N_("handed in"),
    "late": N_("handed in late"),
    "graded": N_("feedback given (not released)"),
    "released": N_("feedback released"),
}
TASK_STATES = {"open": N_("open"), "late": N_("open for late work"), "closed": N_("closed")}
SCALE_LABELS = {GradeScale.GRADES: N_("Grades 1 to 6 (with + and -)"), GradeScale.POINTS: N_("Points 15 to 0"),
                GradeScale.NONE: N_("No grade")}


def local_time(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(SCHOOL_TZ)
    return local.strftime("%d.%m.%Y, %H:%M" if current_locale.get() == "de" else "%Y-%m-%d %H:%M")


def input_time(value: datetime | None) -> str:
    """The value of a datetime-local field."""
    return value.astimezone(SCHOOL_TZ).strftime("%Y-%m-%dT%H:%M") if value else ""


def grade_options(scale: str) -> list[tuple[str, str]]:
    if scale == GradeScale.POINTS:
        return [(p, _("%(points)s points", points=p)) for p in POINTS]
    if scale == GradeScale.GRADES:
        return [(g, g) for g in GRADES]
    return []


def helpers() -> dict:
    """What every tasks template gets."""
    return {"local_time": local_time, "state_labels": STATE_LABELS, "task_states": TASK_STATES,
            "scale_labels": SCALE_LABELS}
