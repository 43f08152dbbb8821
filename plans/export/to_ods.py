"""ODS through odfpy: the same sheets as the XLSX. Cells carry typed values (office:value-type
currency/float/date) so LibreOffice computes with them; money keeps its exact decimal digits. The
printed page carries owner, title, date and 'Seite <page-number> von <page-count>'.
"""

from __future__ import annotations

import io
from decimal import Decimal

from odf import dc, meta
from odf.number import CurrencyStyle, CurrencySymbol, DateStyle, Day, Month, Number, NumberStyle, PercentageStyle
from odf.number import Text as NumberText
from odf.number import Year
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import (
    Footer,
    FooterStyle,
    Header,
    HeaderFooterProperties,
    HeaderStyle,
    MasterPage,
    PageLayout,
    PageLayoutProperties,
    ParagraphProperties,
    Style,
    TableColumnProperties,
    TableProperties,
    TextProperties,
)
from odf.table import Table, TableCell, TableColumn, TableHeaderRows, TableRow
from odf.text import P

from plans.export import fmt
from plans.export.document import Workbook
from plans.export.odf_fields import add_page_of_pages
from plans.export.texts import TEXTS

CM_PER_WEIGHT = 1.6


def _page_frame(ods: OpenDocumentSpreadsheet, book: Workbook) -> None:
    t = TEXTS[book.lang]
    layout = PageLayout(name="A4Landscape")
    layout.addElement(PageLayoutProperties(pagewidth="297mm", pageheight="210mm", printorientation="landscape",
                                           margin="12mm"))
    for frame in (HeaderStyle(), FooterStyle()):  # Calc prints header and footer only when declared
        frame.addElement(HeaderFooterProperties(minheight="6mm", margin="2mm"))
        layout.addElement(frame)
    ods.automaticstyles.addElement(layout)
    master = MasterPage(name="Default", pagelayoutname=layout)
    header = Header()
    header.addElement(P(text=f"{book.owner} – {book.title}"))
    footer, line = Footer(), P(text=f"{t['issued']} {fmt.long_date(book.issued_on)} – ")
    add_page_of_pages(line, book.lang)
    footer.addElement(line)
    master.addElement(header)
    master.addElement(footer)
    ods.masterstyles.addElement(master)


def _data_styles(ods: OpenDocumentSpreadsheet) -> dict[str, tuple[Style, Style]]:
    """Per column kind: a cell style that shows the value the German way, plain and bold (totals)."""
    def number(name, decimals, cls=NumberStyle, suffix=(), grouping="true"):
        data = cls(name=name, language="de", country="DE")
        data.addElement(Number(decimalplaces=str(decimals), minintegerdigits="1", grouping=grouping))
        for element in suffix:
            data.addElement(element)
        ods.styles.addElement(data)
        return data

    data = {
        "money": number("DataEUR", 2, CurrencyStyle,
                        (NumberText(text=" "), CurrencySymbol(language="de", country="DE", text="€"))),
        "int": number("DataInt", 0),
        "year": number("DataYear", 0, grouping="false"),
        "number": number("DataNumber", 2),
        "percent": number("DataPercent", 0, PercentageStyle, (NumberText(text=" %"),)),
    }
    day = DateStyle(name="DataDate", language="de", country="DE")
    for element in (Day(style="long"), NumberText(text="."), Month(style="long"), NumberText(text="."),
                    Year(style="long")):
        day.addElement(element)
    ods.styles.addElement(day)
    data["date"] = day
    styles = {}
    for kind, data_style in data.items():
        plain = Style(name=f"Cell{kind}", family="table-cell", datastylename=data_style)
        strong = Style(name=f"Cell{kind}Bold", family="table-cell", datastylename=data_style)
        strong.addElement(TextProperties(fontweight="bold"))
        ods.automaticstyles.addElement(plain)
        ods.automaticstyles.addElement(strong)
        styles[kind] = (plain, strong)
    return styles


def _typed_cell(value, kind: str, styles, bold: Style | None) -> TableCell:
    """A cell with its value typed for calculation and its German text for display."""
    text = fmt.cell(value, kind)
    if value is None or value == "" or isinstance(value, str) or kind == "text":
        cell = TableCell(valuetype="string", **({"stylename": bold} if bold else {}))
    else:
        style = styles[kind][1 if bold else 0]
        if kind == "money":
            cell = TableCell(valuetype="currency", currency="EUR", value=str(Decimal(value)), stylename=style)
        elif kind == "date":
            cell = TableCell(valuetype="date", datevalue=value.isoformat(), stylename=style)
        elif kind == "percent":
            cell = TableCell(valuetype="percentage", value=str(value), stylename=style)
        else:
            cell = TableCell(valuetype="float", value=str(value), stylename=style)
    if text:
        cell.addElement(P(text=text))
    return cell


def render_ods(book: Workbook) -> bytes:
    ods = OpenDocumentSpreadsheet()
    ods.meta.addElement(dc.Title(text=f"{book.title} – {book.owner}"))
    ods.meta.addElement(dc.Language(text="de-DE"))
    ods.meta.addElement(meta.CreationDate(text=book.issued_on.isoformat() + "T00:00:00"))
    _page_frame(ods, book)
    bold = Style(name="HeaderCell", family="table-cell")
    bold.addElement(TextProperties(fontweight="bold"))
    bold.addElement(ParagraphProperties(textalign="start"))
    ods.automaticstyles.addElement(bold)
    data_styles = _data_styles(ods)
    # Tables print through the master page (header and footer) named in their table style.
    table_style = Style(name="Sheet", family="table", masterpagename="Default")
    table_style.addElement(TableProperties(display="true"))
    ods.automaticstyles.addElement(table_style)
    for s, sheet in enumerate(book.sheets):
        table = Table(name=sheet.name, stylename=table_style)
        for i, col in enumerate(sheet.table.columns):
            width = Style(name=f"S{s}C{i}", family="table-column")
            width.addElement(TableColumnProperties(columnwidth=f"{col.width * CM_PER_WEIGHT:.1f}cm"))
            ods.automaticstyles.addElement(width)
            table.addElement(TableColumn(stylename=width))
        head, row = TableHeaderRows(), TableRow()  # header rows repeat on each printed page
        for col in sheet.table.columns:
            cell = TableCell(valuetype="string", stylename=bold)
            cell.addElement(P(text=col.header))
            row.addElement(cell)
        head.addElement(row)
        table.addElement(head)
        for values in sheet.table.rows:
            row = TableRow()
            for value, col in zip(values, sheet.table.columns):
                row.addElement(_typed_cell(value, col.kind, data_styles, None))
            table.addElement(row)
        if sheet.table.totals:
            row = TableRow()
            for value, col in zip(sheet.table.totals, sheet.table.columns):
                row.addElement(_typed_cell(value, col.kind, data_styles, bold))
            table.addElement(row)
        ods.spreadsheet.addElement(table)
    out = io.BytesIO()
    ods.write(out)
    return out.getvalue()
