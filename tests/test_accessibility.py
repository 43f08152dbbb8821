"""Accessibility scans with axe-core (WCAG 2.0 and 2.1, levels A and AA) in headless Chromium.

Add a page to PAGES to scan it: (name, path, role), where role is None for a visitor who is not
logged in, or the role of a fresh account of a fresh school that logs in through the embedded IdP
first. Pages that need a flow to reach (login errors, the change-password step) have their own tests
below. Every scan also checks the page's HTTP status, so a scan of a missing page cannot pass silently.
"""

from __future__ import annotations

import pytest

from schoolcloud.accounts.models import Role
from tests.support.axe import WCAG_TAGS, describe, scan
from tests.support.chromium import Watch, browser, login  # noqa: F401  (browser: session fixture)
from tests.support.data import make_school, make_user

# (name, path, role, expected HTTP status)
PAGES = [
    ("start page, anonymous", "/", None, 200),
    ("IdP login page", "/login", None, 200),
    ("logged-out page", "/logged-out", None, 200),
    ("error page (404)", "/no-such-page", None, 404),
    ("start page, pupil", "/", Role.PUPIL, 200),
    ("start page, teacher", "/", Role.TEACHER, 200),
    ("start page, school admin", "/", Role.SCHOOL_ADMIN, 200),
]
LOCALES = ["de-DE", "en-GB"]
PASSWORD = "correct horse battery"


def assert_accessible(violations: list[dict], name: str) -> None:
    if violations:
        pytest.fail(f"axe ({', '.join(WCAG_TAGS)}) found problems on {name}:\n{describe(violations)}", pytrace=False)


@pytest.fixture(scope="module")
async def sessions(app, browser):
    """One logged-in browser state per role (cookies), made through the real login once per module."""
    states: dict[str, dict] = {}
    school = await make_school()

    async def state_for(role: str) -> dict:
        if role not in states:
            user = await make_user(school, role, password=PASSWORD)
            context = await browser.new_context(locale="de-DE")
            page = await context.new_page()
            await login(page, app.base_url, user.username, PASSWORD)
            states[role] = await context.storage_state()
            await context.close()
        return states[role]

    return state_for


async def _open(browser, app, locale: str, storage_state: dict | None = None):
    context = await browser.new_context(locale=locale, storage_state=storage_state)
    context.set_default_timeout(10_000)
    watch = await Watch.attach(context, app.base_url)
    return context, await context.new_page(), watch


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("name", "path", "role", "status"), PAGES, ids=[p[0] for p in PAGES])
async def test_page_is_accessible(app, browser, sessions, name, path, role, status, locale):
    state = await sessions(role) if role else None
    context, page, watch = await _open(browser, app, locale, state)
    response = await page.goto(f"{app.base_url}{path}")
    assert response is not None and response.status == status, f"{name}: {path} answered {response and response.status}"
    if role:
        assert await page.get_by_role("navigation").count() >= 2, f"{name}: not logged in"
    assert_accessible(await scan(page), f"{name} ({locale}, {page.url})")
    if status >= 400:  # Chromium logs every 4xx document as a console error
        watch.console_errors = [e for e in watch.console_errors if f"status of {status}" not in e]
    watch.assert_clean()
    await context.close()


@pytest.mark.parametrize("locale", LOCALES)
async def test_login_error_is_accessible(app, browser, locale):
    context, page, watch = await _open(browser, app, locale)
    await page.goto(f"{app.base_url}/login")
    await page.locator("#username").fill("nobody")
    await page.locator("#password").fill("wrong password")
    await page.locator("form[action='/idp/authorize'] button[type=submit]").click()
    await page.get_by_role("alert").wait_for()
    assert await page.locator("#username").get_attribute("aria-describedby") == "login-error"
    assert_accessible(await scan(page), f"IdP login page with an error ({locale})")
    await context.close()


@pytest.mark.parametrize("locale", LOCALES)
async def test_change_password_page_is_accessible(app, browser, locale):
    school = await make_school()
    user = await make_user(school, Role.PUPIL, password="one-time-123", must_change_password=True)
    context, page, watch = await _open(browser, app, locale)
    await page.goto(f"{app.base_url}/login")
    await page.locator("#username").fill(user.username)
    await page.locator("#password").fill("one-time-123")
    await page.locator("form[action='/idp/authorize'] button[type=submit]").click()
    await page.wait_for_url(f"{app.base_url}/idp/password")
    # The rules (at least 8 characters) are read out with the field, not only above the form.
    assert await page.locator("#new_password").get_attribute("aria-describedby") == "pw-rules"
    assert_accessible(await scan(page), f"change-password page ({locale})")

    await page.locator("#new_password").fill("short")  # the browser's own check would stop this
    await page.locator("#new_password").evaluate("input => input.removeAttribute('minlength')")
    await page.locator("#new_password_repeat").fill("short")
    await page.locator("#new_password_repeat").evaluate("input => input.removeAttribute('minlength')")
    await page.locator("form[action='/idp/password'] button[type=submit]").click()
    await page.get_by_role("alert").wait_for()
    field = page.locator("#new_password")
    assert await field.get_attribute("aria-describedby") == "pw-error pw-rules"
    assert await field.get_attribute("aria-invalid") == "true"
    assert_accessible(await scan(page), f"change-password page with an error ({locale})")
    watch.console_errors = [e for e in watch.console_errors if "status of 422" not in e]
    watch.assert_clean()
    await context.close()


async def test_scan_finds_problems(app, browser):
    """The scan can fail: a page with an unlabelled field and an image without text has violations."""
    context, page, _ = await _open(browser, app, "de-DE")
    await page.goto(f"{app.base_url}/")
    await page.evaluate("""() => {
        const main = document.querySelector('main');
        main.insertAdjacentHTML('beforeend', '<input type="text"><img src="/static/favicon.svg">');
    }""")
    rules = {v["id"] for v in await scan(page)}
    assert {"label", "image-alt"} <= rules, rules
    await context.close()
