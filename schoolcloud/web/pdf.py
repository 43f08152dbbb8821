"""HTML to PDF with WeasyPrint, for documents the app prints (access letters, the record of processing).

The documents hold passwords or describe the installation, and rendering must not depend on the network:
fonts come from the local system only and every URL fetch fails loudly, as a bug in the template.
"""

from __future__ import annotations


def html_to_pdf(html: str, what: str = "documents") -> bytes:
    # WeasyPrint is imported here, not at module level: it adds about 25 MB to every server process
    # that never prints anything.
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url, headers=None):
            raise FatalURLFetchingError(f"{what} must not load external resources: {url}")

    return HTML(string=html, base_url=None, url_fetcher=NoFetching()).write_pdf()
