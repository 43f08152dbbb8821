"""DOCX through python-docx: the same content as the PDF, editable in Word or LibreOffice. The header
carries the owner and the title, the footer the date and 'Seite {PAGE} von {NUMPAGES}' as Word fields,
so the numbers stay right after editing.
"""

from __future__ import annotations

import io
from datetime import datetime, time

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Mm, Pt, RGBColor

from plans.export import fmt
from plans.export.document import Bars, Document, Facts, Paragraph, Table
from plans.export.texts import TEXTS

FONT = "DejaVu Sans"
TEXT_WIDTH = Mm(210 - 18 - 18)
TABLE_FONT_SIZE = Pt(8.5)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) as begin/instruction/separate/placeholder/end runs."""
    def char(kind):
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run._r.append(element)

    char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    char("separate")
    paragraph.add_run("1")  # shown until the application updates the field
    char("end")


def _right_tab(paragraph) -> None:
    """One right-aligned tab at the right margin; the built-in header/footer styles' centre and right
    stops (for Letter paper) are cleared so the tab lands at the margin."""
    stops = paragraph.paragraph_format.tab_stops
    for inches in (3.25, 6.5):
        stops.add_tab_stop(Inches(inches), WD_TAB_ALIGNMENT.CLEAR)
    stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)


def _header_footer(docx, doc: Document) -> None:
    t = TEXTS[doc.lang]
    section = docx.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin, section.bottom_margin = Mm(22), Mm(20)
    header = section.header.paragraphs[0]
    _right_tab(header)
    header.add_run(f"{doc.owner}\t{doc.title}").font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    _right_tab(footer)
    footer.add_run(f"{t['issued']} {fmt.long_date(doc.issued_on)}\t{t['page']} ")
    _field(footer, "PAGE")
    footer.add_run(f" {t['of']} ")
    _field(footer, "NUMPAGES")
    for run in footer.runs:
        run.font.size = Pt(8)


def _repeat_header_row(row) -> None:
    # Word's "repeat as header row at the top of each page".
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(element)


def _table(docx, table: Table) -> None:
    if table.caption:
        docx.add_paragraph(table.caption, style="Caption")
    rows = [*table.rows, *([table.totals] if table.totals else [])]
    grid = docx.add_table(rows=1 + len(rows), cols=len(table.columns), style="Table Grid")
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    total = sum(col.width for col in table.columns)
    for i, col in enumerate(table.columns):
        width = int(TEXT_WIDTH * col.width / total)
        grid.columns[i].width = width
        for cell in grid.columns[i].cells:
            cell.width = width  # Word reads the cell widths, LibreOffice the grid
    numeric = [fmt.is_numeric(col.kind) for col in table.columns]
    for i, col in enumerate(table.columns):
        cell = grid.rows[0].cells[i]
        run = cell.paragraphs[0].add_run(fmt.table_header(col.header, col.kind))
        run.bold, run.font.size = True, TABLE_FONT_SIZE
        if numeric[i]:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _repeat_header_row(grid.rows[0])
    for r, values in enumerate(rows, start=1):
        cells = grid.rows[r].cells
        for i, value in enumerate(values):
            paragraph = cells[i].paragraphs[0]
            run = paragraph.add_run(fmt.table_cell(value, table.columns[i].kind))
            run.bold = bool(table.totals) and r == len(rows)
            run.font.size = TABLE_FONT_SIZE
            if numeric[i]:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    docx.add_paragraph()


def _block(docx, block) -> None:
    if isinstance(block, Paragraph):
        paragraph = docx.add_paragraph(block.text)
        if block.tone == "note":
            paragraph.runs[0].font.size = Pt(8.5)
            paragraph.runs[0].font.color.rgb = RGBColor(0x44, 0x44, 0x44)
        elif block.tone == "warning":
            paragraph.runs[0].font.color.rgb = RGBColor(0xA4, 0x00, 0x00)
    elif isinstance(block, Facts):
        for label, value, kind in block.items:
            paragraph = docx.add_paragraph()
            paragraph.paragraph_format.space_after = Pt(0)
            paragraph.add_run(f"{label}: ").bold = True
            paragraph.add_run(fmt.cell(value, kind) or "–")
        docx.add_paragraph()
    elif isinstance(block, Table):
        _table(docx, block)
    elif isinstance(block, Bars):
        pass  # the figures are in the table beside the chart; charts are for the PDF
    else:
        raise TypeError(f"unknown block {type(block).__name__}")


def render_docx(doc: Document) -> bytes:
    docx = new_docx()
    style = docx.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(10)
    props = docx.core_properties
    props.title, props.subject, props.language = f"{doc.title} – {doc.owner}", doc.subtitle, "de-DE"
    props.author = props.last_modified_by = doc.owner
    # The issue date, not the wall clock: the same plan gives the same document properties.
    props.created = props.modified = datetime.combine(doc.issued_on, time())
    props.revision = 1
    _header_footer(docx, doc)
    docx.add_heading(doc.title, level=0)
    docx.add_paragraph().add_run(doc.owner).bold = True
    if doc.subtitle:
        docx.add_paragraph(doc.subtitle)
    docx.add_paragraph(f"{TEXTS[doc.lang]['issued']} {fmt.long_date(doc.issued_on)}")
    for level, section in doc.walk():
        heading = docx.add_heading(section.heading, level=min(level, 9))
        heading.paragraph_format.page_break_before = section.new_page
        for block in section.blocks:
            _block(docx, block)
    out = io.BytesIO()
    docx.save(out)
    return out.getvalue()
