"""The neutral shape of an exported document: sections with headings, paragraphs, key facts, tables and
charts. The plan and carrier builders fill it once; the PDF, DOCX and ODT writers each render it, so the
three documents cannot drift apart in content.

Table cells keep their type (Decimal money, int counts, dates, text) so that the spreadsheet writers
can store numbers as numbers; the text documents format them the German way (see `fmt`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# How a column's values are shown: text as is; int as 1.234; year as 2026 (no grouping); money as
# 1.234,56 €; number with up to two decimals (ratios, FTE); percent from a fraction (0.9 -> 90 %);
# date as 01.09.2026.
KINDS = ("text", "int", "year", "money", "number", "percent", "date")

Cell = str | int | Decimal | date | None


# Relative column widths by kind, for the writers that must set widths themselves (DOCX, ODT, sheets).
WEIGHTS = {"text": 3.0, "int": 1.0, "year": 1.0, "money": 2.0, "number": 1.2, "percent": 1.2, "date": 1.4}


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"
    weight: float = 0.0  # relative width; 0 means the default for the kind

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    @property
    def width(self) -> float:
        return self.weight or WEIGHTS[self.kind]


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]]
    caption: str = ""
    totals: tuple[Cell, ...] | None = None  # a bold last row, e.g. ("Summe", None, ..., Decimal("123.00"))

    def __post_init__(self):
        width = len(self.columns)
        for row in [*self.rows, *([self.totals] if self.totals else [])]:
            if len(row) != width:
                raise ValueError(f"table {self.caption!r}: row of {len(row)} cells for {width} columns")


@dataclass(frozen=True)
class Paragraph:
    text: str
    tone: str = "normal"  # "normal", "note" (smaller, grey) or "warning" (a finding that needs action)


@dataclass(frozen=True)
class Facts:
    """A short list of labelled values (Schulnummer, Schülerzahl ...), shown as a two-column list."""

    items: tuple[tuple[str, Cell, str], ...]  # (label, value, kind)


@dataclass(frozen=True)
class Bars:
    """A bar chart; the PDF draws it as inline SVG, the editable documents leave it out (the same
    figures are in a table beside it)."""

    title: str
    bars: tuple[tuple[str, Decimal | int], ...]  # (label, value)
    kind: str = "money"  # how the values are labelled: "money" or "int" (counts)


@dataclass(frozen=True)
class Sheet:
    """One worksheet of a spreadsheet export: a header row, then one row per record."""

    name: str  # at most 31 characters (Excel's limit)
    table: Table

    def __post_init__(self):
        if len(self.name) > 31:
            raise ValueError(f"sheet name longer than 31 characters: {self.name!r}")


@dataclass
class Workbook:
    title: str
    owner: str
    issued_on: date
    sheets: list[Sheet] = field(default_factory=list)
    lang: str = "de"


Block = Paragraph | Facts | Table | Bars


@dataclass
class Section:
    heading: str
    blocks: list[Block] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)
    new_page: bool = False  # start on a new page in paged output (e.g. each school of a carrier)


@dataclass
class Document:
    title: str  # "Medienentwicklungsplan"
    owner: str  # the school's (or the carrier's) name: printed on the title and in every page header
    issued_on: date
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)
    lang: str = "de"

    def walk(self):
        """Every (level, section) in reading order, level 1 for top-level sections."""
        def visit(sections, level):
            for section in sections:
                yield level, section
                yield from visit(section.subsections, level + 1)
        yield from visit(self.sections, 1)
