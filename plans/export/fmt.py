"""German formatting of cell values for the text documents (PDF, DOCX, ODT).

Money is Decimal and shown with two decimals, rounded half up (commercial rounding, as German forms
expect); the calculator's figures are already in cents, so this rounding only ever touches inputs with
more digits.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "de_DE"
CENT = Decimal("0.01")
NBSP = "\u00a0"


def money(value: Decimal | int) -> str:
    amount = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    return format_decimal(amount, format="#,##0.00", locale=LOCALE) + NBSP + "€"


def integer(value: int) -> str:
    return format_decimal(value, format="#,##0", locale=LOCALE)


def number(value: Decimal | int | float) -> str:
    return format_decimal(Decimal(str(value)), format="#,##0.##", locale=LOCALE)


def percent(fraction: Decimal | int | float) -> str:
    return format_decimal(Decimal(str(fraction)) * 100, format="#,##0.##", locale=LOCALE) + NBSP + "%"


def short_date(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def long_date(value: date) -> str:
    """'27. November 2026': the date printed under the title."""
    return format_date(value, format="long", locale=LOCALE)


def cell(value, kind: str) -> str:
    """A table cell as text; empty cells stay empty rather than showing 'None' or 0."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    return {"int": integer, "year": str, "money": money, "number": number, "percent": percent,
            "date": short_date}.get(kind, str)(value)


def is_numeric(kind: str) -> bool:
    """Numeric columns are right-aligned so that digits line up."""
    return kind in ("int", "year", "money", "number", "percent")
