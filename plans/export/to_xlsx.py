"""XLSX through openpyxl: one worksheet per table, header in row 1 and one record per row from row 2,
so the rows can be pasted into a funding portal or re-imported. Numbers are stored as numbers (money as
exact decimals with a EUR format), not as formatted text. The printed page carries owner, title, date
and 'Seite &P von &N'.
"""

from __future__ import annotations

import io
from datetime import datetime, time

from openpyxl import Workbook as new_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from plans.export.document import Workbook
from plans.export.fmt import long_date
from plans.export.texts import TEXTS

NUMBER_FORMATS = {"money": '#,##0.00 "€"', "int": "#,##0", "year": "0", "number": "#,##0.##", "percent": "0.##%",
                  "date": "DD.MM.YYYY", "text": "@"}
CHARS_PER_WEIGHT = 9


def render_xlsx(book: Workbook) -> bytes:
    t = TEXTS[book.lang]
    wb = new_workbook()
    wb.remove(wb.active)
    wb.properties.title = f"{book.title} – {book.owner}"
    wb.properties.creator = book.owner
    wb.properties.language = "de-DE"
    wb.properties.created = wb.properties.modified = datetime.combine(book.issued_on, time())
    bold = Font(bold=True)
    for sheet in book.sheets:
        ws = wb.create_sheet(sheet.name)
        columns = sheet.table.columns
        ws.append([col.header for col in columns])
        for cell in ws[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        rows = [*sheet.table.rows, *([sheet.table.totals] if sheet.table.totals else [])]
        for values in rows:
            ws.append(list(values))
        for i, col in enumerate(columns, start=1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = max(col.width * CHARS_PER_WEIGHT, len(col.header) + 2)
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = NUMBER_FORMATS[col.kind]
        if sheet.table.totals:
            for cell in ws[ws.max_row]:
                cell.font = bold
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.oddHeader.left.text = book.owner
        ws.oddHeader.right.text = f"{book.title}: {sheet.name}"
        ws.oddFooter.left.text = f"{t['issued']} {long_date(book.issued_on)}"
        ws.oddFooter.right.text = f"{t['page']} &P {t['of']} &N"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
