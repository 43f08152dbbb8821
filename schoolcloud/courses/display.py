"""How lessons read on the pages: their day or week, their publication state."""

from __future__ import annotations

from datetime import date, datetime

from schoolcloud.courses.models import Lesson, Licence
from schoolcloud.courses.validation import SCHOOL_TZ, week_end
from schoolcloud.web.i18n import N_, current_locale
from schoolcloud.web.i18n import gettext_ as _


def short_date(day: date) -> str:
    return day.strftime("%d.%m.%Y" if current_locale.get() == "de" else "%Y-%m-%d")


def local_time(moment: datetime) -> str:
    local = moment.astimezone(SCHOOL_TZ)
    return local.strftime("%d.%m.%Y %H:%M" if current_locale.get() == "de" else "%Y-%m-%d %H:%M")


def lesson_when(lesson: Lesson) -> str:
    if lesson.date is None:
        return ""
    if lesson.by_week:
        return _("Week %(week)s (%(start)s – %(end)s)", week=lesson.date.isocalendar()[1],
                 start=short_date(lesson.date), end=short_date(week_end(lesson.date)))
    return short_date(lesson.date)


def lesson_state(lesson: Lesson, now: datetime) -> tuple[str, str]:
    """("draft" | "scheduled" | "published", text for teachers)."""
    if lesson.publish_at is None:
        return "draft", _("Draft (hidden from pupils)")
    if lesson.publish_at > now:
        return "scheduled", _("Visible to pupils from %(time)s", time=local_time(lesson.publish_at))
    return "published", _("Published")


HELPERS = {"lesson_when": lesson_when, "lesson_state": lesson_state, "short_date": short_date,
           "local_time": local_time}

LICENCE_NAMES = {
    Licence.CC0: "CC0 1.0", Licence.CC_BY: "CC BY 4.0", Licence.CC_BY_SA: "CC BY-SA 4.0",
    Licence.CC_BY_NC: "CC BY-NC 4.0", Licence.CC_BY_NC_SA: "CC BY-NC-SA 4.0", Licence.CC_BY_ND: "CC BY-ND 4.0",
    Licence.SCHOOL_ONLY: N_("Only for our school"),
}


def licence_name(code: str) -> str:
    return _(LICENCE_NAMES.get(code, code))
