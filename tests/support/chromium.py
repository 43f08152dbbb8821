"""A headless Chromium for page tests: Debian's /usr/bin/chromium driven by the Python playwright package.

No browser is downloaded (``playwright install`` is never run): the playwright wheel carries its own
Node driver, and the browser is the distribution's package (``make test-deps`` installs it). Without
/usr/bin/chromium the tests are skipped, or fail under CI=true.

Usage in a test module::

    from tests.support.chromium import browser  # noqa: F401  (the session-scoped fixture)

    async def test_something(app, browser):
        context = await browser.new_context(locale="de-DE")
        ...

Importing the fixture into several modules gives each module its own fixture definition; they all
share the one browser process started here, which is closed once at the end of the session.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("SCHOOLCLOUD_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_shared: dict = {"playwright": None, "browser": None}
_lock = asyncio.Lock()


def require_chromium() -> None:
    """Skip (locally) or fail (CI=true) when the browser is not installed."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return
    reason = f"{CHROMIUM} is missing; install Debian's chromium package (make test-deps)"
    if IN_CI:
        pytest.fail(reason + " - it is required under CI=true")
    pytest.skip(reason)


async def launch():
    """The shared Browser (playwright.async_api.Browser), started on first use."""
    require_chromium()
    async with _lock:
        if _shared["browser"] is None or not _shared["browser"].is_connected():
            from playwright.async_api import async_playwright

            if _shared["playwright"] is None:
                _shared["playwright"] = await async_playwright().start()
            _shared["browser"] = await _shared["playwright"].chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        return _shared["browser"]


async def shutdown() -> None:
    browser, _shared["browser"] = _shared["browser"], None
    playwright, _shared["playwright"] = _shared["playwright"], None
    if browser is not None:
        await browser.close()
    if playwright is not None:
        await playwright.stop()


@pytest.fixture(scope="session")
async def browser():
    """A Playwright Browser (async API) for the whole session; make one context per test."""
    yield await launch()
    await shutdown()


# --- watching a walk through the app ----------------------------------------------------------------

# Runs in every document before the page's own scripts (Playwright injects it through the DevTools
# protocol, so the page's CSP does not block it) and reports CSP violations to the test.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__schoolcloudCspViolation({directive: event.violatedDirective, blocked: event.blockedURI,
                                    source: event.sourceFile, line: event.lineNumber, sample: event.sample,
                                    page: document.location.href});
}, true);
"""


class Watch:
    """Records, for one browser context, every request, console error, page error and CSP violation.

    ``await Watch.attach(context, base_url)`` before opening pages; ``watch.assert_clean()`` at the end
    checks that no request left the app's origin and that nothing went wrong in the pages.
    """

    def __init__(self, base_url: str):
        self.origin = base_url.rstrip("/") + "/"
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.csp_violations: list[dict] = []

    @classmethod
    async def attach(cls, context, base_url: str) -> "Watch":
        watch = cls(base_url)
        context.on("request", lambda request: watch.requests.append(request.url))
        context.on("page", watch._watch_page)
        for page in context.pages:
            watch._watch_page(page)
        await context.expose_binding("__schoolcloudCspViolation",
                                     lambda source, report: watch.csp_violations.append(report))
        await context.add_init_script(_CSP_LISTENER)
        return watch

    def _watch_page(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))

    def _console(self, message) -> None:
        if message.type == "error":
            location = message.location or {}
            self.console_errors.append(f"{location.get('url', '')}:{location.get('lineNumber', '')}: {message.text}")

    def reset(self) -> None:
        """Forget what was recorded so far (for a tab that is reused for the next page)."""
        self.requests.clear()
        self.console_errors.clear()
        self.page_errors.clear()
        self.csp_violations.clear()

    @property
    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.origin)]

    def assert_clean(self) -> None:
        assert self.requests, "no request was recorded - the watch is not attached"
        problems = []
        if self.foreign_requests:
            problems.append(f"requests outside {self.origin}: {self.foreign_requests}")
        if self.csp_violations:
            problems.append(f"CSP violations: {self.csp_violations}")
        if self.console_errors:
            problems.append(f"console errors: {self.console_errors}")
        if self.page_errors:
            problems.append(f"uncaught page errors: {self.page_errors}")
        assert not problems, "\n".join(problems)


# --- logging in through the embedded IdP, as a person would ------------------------------------------

async def login(page, base_url: str, username: str, password: str, *, new_password: str | None = None) -> None:
    """Log in from /login through the IdP's form (and its change-password step when asked for)."""
    await page.goto(f"{base_url}/login")
    await page.locator("#username").fill(username)
    await page.locator("#password").fill(password)
    async with page.expect_navigation():
        await page.locator("form[action='/idp/authorize'] button[type=submit]").click()
    if page.url.endswith("/idp/password"):
        assert new_password, "the account asks for a new password"
        await page.locator("#new_password").fill(new_password)
        await page.locator("#new_password_repeat").fill(new_password)
        async with page.expect_navigation():
            await page.locator("form[action='/idp/password'] button[type=submit]").click()
    assert page.url.rstrip("/").startswith(base_url) and "/idp/" not in page.url and "/login" not in page.url, \
        f"login did not finish: {page.url}"
