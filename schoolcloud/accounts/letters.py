"""Access letters: one printed page per person with the login name and the one-time password.

Pure: takes the data, returns PDF bytes. The HTML must not reference anything external (the PDF holds
passwords, and rendering must not depend on the network), so fonts come from the local system only and
every URL fetch is refused.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from pathlib import Path

import jinja2

from schoolcloud.accounts.csv_import import grade_for_class
from schoolcloud.web.pdf import html_to_pdf

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
TEMPLATE = "accounts/access_letters.html"
TEACHERS_GROUP = {"de": "Lehrkräfte", "en": "Teachers"}

TEXTS = {
    "de": {
        "title": "Zugangsdaten",
        "class": "Klasse",
        "teacher": "Lehrkraft",
        "login_url": "Anmeldeseite",
        "username": "Benutzername",
        "password": "Einmalpasswort",
        "instructions": [
            "Öffne die Anmeldeseite und melde dich mit deinem Benutzernamen und dem Einmalpasswort an.",
            "Bei der ersten Anmeldung wirst du aufgefordert, ein eigenes neues Passwort zu wählen. "
            "Das Einmalpasswort gilt danach nicht mehr.",
            "Bewahre diesen Brief sicher auf und gib ihn nicht weiter. Dein Passwort verrät die Schule "
            "niemals per Telefon oder E-Mail.",
        ],
        "issued": "Ausgestellt am",
        "page": "Seite",
        "of": "von",
    },
    "en": {
        "title": "Your login details",
        "class": "Class",
        "teacher": "Teacher",
        "login_url": "Login page",
        "username": "Username",
        "password": "One-time password",
        "instructions": [
            "Open the login page and sign in with your username and the one-time password.",
            "At your first login you will be asked to choose a new password of your own. "
            "The one-time password stops working after that.",
            "Keep this letter private and do not pass it on. The school never asks for your password "
            "by phone or email.",
        ],
        "issued": "Issued on",
        "page": "Page",
        "of": "of",
    },
}


@dataclass(frozen=True)
class AccessLetter:
    given_name: str
    family_name: str
    class_name: str | None  # None or "" for teachers
    username: str
    password: str


def _pdf(html: str) -> bytes:
    return html_to_pdf(html, "access letters")


def _collation_key(value: str) -> str:
    # Dictionary order (DIN 5007-1): "Öztürk" sorts with O, not after Z.
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _class_key(class_name: str | None) -> tuple:
    if not class_name:
        return (2, 0, "")  # teachers last
    grade = grade_for_class(class_name)
    # Natural order: 5a < 10b < EF < Q1; names without a grade after those with one.
    return (0, grade, _collation_key(class_name)) if grade is not None else (1, 0, _collation_key(class_name))


def letter_order(letter: AccessLetter) -> tuple:
    return (_class_key(letter.class_name), _collation_key(letter.family_name),
            _collation_key(letter.given_name), letter.username)


def sorted_letters(letters: list[AccessLetter]) -> list[AccessLetter]:
    return sorted(letters, key=letter_order)


def _groups(letters: list[AccessLetter], locale: str) -> list[dict]:
    ordered = sorted_letters(letters)
    groups = []
    for class_key, members in groupby(ordered, key=lambda letter: _class_key(letter.class_name)):
        members = list(members)
        label = members[0].class_name or TEACHERS_GROUP[locale]
        groups.append({"label": label, "is_teachers": class_key[0] == 2, "letters": members})
    return groups


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # names come from an uploaded file
        undefined=jinja2.StrictUndefined,
    )


def render_access_letters_html(school_name: str, letters: list[AccessLetter], *, locale: str = "de",
                               login_url: str, issued_on: date | None = None) -> str:
    from babel.dates import format_date  # with its locale data: only in the processes that print letters

    if locale not in TEXTS:
        raise ValueError(f"unsupported locale {locale!r}")
    return _environment().get_template(TEMPLATE).render(
        school_name=school_name,
        groups=_groups(letters, locale),
        login_url=login_url,
        issued_on=format_date(issued_on or date.today(), format="long", locale=locale),
        t=TEXTS[locale],
        lang=locale,
    )


def render_access_letters(school_name: str, letters: list[AccessLetter], *, locale: str = "de",
                          login_url: str, issued_on: date | None = None) -> bytes:
    """A PDF with one page per person, grouped by class (natural order), teachers last."""
    if not letters:
        raise ValueError("no letters to render")
    html = render_access_letters_html(school_name, letters, locale=locale, login_url=login_url,
                                      issued_on=issued_on)
    return _pdf(html)
