"""Measure tables: the plan's list of measures with the calculator's line totals and eligibility,
for the text documents (section 7)."""

from __future__ import annotations

from decimal import Decimal

from plans.calculator import MeasureLine
from plans.export.document import Column, Table
from plans.model import Measure

# Why a line is not eligible, as the calculator names it.
REASONS = {
    "unknown_category": "unbekannte Kategorie",
    "not_eligible": "nicht förderfähig",
    "eligibility_unknown": "Förderfähigkeit unbekannt",
    "link_missing": "ohne förderfähige Investition",
}


def eligibility(line: MeasureLine) -> str:
    return "ja" if line.eligible else REASONS.get(line.reason, "nein")


def measure_table(measures: list[Measure], lines: list[MeasureLine], total: Decimal,
                  caption: str = "Maßnahmen") -> Table:
    """One row per measure in the plan's order; `lines` are the calculator's lines for them and
    `total` its sum of them (MoneySplit.total)."""
    rows = []
    for line in lines:
        m = measures[line.index]
        rows.append((m.id, m.year, m.description, line.category_name_de, m.quantity, m.unit, m.unit_price,
                     line.total, eligibility(line)))
    columns = (Column("Nr.", weight=0.9), Column("Jahr", "year", weight=1.1), Column("Maßnahme", weight=2.7),
               Column("Kategorie", weight=2.7), Column("Menge", "number", weight=1), Column("Einheit", weight=1.1),
               Column("Einzelpreis", "money", weight=1.7), Column("Gesamt", "money", weight=2),
               Column("förderfähig", weight=1.5))
    return Table(columns, rows, caption=caption,
                 totals=("Summe", None, None, None, None, None, None, total, None))
