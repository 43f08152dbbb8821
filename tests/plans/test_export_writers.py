"""The five document writers on one hand-built document: each file, read back by an independent
reader, has the owner, the date, page numbers, the headings at their levels and the table cells."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pypdf
import pytest

from plans.export.document import Bars, Column, Document, Facts, Paragraph, Section, Sheet, Table, Workbook
from plans.export.to_docx import render_docx
from plans.export.to_ods import render_ods
from plans.export.to_odt import render_odt
from plans.export.to_pdf import render_pdf
from plans.export.to_xlsx import render_xlsx
from tests.support.export_readers import (
    docx_document,
    docx_footer_fields,
    docx_headings,
    docx_tables,
    odf_footer_text,
    odf_tables,
    ods_values,
    odt_headings,
    pdf_pages,
    xlsx_print_frame,
    xlsx_values,
)

ISSUED = date(2026, 9, 1)
OWNER = "Grundschule Äpfelstraße"
COLUMNS = (Column("Maßnahme"), Column("Jahr", "year"), Column("Menge", "int"), Column("Einzelpreis", "money"),
           Column("Gesamt", "money"))


def measures_table(rows: int = 80) -> Table:
    data = [(f"Interaktive Tafel Raum {i}", 2025 + i % 2, 2, Decimal("3999.99"), Decimal("7999.98"))
            for i in range(rows)]
    return Table(COLUMNS, data, caption="Maßnahmen",
                 totals=("Summe", None, 2 * rows, None, Decimal("7999.98") * rows))


def document(rows: int = 80) -> Document:
    return Document(
        "Medienentwicklungsplan", OWNER, ISSUED, subtitle="DigitalPakt Schule Niedersachsen 2019–2024",
        sections=[
            Section("1. Schulprofil und Ziele", [
                Facts((("Schulnummer", "12345", "text"), ("Schülerinnen und Schüler", 1234, "int"))),
                Paragraph("Wir lernen <img src=http://example.invalid/x.png> mit Medien & mehr."),
            ], [Section("Ziele", [Paragraph("Jede Klasse hat eine Tafel.")])]),
            Section("7. Maßnahmen, Zeitplan und Kosten", [
                measures_table(rows),
                Bars("Kosten je Jahr", (("2025", Decimal("319999.20")), ("2026", Decimal("319999.20")))),
            ], new_page=True),
        ])


def test_pdf_has_owner_date_page_numbers_headings_and_table():
    pages = pdf_pages(render_pdf(document()))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Seite {number} von {len(pages)}" in text
        assert "Stand: 1. September 2026" in text
    for text in pages[1:]:
        assert OWNER in text and "Medienentwicklungsplan" in text  # running header after the title page
    full = "\n".join(pages)
    for heading in ("Medienentwicklungsplan", OWNER, "1. Schulprofil und Ziele", "Ziele",
                    "7. Maßnahmen, Zeitplan und Kosten"):
        assert heading in full
    assert "Schülerinnen und Schüler 1.234" in full
    assert "Einzelpreis (€) Gesamt (€)" in full
    assert "Interaktive Tafel Raum 79 2026 2 3.999,99 7.999,98" in full
    assert "Summe 160 639.998,40" in full
    # Text is text: markup in the plan is printed, never loaded.
    assert "<img src=http://example.invalid/x.png> mit Medien & mehr." in full
    # Section 7 starts a new page.
    assert "7. Maßnahmen" not in pages[0]


def test_pdf_is_deterministic_and_tagged_in_german():
    pdf = render_pdf(document(5))
    assert pdf == render_pdf(document(5))
    catalog = pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert catalog["/Lang"] == "de" and "/StructTreeRoot" in catalog  # tagged for screen readers


def test_docx_has_headings_fields_and_table():
    data = render_docx(document())
    assert docx_headings(data) == [(1, "1. Schulprofil und Ziele"), (2, "Ziele"),
                                   (1, "7. Maßnahmen, Zeitplan und Kosten")]
    assert docx_footer_fields(data) == ["PAGE", "NUMPAGES"]
    doc = docx_document(data)
    footer = doc.sections[0].footer.paragraphs[0].text
    assert footer.startswith("Stand: 1. September 2026\tSeite ")
    assert doc.sections[0].header.paragraphs[0].text == f"{OWNER}\tMedienentwicklungsplan"
    assert doc.paragraphs[0].text == "Medienentwicklungsplan" and doc.paragraphs[1].text == OWNER
    [grid] = docx_tables(data)
    assert grid[0] == ["Maßnahme", "Jahr", "Menge", "Einzelpreis (€)", "Gesamt (€)"]
    assert grid[80] == ["Interaktive Tafel Raum 79", "2026", "2", "3.999,99", "7.999,98"]
    assert grid[-1] == ["Summe", "", "160", "", "639.998,40"]


def test_odt_has_headings_fields_and_table():
    data = render_odt(document())
    assert odt_headings(data) == [(1, "1. Schulprofil und Ziele"), (2, "Ziele"),
                                  (1, "7. Maßnahmen, Zeitplan und Kosten")]
    footer, page_numbers, page_counts = odf_footer_text(data)
    assert footer.startswith("Stand: 1. September 2026") and "Seite" in footer and " von " in footer
    assert (page_numbers, page_counts) == (1, 1)
    [grid] = odf_tables(data).values()
    assert grid[0] == ["Maßnahme", "Jahr", "Menge", "Einzelpreis (€)", "Gesamt (€)"]
    assert grid[80] == ["Interaktive Tafel Raum 79", "2026", "2", "3.999,99", "7.999,98"]
    assert grid[-1] == ["Summe", "", "160", "", "639.998,40"]


def workbook() -> Workbook:
    return Workbook("Kosten- und Maßnahmenplan", OWNER, ISSUED, [Sheet("Maßnahmen", measures_table(3))])


def test_xlsx_stores_numbers_and_prints_frame():
    data = render_xlsx(workbook())
    rows = xlsx_values(data)["Maßnahmen"]
    assert rows[0] == ["Maßnahme", "Jahr", "Menge", "Einzelpreis", "Gesamt"]
    assert rows[1] == ["Interaktive Tafel Raum 0", 2025, 2, Decimal("3999.99"), Decimal("7999.98")]
    assert rows[-1] == ["Summe", None, 6, None, Decimal("23999.94")]
    assert xlsx_print_frame(data)["Maßnahmen"] == (
        OWNER, "Kosten- und Maßnahmenplan: Maßnahmen", "Stand: 1. September 2026", "Seite &P von &N")


def test_ods_stores_typed_values_and_prints_frame():
    data = render_ods(workbook())
    rows = ods_values(data)["Maßnahmen"]
    assert rows[0] == ["Maßnahme", "Jahr", "Menge", "Einzelpreis", "Gesamt"]
    assert rows[1] == ["Interaktive Tafel Raum 0", 2025, 2, Decimal("3999.99"), Decimal("7999.98")]
    assert rows[-1] == ["Summe", "", 6, "", Decimal("23999.94")]
    footer, page_numbers, page_counts = odf_footer_text(data)
    assert footer.startswith("Stand: 1. September 2026") and (page_numbers, page_counts) == (1, 1)


def test_rows_must_fit_the_columns():
    with pytest.raises(ValueError, match="row of 2 cells for 5 columns"):
        Table(COLUMNS, [("a", 1)])
    with pytest.raises(ValueError, match="unknown column kind"):
        Column("x", "euro")
