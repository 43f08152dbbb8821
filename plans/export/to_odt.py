"""ODT through odfpy: the same content as the PDF, editable in LibreOffice. Headings carry outline
levels (the navigator and a table of contents see them); the footer holds the date and
'Seite <page-number> von <page-count>' as fields.
"""

from __future__ import annotations

import io

from odf import dc, meta
from odf.opendocument import OpenDocumentText
from odf.style import (
    Footer,
    Header,
    MasterPage,
    PageLayout,
    PageLayoutProperties,
    ParagraphProperties,
    Style,
    TableCellProperties,
    TableColumnProperties,
    TableProperties,
    TabStop,
    TabStops,
    TextProperties,
)
from odf.table import Table as OdfTable
from odf.table import TableCell, TableColumn, TableHeaderRows, TableRow
from odf.text import H, P, Span, Tab

from plans.export import fmt
from plans.export.document import Bars, Document, Facts, Paragraph, Table
from plans.export.odf_fields import add_page_of_pages
from plans.export.texts import TEXTS

FONT = "DejaVu Sans"


class _Styles:
    """The named and automatic styles one document needs, created once per document."""

    def __init__(self, odt: OpenDocumentText):
        add_named, add_auto = odt.styles.addElement, odt.automaticstyles.addElement

        def style(add, name, family, parent=None, text=None, para=None, **extra):
            element = Style(name=name, family=family, **({"parentstylename": parent} if parent else {}), **extra)
            if para:
                element.addElement(ParagraphProperties(**para))
            if text:
                element.addElement(TextProperties(**text))
            add(element)
            return element

        self.normal = style(add_named, "Standard", "paragraph",
                            text={"fontfamily": FONT, "fontsize": "10pt"}, para={"marginbottom": "2mm"})
        self.title = style(add_named, "Title", "paragraph", "Standard",
                           text={"fontsize": "20pt", "fontweight": "bold"}, para={"margintop": "20mm"})
        self.headings = {
            level: style(add_named, f"Heading_20_{level}", "paragraph", "Standard",
                         text={"fontsize": size, "fontweight": "bold"},
                         para={"margintop": "5mm", "marginbottom": "2mm", "keepwithnext": "always"},
                         displayname=f"Heading {level}", defaultoutlinelevel=str(level))
            for level, size in ((1, "14pt"), (2, "12pt"), (3, "10.5pt"), (4, "10pt"))}
        self.heading_new_page = {
            level: style(add_auto, f"H{level}NewPage", "paragraph", f"Heading_20_{level}",
                         para={"breakbefore": "page"}) for level in self.headings}
        self.caption = style(add_named, "Caption", "paragraph", "Standard", text={"fontweight": "bold"})
        self.small = style(add_named, "Note", "paragraph", "Standard",
                           text={"fontsize": "8.5pt", "color": "#444444"})
        self.warning = style(add_named, "Warning", "paragraph", "Standard", text={"color": "#a40000"})
        self.bold = style(add_auto, "Bold", "text", text={"fontweight": "bold"})
        self.cell_text = style(add_named, "Table_20_Contents", "paragraph", "Standard",
                               text={"fontsize": "8.5pt"}, para={"marginbottom": "0mm"},
                               displayname="Table Contents")
        self.cell_number = style(add_auto, "TableNumber", "paragraph", "Table_20_Contents",
                                 para={"textalign": "end"})
        self.cell = style(add_auto, "Cell", "table-cell")
        self.cell.addElement(TableCellProperties(padding="0.8mm", borderbottom="0.5pt solid #999999"))
        self.page_line = style(add_named, "PageLine", "paragraph", "Standard", text={"fontsize": "8pt"})
        self.page_line.addElement(ParagraphProperties())
        tabs = TabStops()
        tabs.addElement(TabStop(position="174mm", type="right"))
        self.page_line.getElementsByType(ParagraphProperties)[0].addElement(tabs)
        self._tables = 0
        self._odt = odt

    def table(self, columns) -> tuple[Style, list[Style]]:
        """A full-width table style and one column style per column, wide in proportion to its weight."""
        self._tables += 1
        table = Style(name=f"Table{self._tables}", family="table")
        table.addElement(TableProperties(width="174mm", align="margins"))
        self._odt.automaticstyles.addElement(table)
        total = sum(col.width for col in columns)
        widths = []
        for i, col in enumerate(columns):
            column = Style(name=f"Table{self._tables}Col{i}", family="table-column")
            column.addElement(TableColumnProperties(columnwidth=f"{174 * col.width / total:.2f}mm"))
            self._odt.automaticstyles.addElement(column)
            widths.append(column)
        return table, widths


def _page_frame(odt: OpenDocumentText, styles: _Styles, doc: Document) -> None:
    t = TEXTS[doc.lang]
    layout = PageLayout(name="A4")
    layout.addElement(PageLayoutProperties(pagewidth="210mm", pageheight="297mm", printorientation="portrait",
                                           margintop="12mm", marginbottom="10mm",
                                           marginleft="18mm", marginright="18mm"))
    odt.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    header, head_line = Header(), P(stylename=styles.page_line, text=doc.owner)
    head_line.addElement(Tab())
    head_line.addText(doc.title)
    header.addElement(head_line)
    footer, foot_line = Footer(), P(stylename=styles.page_line,
                                    text=f"{t['issued']} {fmt.long_date(doc.issued_on)}")
    foot_line.addElement(Tab())
    add_page_of_pages(foot_line, doc.lang)
    footer.addElement(foot_line)
    master.addElement(header)
    master.addElement(footer)
    odt.masterstyles.addElement(master)


def _table(odt, styles: _Styles, table: Table) -> None:
    if table.caption:
        odt.text.addElement(P(stylename=styles.caption, text=table.caption))
    table_style, column_styles = styles.table(table.columns)
    grid = OdfTable(name=table_style.getAttribute("name").replace("Table", "Tabelle"), stylename=table_style)
    for column_style in column_styles:
        grid.addElement(TableColumn(stylename=column_style))
    numeric = [fmt.is_numeric(col.kind) for col in table.columns]

    def row(values, bold=False, header=False):
        element = TableRow()
        for i, value in enumerate(values):
            cell = TableCell(valuetype="string", stylename=styles.cell)
            text = value if header else fmt.table_cell(value, table.columns[i].kind)
            paragraph = P(stylename=styles.cell_number if numeric[i] else styles.cell_text)
            if bold or header:
                paragraph.addElement(Span(stylename=styles.bold, text=text))
            else:
                paragraph.addText(text)
            cell.addElement(paragraph)
            element.addElement(cell)
        return element

    head = TableHeaderRows()  # repeated on each page
    head.addElement(row([fmt.table_header(col.header, col.kind) for col in table.columns], header=True))
    grid.addElement(head)
    for values in table.rows:
        grid.addElement(row(values))
    if table.totals:
        grid.addElement(row(table.totals, bold=True))
    odt.text.addElement(grid)
    odt.text.addElement(P(stylename=styles.normal))


def _block(odt, styles: _Styles, block) -> None:
    if isinstance(block, Paragraph):
        style = {"note": styles.small, "warning": styles.warning}.get(block.tone, styles.normal)
        odt.text.addElement(P(stylename=style, text=block.text))
    elif isinstance(block, Facts):
        for label, value, kind in block.items:
            paragraph = P(stylename=styles.normal)
            paragraph.addElement(Span(stylename=styles.bold, text=f"{label}: "))
            paragraph.addText(fmt.cell(value, kind) or "–")
            odt.text.addElement(paragraph)
    elif isinstance(block, Table):
        _table(odt, styles, block)
    elif isinstance(block, Bars):
        pass  # the figures are in the table beside the chart; charts are for the PDF
    else:
        raise TypeError(f"unknown block {type(block).__name__}")


def render_odt(doc: Document) -> bytes:
    odt = OpenDocumentText()
    odt.meta.addElement(dc.Title(text=f"{doc.title} – {doc.owner}"))
    odt.meta.addElement(dc.Language(text="de-DE"))
    odt.meta.addElement(meta.CreationDate(text=doc.issued_on.isoformat() + "T00:00:00"))
    styles = _Styles(odt)
    _page_frame(odt, styles, doc)
    odt.text.addElement(P(stylename=styles.title, text=doc.title))
    odt.text.addElement(P(stylename=styles.caption, text=doc.owner))
    if doc.subtitle:
        odt.text.addElement(P(stylename=styles.normal, text=doc.subtitle))
    odt.text.addElement(P(stylename=styles.normal,
                          text=f"{TEXTS[doc.lang]['issued']} {fmt.long_date(doc.issued_on)}"))
    for level, section in doc.walk():
        level = min(level, 4)
        style = styles.heading_new_page[level] if section.new_page else styles.headings[level]
        odt.text.addElement(H(outlinelevel=level, stylename=style, text=section.heading))
        for block in section.blocks:
            _block(odt, styles, block)
    out = io.BytesIO()
    odt.write(out)
    return out.getvalue()
