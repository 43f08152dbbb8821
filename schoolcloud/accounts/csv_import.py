"""Parse a class-list export (CSV) into a preview the school admin confirms before anything is written.

Pure: no database, no HTTP. The column layout, aliases and grade rules are documented in IMPORT.md.
"""

from __future__ import annotations

import csv
import io
import math
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Protocol

from schoolcloud.accounts.models import Role

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
MAX_NAME_LENGTH = 100  # User.given_name / family_name
MAX_CLASS_LENGTH = 32  # SchoolClass.name
MAX_EMAIL_LENGTH = 254
MAX_USERNAME_LENGTH = 150
MAX_USERNAME_BASE = 60  # leaves room for suffixes and keeps letters readable
# Ages outside these ranges are almost always typos (swapped digits, wrong century).
PUPIL_AGE = (3, 30)
TEACHER_AGE = (17, 100)


# --- result types ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    code: str
    de: str
    en: str
    field: str | None = None

    def text(self, locale: str = "de") -> str:
        return self.en if locale == "en" else self.de


@dataclass
class RosterRow:
    line_no: int
    family_name: str
    given_name: str
    role: str | None
    class_name: str | None
    grade_level: int | None
    birth_date: date | None
    email: str | None
    username: str | None
    errors: list[Message] = field(default_factory=list)
    school_year: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class RosterPreview:
    rows: list[RosterRow] = field(default_factory=list)
    file_errors: list[Message] = field(default_factory=list)
    school_year: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and all(row.ok for row in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "pupils": sum(1 for r in self.rows if r.role == Role.PUPIL),
            "teachers": sum(1 for r in self.rows if r.role == Role.TEACHER),
            "classes": len({r.class_name for r in self.rows if r.class_name and r.role == Role.PUPIL}),
            "rows_with_errors": sum(1 for r in self.rows if r.errors),
            "errors": sum(len(r.errors) for r in self.rows) + len(self.file_errors),
        }


def _msg(code: str, de: str, en: str, field_name: str | None = None) -> Message:
    return Message(code, de, en, field_name)


# --- columns --------------------------------------------------------------------------------------------

# Header names are compared after _header_key(): casefolded, only letters and digits kept.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "family_name": ("nachname", "familienname", "name", "lastname", "familyname", "surname"),
    "given_name": ("vorname", "rufname", "firstname", "givenname"),
    "class_name": ("klasse", "class", "lerngruppe", "classname"),
    "birth_date": ("geburtsdatum", "gebdatum", "geburtstag", "birthdate", "dateofbirth", "dob"),
    "role": ("rolle", "role", "typ", "type"),
    "email": ("email", "mail", "emailadresse", "emailaddress"),
    "username": ("benutzername", "benutzer", "login", "username", "loginname"),
    "school_year": ("schuljahr", "schoolyear"),
}
REQUIRED_COLUMNS = ("family_name", "given_name", "role")
_ALIAS_TO_FIELD = {alias: name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}
_COLUMN_LABELS = {"family_name": "Nachname", "given_name": "Vorname", "role": "Rolle", "class_name": "Klasse"}

ROLE_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        ("schüler", "schülerin", "schüler/in", "schüler*in", "schüler:in", "schueler", "schuelerin", "sus",
         "pupil", "student"),
        Role.PUPIL,
    ),
    **dict.fromkeys(
        ("lehrer", "lehrerin", "lehrer/in", "lehrer*in", "lehrer:in", "lehrkraft", "lehrkräfte", "lul",
         "teacher"),
        Role.TEACHER,
    ),
}


def _header_key(name: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFC", name).casefold() if ch.isalnum())


# --- decoding -------------------------------------------------------------------------------------------

_MAGIC = {
    b"PK\x03\x04": ("eine Excel-/ZIP-Datei", "an Excel/ZIP file"),
    b"\xd0\xcf\x11\xe0": ("eine alte Excel-Datei (.xls)", "a legacy Excel file (.xls)"),
    b"%PDF": ("eine PDF-Datei", "a PDF file"),
    b"\xff\xfe": ("UTF-16-kodiert", "UTF-16 encoded"),
    b"\xfe\xff": ("UTF-16-kodiert", "UTF-16 encoded"),
}
_SAVE_AS_CSV_DE = "Bitte in der Tabellenkalkulation als „CSV (Trennzeichen-getrennt)“ oder „CSV UTF-8“ speichern."
_SAVE_AS_CSV_EN = "Please save it from the spreadsheet as “CSV (delimited)” or “CSV UTF-8”."


def _not_csv(kind_de: str, kind_en: str) -> Message:
    return _msg("file_not_csv", f"Die Datei ist {kind_de}, keine CSV-Datei. {_SAVE_AS_CSV_DE}",
                f"The file is {kind_en}, not a CSV file. {_SAVE_AS_CSV_EN}")


def _decode(data: bytes) -> tuple[str | None, str | None, Message | None]:
    """Returns (text, encoding, error). Strict UTF-8 first: cp1252 decodes almost any byte string."""
    for magic, (kind_de, kind_en) in _MAGIC.items():
        if data.startswith(magic):
            return None, None, _not_csv(kind_de, kind_en)
    if b"\x00" in data:
        return None, None, _not_csv("binär", "binary")
    if data.startswith(b"\xef\xbb\xbf"):
        data, bom = data[3:], True
    else:
        bom = False
    try:
        return data.decode("utf-8"), "utf-8-sig" if bom else "utf-8", None
    except UnicodeDecodeError:
        if bom:  # a BOM promises UTF-8; a broken body is corruption, not cp1252
            return None, None, _not_csv("beschädigt (ungültiges UTF-8)", "corrupt (invalid UTF-8)")
    try:
        return data.decode("cp1252"), "cp1252", None
    except UnicodeDecodeError:
        return None, None, _not_csv("binär oder in einer unbekannten Kodierung",
                                    "binary or in an unknown encoding")


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\r\n\t")
    return controls > max(3, len(text) // 100)


# --- structure ------------------------------------------------------------------------------------------


def _pick_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most known columns; semicolon wins ties (German Excel)."""

    def known(delimiter: str) -> int:
        return sum(1 for cell in header_line.split(delimiter) if _header_key(cell) in _ALIAS_TO_FIELD)

    return max(";,", key=known)


def _map_header(header: list[str], preview: RosterPreview) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _ALIAS_TO_FIELD.get(_header_key(cell))
        if name is None:
            if cell.strip():
                preview.ignored_columns.append(cell.strip())
        elif name in columns:
            preview.file_errors.append(_msg(
                "duplicate_column", f"Die Spalte „{cell.strip()}“ kommt doppelt vor.",
                f"The column “{cell.strip()}” appears twice.", name))
        else:
            columns[name] = index
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            label = _COLUMN_LABELS[name]
            preview.file_errors.append(_msg(
                "missing_column", f"Die Pflichtspalte „{label}“ fehlt (Kopfzeile prüfen).",
                f"The required column “{label}” ({name}) is missing (check the header line).", name))
    return None if preview.file_errors else columns


def _records(text: str, delimiter: str) -> Iterable[tuple[int, list[str]]]:
    """Yields (first physical line number, cells); quoted cells may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next_line = 1
    for cells in reader:
        line_no, next_line = next_line, reader.line_num + 1
        yield line_no, cells


def _is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


# --- cell validation ------------------------------------------------------------------------------------


def _clean(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split())


def _has_controls(value: str) -> bool:
    # Cc are control characters; the bidi overrides (Cf) can make a name display as something else.
    return any(unicodedata.category(ch) == "Cc" or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
               for ch in value)


def _check_name(raw: str, field_name: str, label_de: str, label_en: str, errors: list[Message]) -> str:
    if _has_controls(raw):
        errors.append(_msg("name_control_chars", f"{label_de} enthält unzulässige Steuerzeichen.",
                           f"{label_en} contains control characters.", field_name))
    value = _clean("".join(ch for ch in raw if not _has_controls(ch)))
    if not value:
        errors.append(_msg("name_empty", f"{label_de} fehlt.", f"{label_en} is missing.", field_name))
    elif len(value) > MAX_NAME_LENGTH:
        errors.append(_msg("name_too_long", f"{label_de} ist länger als {MAX_NAME_LENGTH} Zeichen.",
                           f"{label_en} is longer than {MAX_NAME_LENGTH} characters.", field_name))
    elif not any(ch.isalpha() for ch in value):
        errors.append(_msg("name_invalid", f"{label_de} „{value}“ enthält keine Buchstaben.",
                           f"{label_en} “{value}” contains no letters.", field_name))
    return value


def _parse_role(raw: str, errors: list[Message]) -> str | None:
    value = _clean(raw)
    role = ROLE_ALIASES.get(value.casefold())
    if role is None:
        if value:
            de, en = f"Unbekannte Rolle „{value}“ (erlaubt: Schüler/in, Lehrer/in).", \
                f"Unknown role “{value}” (allowed: pupil, teacher)."
        else:
            de, en = "Die Rolle fehlt.", "The role is missing."
        errors.append(_msg("role_unknown", de, en, "role"))
    return role


_DATE_DE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _date_from_text(value: str) -> date | None | str:
    """A date, None for an empty cell, or an error code."""
    if not value:
        return None
    if m := _DATE_DE.fullmatch(value):
        day, month, year = m.groups()
        if len(year) == 2:
            return "two_digit_year"
    elif m := _DATE_ISO.fullmatch(value):
        year, month, day = m.groups()
    else:
        return "bad_date"
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return "bad_date"


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _parse_birth_date(raw: str, role: str | None, today: date, errors: list[Message]) -> date | None:
    value = _clean(raw)
    parsed = _date_from_text(value)
    if parsed == "two_digit_year":
        errors.append(_msg("birth_date_two_digit_year",
                           f"Geburtsdatum „{value}“: bitte das Jahr vierstellig angeben (TT.MM.JJJJ).",
                           f"Birth date “{value}”: please use a four-digit year (DD.MM.YYYY).", "birth_date"))
    elif parsed == "bad_date":
        errors.append(_msg("birth_date_invalid",
                           f"Geburtsdatum „{value}“ ist kein gültiges Datum (TT.MM.JJJJ).",
                           f"Birth date “{value}” is not a valid date (DD.MM.YYYY or YYYY-MM-DD).",
                           "birth_date"))
    elif isinstance(parsed, date):
        _check_age(parsed, value, role, today, errors)
        return parsed
    return None


def _check_age(born: date, value: str, role: str | None, today: date, errors: list[Message]) -> None:
    if born > today:
        errors.append(_msg("birth_date_future", f"Geburtsdatum „{value}“ liegt in der Zukunft.",
                           f"Birth date “{value}” is in the future.", "birth_date"))
        return
    low, high = TEACHER_AGE if role == Role.TEACHER else PUPIL_AGE
    age = _age(born, today)
    if not low <= age <= high:
        errors.append(_msg("birth_date_implausible",
                           f"Geburtsdatum „{value}“ ergibt ein unplausibles Alter ({age} Jahre).",
                           f"Birth date “{value}” gives an implausible age ({age} years).", "birth_date"))


# Upper secondary (Oberstufe) phases; the names differ by Land, see IMPORT.md.
_UPPER_SECONDARY = {"EF": 11, "E1": 11, "E2": 11, "Q1": 12, "Q2": 13, "Q3": 13, "Q4": 13,
                    "J1": 12, "J2": 13, "K1": 12, "K2": 13}
_NUMERIC_CLASS = re.compile(r"(\d{1,2})(?:[a-zäöüß]{1,3}|[ ._/-][a-zäöüß0-9]{1,3})?", re.IGNORECASE)
_UPPER_CLASS = re.compile(r"(EF|E[12]|Q[1-4]|J[12]|K[12])(?:[ ._/-]?[a-zäöüß0-9]{1,3})?", re.IGNORECASE)


def grade_for_class(class_name: str) -> int | None:
    """Grade level of a class name like "5a", "10 b", "Q1", "EF"; None if the name doesn't say."""
    name = _clean(class_name)
    if m := _NUMERIC_CLASS.fullmatch(name):
        grade = int(m.group(1))
        return grade if 1 <= grade <= 13 else None
    if m := _UPPER_CLASS.fullmatch(name):
        return _UPPER_SECONDARY[m.group(1).upper()]
    return None


def _parse_class(raw: str, role: str | None, errors: list[Message]) -> tuple[str | None, int | None]:
    name = _clean(raw)
    if not name:
        if role == Role.PUPIL:
            errors.append(_msg("pupil_without_class", "Für Schüler/innen ist die Klasse Pflicht.",
                               "Pupils need a class.", "class_name"))
        return None, None
    grade = grade_for_class(name) if len(name) <= MAX_CLASS_LENGTH else None
    if grade is None:
        errors.append(_msg("class_unknown",
                           f"Aus der Klasse „{name}“ lässt sich keine Jahrgangsstufe ablesen "
                           "(z. B. 5a, 10b, EF, Q1).",
                           f"No grade level can be derived from the class “{name}” (e.g. 5a, 10b, EF, Q1).",
                           "class_name"))
    return name, grade


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
_SCHOOL_YEAR = re.compile(r"(\d{4})/(\d{2})")


def _parse_email(raw: str, errors: list[Message]) -> str | None:
    value = _clean(raw)
    if value and (len(value) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(value)):
        errors.append(_msg("email_invalid", f"E-Mail-Adresse „{value}“ ist ungültig.",
                           f"Email address “{value}” is invalid.", "email"))
        return None
    return value or None


def _parse_username(raw: str, errors: list[Message]) -> str | None:
    value = _clean(raw).lower()
    if value and (len(value) > MAX_USERNAME_LENGTH or not _USERNAME.fullmatch(value)):
        errors.append(_msg("username_invalid",
                           f"Benutzername „{value}“ ist ungültig (erlaubt: a–z, 0–9, Punkt, Binde- und Unterstrich).",
                           f"Username “{value}” is invalid (allowed: a–z, 0–9, dot, hyphen, underscore).",
                           "username"))
        return None
    return value or None


def is_school_year(value: str) -> bool:
    """ "2026/27": the second year must follow the first."""
    m = _SCHOOL_YEAR.fullmatch(value)
    return bool(m) and (int(m.group(1)) + 1) % 100 == int(m.group(2))


def _parse_school_year(raw: str, default: str, errors: list[Message]) -> str:
    value = _clean(raw)
    if not value:
        return default
    if not is_school_year(value):
        errors.append(_msg("school_year_invalid", f"Schuljahr „{value}“ ist ungültig (Format 2026/27).",
                           f"School year “{value}” is invalid (format 2026/27).", "school_year"))
        return default
    return value


# --- rows -----------------------------------------------------------------------------------------------


def _cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return cells[index] if index is not None and index < len(cells) else ""


def _parse_row(line_no: int, cells: list[str], columns: dict[str, int], header_width: int,
               default_school_year: str, today: date) -> RosterRow:
    errors: list[Message] = []
    if any(cell.strip() for cell in cells[header_width:]):
        errors.append(_msg("extra_cells", "Die Zeile hat mehr Felder als die Kopfzeile "
                           "(Trennzeichen im Namen? Dann den Namen in Anführungszeichen setzen).",
                           "The row has more fields than the header (a delimiter inside a name? Then quote it)."))

    def get(name: str) -> str:
        return _cell(cells, columns, name)

    family = _check_name(get("family_name"), "family_name", "Der Nachname", "The family name", errors)
    given = _check_name(get("given_name"), "given_name", "Der Vorname", "The given name", errors)
    role = _parse_role(get("role"), errors)
    class_name, grade = _parse_class(get("class_name"), role, errors)
    return RosterRow(
        line_no=line_no, family_name=family, given_name=given, role=role, class_name=class_name,
        grade_level=grade, birth_date=_parse_birth_date(get("birth_date"), role, today, errors),
        email=_parse_email(get("email"), errors), username=_parse_username(get("username"), errors),
        errors=errors, school_year=_parse_school_year(get("school_year"), default_school_year, errors),
    )


def _flag_duplicates(rows: list[RosterRow]) -> None:
    """Later rows that repeat an earlier person or username are errors; the first one stays importable."""
    people: dict[tuple[str, str, str], int] = {}
    usernames: dict[str, int] = {}
    for row in rows:
        if row.family_name and row.given_name:
            if (first := people.setdefault(match_key(row), row.line_no)) != row.line_no:
                row.errors.append(_msg("duplicate_row",
                                       f"Doppelter Eintrag: dieselbe Person steht schon in Zeile {first}.",
                                       f"Duplicate entry: the same person is already in line {first}."))
        if row.username and (first := usernames.setdefault(row.username, row.line_no)) != row.line_no:
            row.errors.append(_msg("duplicate_username", f"Benutzername „{row.username}“ steht schon in Zeile {first}.",
                                   f"Username “{row.username}” is already used in line {first}.", "username"))


# --- entry point ----------------------------------------------------------------------------------------


def parse_roster(data: bytes, *, default_school_year: str, max_bytes: int = DEFAULT_MAX_BYTES,
                 today: date | None = None) -> RosterPreview:
    """Parse an uploaded class list. Never raises for bad input: problems end up as messages in the preview.

    ``today`` is the reference date for the age checks (tests pin it).
    """
    if not is_school_year(default_school_year):
        raise ValueError(f"default_school_year must look like 2026/27, not {default_school_year!r}")
    preview = RosterPreview(school_year=default_school_year)
    text = _text_or_error(data, max_bytes, preview)
    if text is not None:
        try:
            _parse_text(text, preview, today or date.today())
        except csv.Error as exc:  # e.g. a field beyond the csv module's size limit
            preview.rows = []
            preview.file_errors.append(_msg("csv_malformed", f"Die CSV-Datei ist fehlerhaft: {exc}.",
                                            f"The CSV file is malformed: {exc}."))
    return preview


_SEP_HINT = re.compile(r"sep=(.)", re.IGNORECASE)  # Excel writes "sep=;" as a first line


def _parse_text(text: str, preview: RosterPreview, today: date) -> None:
    first_line = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    if hint := _SEP_HINT.fullmatch(first_line.strip()):
        preview.delimiter = hint.group(1)
        text = text.replace(first_line, "", 1)  # blank instead of removed: line numbers stay true
    else:
        preview.delimiter = _pick_delimiter(first_line)
    records = ((n, cells) for n, cells in _records(text, preview.delimiter) if not _is_blank(cells))
    _, header = next(records, (0, []))
    columns = _map_header(header, preview)
    if columns is None:
        return
    preview.rows = [_parse_row(n, cells, columns, len(header), preview.school_year, today) for n, cells in records]
    if not preview.rows:
        preview.file_errors.append(_msg("no_rows", "Die Datei enthält nur die Kopfzeile, keine Personen.",
                                        "The file contains only the header line and no people."))
    _flag_duplicates(preview.rows)


def _text_or_error(data: bytes, max_bytes: int, preview: RosterPreview) -> str | None:
    if len(data) > max_bytes:
        preview.file_errors.append(_msg(
            "file_too_large", f"Die Datei ist zu groß (höchstens {max_bytes // 1024} KiB).",
            f"The file is too large (at most {max_bytes // 1024} KiB)."))
        return None
    if not data.strip():
        preview.file_errors.append(_msg("file_empty", "Die Datei ist leer.", "The file is empty."))
        return None
    text, preview.encoding, error = _decode(data)
    if error is None and _looks_binary(text):
        error = _not_csv("binär", "binary")
    if error is not None:
        preview.file_errors.append(error)
        return None
    return text


# --- matching, usernames, passwords ---------------------------------------------------------------------


class Person(Protocol):
    family_name: str
    given_name: str
    birth_date: date | None
    role: str | None


def _normalise(value: str | None) -> str:
    return unicodedata.normalize("NFC", " ".join(unicodedata.normalize("NFC", value or "").casefold().split()))


def match_key(person: Person) -> tuple[str, str, str]:
    """Identifies a person across imports. Works for RosterRow and accounts.models.User alike."""
    born = person.birth_date
    if isinstance(born, datetime):
        born = born.date()
    third = born.isoformat() if born else f"role:{person.role or ''}"
    return _normalise(person.family_name), _normalise(person.given_name), third


_TRANSLITERATION = str.maketrans({
    "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue",
    # Letters that NFKD does not split into base letter + mark.
    "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th",
    "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ı": "i", "ħ": "h", "Ħ": "h",
})


def _ascii_letters(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFC", value).translate(_TRANSLITERATION))
    return "".join(ch for ch in decomposed.lower() if "a" <= ch <= "z")


def make_username(given: str, family: str, taken: set[str]) -> str:
    """ "Björn", "Bauer" -> "bjoern.bauer"; "bjoern.bauer2", 3, ... if taken (compared case-insensitively).

    Does not add the result to ``taken``: the caller does, once the account is really created.
    """
    parts = [p for p in (_ascii_letters(given), _ascii_letters(family)) if p]
    base = ".".join(parts)[:MAX_USERNAME_BASE].strip(".") or "user"
    taken_lower = {name.lower() for name in taken}
    candidate, suffix = base, 2
    while candidate in taken_lower:
        candidate, suffix = f"{base}{suffix}", suffix + 1
    return candidate


# Lower case and digits without 0/o, 1/l/i: read aloud and typed by children, no shift key needed.
PASSWORD_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
PASSWORD_GROUPS = 3
PASSWORD_GROUP_LENGTH = 5


def password_entropy_bits() -> float:
    return PASSWORD_GROUPS * PASSWORD_GROUP_LENGTH * math.log2(len(PASSWORD_ALPHABET))


def initial_password() -> str:
    """One-time password like "k7mpx-3qahe-r9tdw" (≈74 bits); the user must change it at first login."""
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_LENGTH))
                    for _ in range(PASSWORD_GROUPS))
