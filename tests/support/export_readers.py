"""Read exported documents back with independent readers (pypdf, python-docx, odfpy, openpyxl), so
that export tests assert on what a person or a portal would get out of the file."""

from __future__ import annotations

import io
import unicodedata
from decimal import Decimal

import docx
import openpyxl
import pypdf
from odf import style as odf_style
from odf import table as odf_table
from odf import teletype
from odf import text as odf_text
from odf.opendocument import load as load_odf


def clean(value: str) -> str:
    """NFC and plain spaces: the exports use no-break spaces inside amounts ('1.234,56 €')."""
    return unicodedata.normalize("NFC", value).replace("\u00a0", " ").strip()


def pdf_pages(data: bytes) -> list[str]:
    return [clean(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def pdf_lines(data: bytes) -> list[str]:
    return [line for page in pdf_pages(data) for line in page.splitlines()]


def joined(text: str) -> str:
    """Text with lines joined by spaces and words hyphenated at a line end (U+2010) made whole."""
    return text.replace("\u2010\n", "").replace("\n", " ")


# ------------------------------------------------------------------ DOCX


def docx_document(data: bytes):
    return docx.Document(io.BytesIO(data))


def docx_tables(data: bytes) -> list[list[list[str]]]:
    return [[[clean(cell.text) for cell in row.cells] for row in t.rows] for t in docx_document(data).tables]


def docx_headings(data: bytes) -> list[tuple[int, str]]:
    return [(int(p.style.name.split()[-1]), clean(p.text)) for p in docx_document(data).paragraphs
            if p.style.name.startswith("Heading ")]


def docx_footer_fields(data: bytes) -> list[str]:
    """The field instructions in the first section's footer, e.g. ['PAGE', 'NUMPAGES']."""
    footer = docx_document(data).sections[0].footer._element
    return [node.text.strip() for node in footer.iter() if node.tag.endswith("}instrText")]


# ------------------------------------------------------------------ ODT / ODS


def odf_document(data: bytes):
    return load_odf(io.BytesIO(data))


def odt_headings(data: bytes) -> list[tuple[int, str]]:
    return [(int(h.getAttribute("outlinelevel")), clean(teletype.extractText(h)))
            for h in odf_document(data).getElementsByType(odf_text.H)]


def odt_text(data: bytes) -> str:
    """All paragraphs, headings and table cells of the body, one per line."""
    body = odf_document(data).text
    return "\n".join(clean(teletype.extractText(node)) for node in body.getElementsByType(odf_text.P)
                     + body.getElementsByType(odf_text.H))


def odf_tables(data: bytes) -> dict[str, list[list[str]]]:
    """Each table (by name) as rows of cell texts."""
    tables = {}
    for t in odf_document(data).getElementsByType(odf_table.Table):
        tables[t.getAttribute("name")] = [
            [clean(teletype.extractText(cell)) for cell in row.getElementsByType(odf_table.TableCell)]
            for row in t.getElementsByType(odf_table.TableRow)]
    return tables


def ods_values(data: bytes) -> dict[str, list[list]]:
    """Each sheet's cells as typed values: Decimal for currency/float/percentage, else the text."""
    sheets = {}
    for t in odf_document(data).getElementsByType(odf_table.Table):
        rows = []
        for row in t.getElementsByType(odf_table.TableRow):
            values = []
            for cell in row.getElementsByType(odf_table.TableCell):
                kind = cell.getAttribute("valuetype")
                if kind in ("currency", "float", "percentage"):
                    values.append(Decimal(cell.getAttribute("value")))
                elif kind == "date":
                    values.append(cell.getAttribute("datevalue"))
                else:
                    values.append(clean(teletype.extractText(cell)))
            rows.append(values)
        sheets[t.getAttribute("name")] = rows
    return sheets


def odf_footer_text(data: bytes) -> tuple[str, int, int]:
    """The master page footer's text and how many page-number and page-count fields it has."""
    footer = odf_document(data).masterstyles.getElementsByType(odf_style.Footer)[0]
    return (clean(teletype.extractText(footer)), len(footer.getElementsByType(odf_text.PageNumber)),
            len(footer.getElementsByType(odf_text.PageCount)))


# ------------------------------------------------------------------ XLSX


def xlsx_values(data: bytes) -> dict[str, list[list]]:
    """Each sheet's rows as values; numbers come back as Decimal (via their shortest repr)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheets = {}
    for ws in book.worksheets:
        sheets[ws.title] = [[Decimal(repr(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                             for v in row] for row in ws.iter_rows(values_only=True)]
    return sheets


def xlsx_print_frame(data: bytes) -> dict[str, tuple[str, str, str, str]]:
    """Per sheet: (header left, header right, footer left, footer right) as printed."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: (ws.oddHeader.left.text, ws.oddHeader.right.text, ws.oddFooter.left.text,
                       ws.oddFooter.right.text) for ws in book.worksheets}
