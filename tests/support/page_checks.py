"""Page checks for axe test files: one logged-in browser tab per person, reused across pages, and the
standard check (axe WCAG 2.1 A/AA, no sideways scrolling at 320 CSS pixels, nothing leaving the origin,
no CSP violation or console error)."""

from __future__ import annotations

import contextlib

import pytest

from tests.support.axe import WCAG_TAGS, describe, scan
from tests.support.chromium import Watch, login
from tests.support.data import PASSWORD

DESKTOP = {"width": 1280, "height": 720}
PHONE_320 = {"width": 320, "height": 640}


@contextlib.asynccontextmanager
async def tabs(app, browser, people: dict, locale: str = "de-DE"):
    """``tab_for(name)`` -> (page, watch): a tab logged in as ``people[name]``, opened on first use."""
    opened: dict[str, tuple] = {}

    async def tab_for(who: str):
        if who not in opened:
            context = await browser.new_context(locale=locale)
            context.set_default_timeout(10_000)
            watch = await Watch.attach(context, app.base_url)
            page = await context.new_page()
            await login(page, app.base_url, people[who].username, PASSWORD)
            opened[who] = (context, page, watch)
        _, page, watch = opened[who]
        watch.reset()
        await page.set_viewport_size(DESKTOP)
        return page, watch

    try:
        yield tab_for
    finally:
        for context, _, _ in opened.values():
            await context.close()


async def check_page(page, watch, name: str, status: int = 200) -> None:
    violations = await scan(page)
    if violations:
        pytest.fail(f"axe ({', '.join(WCAG_TAGS)}) found problems on {name}:\n{describe(violations)}", pytrace=False)
    await page.set_viewport_size(PHONE_320)
    sizes = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"{name}: {sizes[0]}px of content in a {sizes[1]}px wide window"
    if status >= 400:
        watch.console_errors = [e for e in watch.console_errors if f"status of {status}" not in e]
    watch.assert_clean()
