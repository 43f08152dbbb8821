"""The record of processing (records.py) as a page's context, a PDF (WeasyPrint) or an ODT (odfpy).

The PDF and the page share one template body (``privacy/_records_body.html``); the print version is a
standalone page with its own styles, rendered without the app's layout, navigation or scripts.
"""

from __future__ import annotations

import io
from pathlib import Path

import jinja2

from schoolcloud.privacy.records import L, Records, Value
from schoolcloud.web.pdf import html_to_pdf

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
TITLE = L("Verzeichnis von Verarbeitungstätigkeiten und technische und organisatorische Maßnahmen",
          "Record of processing activities and technical and organisational measures")
FILE_NAME = L("verarbeitungsverzeichnis", "records-of-processing")


def text_for(locale: str):
    def text(value: Value) -> str:
        return value.get(locale) if isinstance(value, L) else str(value)
    return text


def intro(records: Records) -> L:
    stamp = records.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    return L(f"Erstellt am {stamp} aus der laufenden Konfiguration und der Datenbank dieser Installation "
             f"für {records.school.name}. Zahlen und Einstellungen gelten für diesen Zeitpunkt.",
             f"Generated on {stamp} from the running configuration and the database of this installation "
             f"for {records.school.name}. Figures and settings are those of that moment.")


def context(records: Records, locale: str, with_locale: bool = True) -> dict:
    """What the templates need; the app's own pages get ``locale`` from render() already."""
    values = {"records": records, "text": text_for(locale), "title": TITLE, "intro": intro(records)}
    return {**values, "locale": locale} if with_locale else values


def file_name(records: Records, locale: str, extension: str) -> str:
    return f"{FILE_NAME.get(locale)}-{records.school.id}-{records.generated_at:%Y-%m-%d}.{extension}"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                              undefined=jinja2.StrictUndefined)


def print_html(records: Records, locale: str) -> str:
    return _environment().get_template("privacy/records_print.html").render(**context(records, locale))


def pdf(records: Records, locale: str) -> bytes:
    return html_to_pdf(print_html(records, locale), "the record of processing")


def odt(records: Records, locale: str) -> bytes:
    # odfpy is imported here for the same reason as WeasyPrint: few processes ever write one.
    from odf.opendocument import OpenDocumentText
    from odf.style import ParagraphProperties, Style, TableColumnProperties, TextProperties
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, P

    text = text_for(locale)
    doc = OpenDocumentText()
    label_style = Style(name="Label", family="paragraph")
    label_style.addElement(TextProperties(color="#333333"))
    label_style.addElement(ParagraphProperties(marginright="0.2cm"))
    doc.automaticstyles.addElement(label_style)
    narrow = Style(name="LabelColumn", family="table-column")
    narrow.addElement(TableColumnProperties(columnwidth="6cm"))
    wide = Style(name="ValueColumn", family="table-column")
    wide.addElement(TableColumnProperties(columnwidth="11cm"))
    for style in (narrow, wide):
        doc.automaticstyles.addElement(style)

    doc.text.addElement(H(outlinelevel=1, text=text(TITLE)))
    doc.text.addElement(P(text=text(intro(records))))

    def table(part) -> None:
        grid = Table(name=part.id)
        grid.addElement(TableColumn(stylename=narrow))
        grid.addElement(TableColumn(stylename=wide))
        for label, value in part.rows:
            row = TableRow()
            for content, style in ((text(label), label_style), (text(value), None)):
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=content, stylename=style) if style else P(text=content))
                row.addElement(cell)
            grid.addElement(row)
        doc.text.addElement(grid)

    for part in records.parts:
        doc.text.addElement(H(outlinelevel=2, text=text(part.title)))
        if part.rows:
            table(part)
        for sub in part.parts:
            doc.text.addElement(H(outlinelevel=3, text=text(sub.title)))
            table(sub)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()
