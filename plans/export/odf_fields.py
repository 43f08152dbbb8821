"""The page-number line shared by the ODT and ODS footers."""

from __future__ import annotations

from odf.text import P, PageCount, PageNumber

from plans.export.texts import TEXTS


def add_page_of_pages(line: P, lang: str) -> None:
    """Append 'Seite <page-number> von <page-count>' as fields the application fills in."""
    t = TEXTS[lang]
    line.addText(f"{t['page']} ")
    line.addElement(PageNumber(selectpage="current", text="1"))
    line.addText(f" {t['of']} ")
    line.addElement(PageCount(text="1"))
