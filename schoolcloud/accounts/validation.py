"""Field checks shared by the account, class, course and school services.

Each check cleans a value and appends an ``AppError(code, English message id, field=...)`` to a
``FieldErrors`` collector; the service raises one ``ValidationError`` with all of them, so a form can mark
every wrong field at once. Message ids are English and translated on output (web.i18n).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from schoolcloud.accounts.csv_import import is_school_year
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import N_

NAME_MAX = 100
EMAIL_MAX = 254
USERNAME_MAX = 150
CLASS_NAME_MAX = 32
COURSE_NAME_MAX = 100
SCHOOL_NAME_MAX = 200
SCHOOL_NUMBER_MAX = 32

# Land codes (ISO 3166-2:DE without the prefix).
STATES = ("BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH")

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")
_SCHOOL_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_INVISIBLE = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200e\u200f"


class FieldErrors:
    def __init__(self) -> None:
        self.errors: list[AppError] = []

    def add(self, field: str, code: str, message: str, **params) -> None:
        self.errors.append(AppError(code, message, field=field, **params))

    def has(self, field: str) -> bool:
        return any(e.field == field for e in self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)


def _text(value) -> str:
    return "" if value is None else str(value)


def clean_text(value) -> str:
    """NFC, whitespace collapsed, control and bidi characters removed."""
    raw = unicodedata.normalize("NFC", _text(value))
    raw = "".join(ch for ch in raw if unicodedata.category(ch) != "Cc" and ch not in _INVISIBLE)
    return " ".join(raw.split())


def person_name(value, field: str, errors: FieldErrors) -> str:
    name = clean_text(value)
    if not name:
        errors.add(field, "required", N_("Please fill in this field."))
    elif len(name) > NAME_MAX:
        errors.add(field, "too_long", N_("At most %(max)d characters."), max=NAME_MAX)
    elif not any(ch.isalpha() for ch in name):
        errors.add(field, "name_invalid", N_("A name needs at least one letter."))
    return name


def plain_name(value, field: str, errors: FieldErrors, max_length: int, required: bool = True) -> str:
    name = clean_text(value)
    if not name:
        if required:
            errors.add(field, "required", N_("Please fill in this field."))
    elif len(name) > max_length:
        errors.add(field, "too_long", N_("At most %(max)d characters."), max=max_length)
    return name


def email(value, errors: FieldErrors, field: str = "email") -> str | None:
    address = clean_text(value)
    if not address:
        return None
    if len(address) > EMAIL_MAX or not _EMAIL.fullmatch(address):
        errors.add(field, "email_invalid", N_("This is not a valid email address."))
        return None
    return address


def birth_date(value, errors: FieldErrors, today: date | None = None, field: str = "birth_date") -> date | None:
    """Accepts a date, ISO (YYYY-MM-DD, as <input type=date> sends it) or German DD.MM.YYYY."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        parsed = value
    else:
        text = clean_text(value)
        parsed = None
        try:
            if m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text):
                parsed = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                parsed = date.fromisoformat(text)
        except ValueError:
            parsed = None
        if parsed is None:
            errors.add(field, "birth_date_invalid", N_("Please enter a valid date (DD.MM.YYYY)."))
            return None
    today = today or date.today()
    if parsed > today:
        errors.add(field, "birth_date_future", N_("The birth date lies in the future."))
        return None
    if parsed.year < 1900:
        errors.add(field, "birth_date_invalid", N_("Please enter a valid date (DD.MM.YYYY)."))
        return None
    return parsed


def username(value, errors: FieldErrors, field: str = "username") -> str | None:
    """Lower case; None when empty (the service then generates one)."""
    name = clean_text(value).lower()
    if not name:
        return None
    if len(name) > USERNAME_MAX or not USERNAME_RE.fullmatch(name):
        errors.add(field, "username_invalid",
                   N_("Allowed are a–z, 0–9, dot, hyphen and underscore, starting with a letter or digit."))
        return None
    return name


def choice(value, allowed: tuple[str, ...], field: str, errors: FieldErrors) -> str | None:
    text = clean_text(value)
    if text not in allowed:
        errors.add(field, f"{field}_invalid", N_("Please choose one of the offered values."))
        return None
    return text


def grade_level(value, errors: FieldErrors, field: str = "grade_level") -> int | None:
    grade: int | None
    if isinstance(value, bool):
        grade = None
    elif isinstance(value, int):
        grade = value
    else:
        try:
            grade = int(clean_text(value))
        except ValueError:
            grade = None
    if grade is None or not 1 <= grade <= 13:
        errors.add(field, "grade_level_invalid", N_("The grade level must be a whole number from 1 to 13."))
        return None
    return grade


def school_year(value, errors: FieldErrors, field: str = "school_year") -> str:
    year = clean_text(value)
    if not is_school_year(year):
        errors.add(field, "school_year_invalid", N_("Please enter the school year like 2026/27."))
    return year


def school_number(value, errors: FieldErrors, field: str = "school_number") -> str | None:
    number = clean_text(value)
    if not number:
        return None
    if len(number) > SCHOOL_NUMBER_MAX or not _SCHOOL_NUMBER.fullmatch(number):
        errors.add(field, "school_number_invalid", N_("Only letters, digits and hyphens, at most 32."))
        return None
    return number


def state(value, errors: FieldErrors, field: str = "state") -> str:
    code = clean_text(value).upper()
    if code and code not in STATES:
        errors.add(field, "state_invalid", N_("Please choose one of the offered values."))
        return ""
    return code


def flag(value) -> bool:
    """Checkbox or JSON boolean."""
    if isinstance(value, bool):
        return value
    return clean_text(value).lower() in ("1", "true", "on", "yes")


def current_school_year(today: date | None = None) -> str:
    """German school years start on 1 August: "2026/27" from August 2026 to July 2027."""
    today = today or date.today()
    first = today.year if today.month >= 8 else today.year - 1
    return f"{first}/{(first + 1) % 100:02d}"
