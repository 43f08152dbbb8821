"""Translations: German first, English second.

Message ids are English; the German catalogue translates them. Catalogues are read from the .po files at
start-up (compiled in memory by `schoolcloud.web.po`), so there is no build step a newcomer could forget.
"""

from __future__ import annotations

import contextvars
import gettext
import io
from pathlib import Path

from schoolcloud.web.po import compile_po

LOCALES = ("de", "en")
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"

current_locale: contextvars.ContextVar[str] = contextvars.ContextVar("current_locale", default="de")
_catalogues: dict[str, gettext.NullTranslations] = {}


def _load(locale: str) -> gettext.NullTranslations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(compile_po(po_path.read_text(encoding="utf-8"))))


def translations(locale: str) -> gettext.NullTranslations:
    if locale not in _catalogues:
        _catalogues[locale] = _load(locale)
    return _catalogues[locale]


def gettext_(message: str, **params) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text % params if params else text


def ngettext_(singular: str, plural: str, n: int, **params) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


def in_locale(locale: str, message: str, **params) -> str:
    text = translations(locale).gettext(message)
    return text % params if params else text


def negotiate(accept_language: str, default: str) -> str:
    """Pick de or en from an Accept-Language header, honouring q-values."""
    choices = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        primary = tag.strip().split("-")[0].lower()
        if primary in LOCALES:
            choices.append((-weight, index, primary))
    return min(choices)[2] if choices else default


def N_(message: str) -> str:
    """Mark a message for extraction where it is translated later (module-level tables)."""
    return message


_ = gettext_
