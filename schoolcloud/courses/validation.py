"""Reading lesson input from forms and JSON: every problem becomes a field error (422), nothing is
saved until the whole input is valid."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import N_

# Times are entered and shown in the schools' time zone (German schools); stored in UTC.
SCHOOL_TZ = ZoneInfo("Europe/Berlin")
MAX_TITLE = 200
MAX_DESCRIPTION = 5000


class Errors:
    def __init__(self):
        self.items: list[AppError] = []

    def add(self, field: str, code: str, message: str, **params) -> None:
        self.items.append(AppError(code, message, status=422, field=field, **params))

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationError(self.items)


def text(raw, *, limit: int, multiline: bool = False) -> str:
    value = raw.strip() if isinstance(raw, str) else ""
    allowed = "\n\r\t" if multiline else ""
    return "".join(ch for ch in value if ord(ch) >= 32 or ch in allowed)[:limit + 1]


def title(raw, errors: Errors, field: str = "title") -> str:
    value = text(raw, limit=MAX_TITLE)
    if not value or len(value) > MAX_TITLE:
        errors.add(field, "invalid_title", N_("Please enter a title of at most %(max)s characters."),
                   max=MAX_TITLE)
    return value


def description(raw, errors: Errors) -> str:
    value = text(raw, limit=MAX_DESCRIPTION, multiline=True)
    if len(value) > MAX_DESCRIPTION:
        errors.add("description", "too_long", N_("Please shorten the text to at most %(max)s characters."),
                   max=MAX_DESCRIPTION)
    return value


def schedule(raw_date, raw_week, errors: Errors) -> tuple[date | None, bool]:
    """A day (YYYY-MM-DD) or a week (YYYY-Www, stored as its Monday), or neither."""
    day = raw_date.strip() if isinstance(raw_date, str) else ""
    week = raw_week.strip() if isinstance(raw_week, str) else ""
    if day and week:
        errors.add("date", "date_and_week", N_("Please enter either a date or a week, not both."))
        return None, False
    if day:
        try:
            return date.fromisoformat(day), False
        except ValueError:
            errors.add("date", "invalid_date", N_("Please enter a valid date."))
            return None, False
    if week:
        try:
            year, number = week.upper().split("-W")
            return date.fromisocalendar(int(year), int(number), 1), True
        except ValueError:
            errors.add("week", "invalid_week", N_("Please enter a week as year and week number, e.g. 2026-W12."))
    return None, False


def publication(mode, raw_at, errors: Errors, now: datetime) -> tuple[bool, datetime | None]:
    """(given, publish_at): ``draft`` -> None, ``now`` -> now, ``at`` -> the local time given (form field
    ``publish_at`` as YYYY-MM-DDTHH:MM in the school's time zone, or ISO 8601 with an offset)."""
    if mode in (None, ""):
        return False, None
    if mode == "draft":
        return True, None
    if mode == "now":
        return True, now
    if mode == "at":
        value = raw_at.strip() if isinstance(raw_at, str) else ""
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            errors.add("publish_at", "invalid_time", N_("Please enter the date and time of publication."))
            return True, None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=SCHOOL_TZ)
        return True, moment.astimezone(timezone.utc)
    errors.add("publish", "invalid_choice", N_("Please choose one of the offered options."))
    return True, None


def local_input(moment: datetime | None) -> str:
    """A UTC time as the value of a datetime-local field in the school's time zone."""
    return moment.astimezone(SCHOOL_TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""


def week_input(day: date | None) -> str:
    if day is None:
        return ""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_end(day: date) -> date:
    return day + timedelta(days=4)
