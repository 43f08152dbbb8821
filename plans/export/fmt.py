"""German formatting of cell values for the text documents (PDF, DOCX, ODT).

Money is Decimal and shown with two decimals; an amount with more digits (a unit price of 33.335)
is shown with all of them rather than rounded, so that a document never hides a digit the
calculator used. The calculator's own figures are in cents.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "de_DE"
NBSP = "\u00a0"


def money(value: Decimal | int) -> str:
    return format_decimal(Decimal(value), format="#,##0.00########", locale=LOCALE) + NBSP + "€"


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


def table_cell(value, kind: str) -> str:
    """A cell of a text-document table: money without the € sign, which the header carries once
    ("Gesamt (€)"), so that wide cost tables fit the page."""
    if kind == "money" and value is not None and not isinstance(value, str):
        return money(value)[:-2]
    return cell(value, kind)


def table_header(header: str, kind: str) -> str:
    return f"{header} (€)" if kind == "money" else header


def is_numeric(kind: str) -> bool:
    """Numeric columns are right-aligned so that digits line up."""
    return kind in ("int", "year", "money", "number", "percent")
