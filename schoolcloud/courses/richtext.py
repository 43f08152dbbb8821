"""Markdown for lesson texts (and any other teacher-written text): rendered and sanitised on the server.

markdown-it-py renders CommonMark (raw HTML allowed, so pasted markup keeps its structure); nh3 (the
Rust ammonia sanitiser) then keeps only an allowlist of tags and attributes: scripts, styles, event
handlers, frames, forms and ``javascript:``/``data:`` URLs are removed. The page CSP forbids inline
scripts as a second line of defence.
"""

from __future__ import annotations

import functools

MAX_TEXT = 100_000  # characters of Markdown in one block


@functools.cache
def _markdown():
    # Imported on first use: a server process that never renders a text saves ~2.5 MB.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del", "sub", "sup",
    "mark", "small", "code", "pre", "kbd", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "a", "abbr",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}


def sanitise(html: str) -> str:
    import nh3

    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow", strip_comments=True)


def render_markdown(source: str) -> str:
    """Safe HTML for ``source``. Headings start at h2 (h1 is the page's own title)."""
    html = _markdown().render(source or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return sanitise(html)
