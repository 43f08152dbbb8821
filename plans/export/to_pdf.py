"""PDF through WeasyPrint: the document as HTML, page header (owner, title), footer (date, 'Seite x
von y' from CSS page counters), tagged as PDF/UA-1. Like the access letters, nothing may be fetched: fonts come from the
machine, charts are inline SVG, and any URL is refused.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from plans.export import fmt
from plans.export.document import Bars, Document, Table
from plans.export.texts import TEXTS

TEMPLATES = Path(__file__).with_name("templates")


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("document.html")


def bars_svg(chart: Bars, width: int = 500, bar_height: int = 14) -> Markup:
    """Horizontal bars scaled to the largest value, each labelled with its amount."""
    label_w, value_w, gap = 220, 80, 4
    top = max((value for _, value in chart.bars), default=Decimal(0)) or Decimal(1)
    span = width - label_w - value_w
    rows = []
    for i, (label, value) in enumerate(chart.bars):
        y = i * (bar_height + gap)
        length = float(span * max(Decimal(value), Decimal(0)) / top)
        rows.append(
            f'<text x="{label_w - 4}" y="{y + bar_height - 4}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="#2f5d8a"/>'
            f'<text x="{label_w + length + 4:.1f}" y="{y + bar_height - 4}">{escape(fmt.cell(value, chart.kind))}</text>')
    height = max(len(chart.bars), 1) * (bar_height + gap)
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                  f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(chart.title)}" '
                  f'font-family="DejaVu Sans" font-size="8">{"".join(rows)}</svg>')


def widths(table: Table) -> list[str]:
    """Column widths in percent from the columns' weights, as in the DOCX and ODT tables."""
    total = sum(col.width for col in table.columns)
    return [f"{100 * col.width / total:.1f}" for col in table.columns]


def render_html(doc: Document) -> str:
    return _template().render(
        doc=doc, t=TEXTS[doc.lang], css=Markup((TEMPLATES / "document.css").read_text()),
        issued_long=fmt.long_date(doc.issued_on), cell=fmt.cell, table_cell=fmt.table_cell, table_header=fmt.table_header,
        is_numeric=fmt.is_numeric,
        bars_svg=bars_svg, widths=widths)


def render_pdf(doc: Document) -> bytes:
    """The document as PDF bytes; the same document gives the same bytes."""
    # Imported here, as in the access letters: WeasyPrint adds about 25 MB to every server process
    # that imports the exports but never prints.
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url, headers=None):
            raise FatalURLFetchingError(f"plan exports must not load external resources: {url}")

    # PDF/UA-1: tagged (headings, tables, reading order) with the document language, for screen
    # readers; it costs no measurable rendering time here.
    return HTML(string=render_html(doc), base_url=None, url_fetcher=NoFetching()).write_pdf(pdf_variant="pdf/ua-1")
