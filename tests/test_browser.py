"""A real browser (Debian's headless Chromium) walks through the app: login through the embedded IdP
with a one-time password, logout, language switch, phone layout and keyboard use.

Every test watches its browser context (tests.support.chromium.Watch): no request may leave the app's
origin, and no page may show a CSP violation, a console error or an uncaught script error.
"""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import expect

from schoolcloud.accounts.models import Role, User
from tests.support.chromium import Watch, browser, login  # noqa: F401  (browser: session fixture)
from tests.support.data import make_school, make_user

PHONE = {"width": 375, "height": 667}


async def new_context(browser, app, **options):
    context = await browser.new_context(locale=options.pop("locale", "de-DE"), **options)
    context.set_default_timeout(10_000)
    watch = await Watch.attach(context, app.base_url)
    return context, watch


async def test_login_with_one_time_password_then_logout(app, browser):
    school = await make_school()
    user = await make_user(school, Role.TEACHER, password="one-time-123", must_change_password=True,
                           given_name="Greta", family_name="Gärtner")
    context, watch = await new_context(browser, app)
    page = await context.new_page()

    await page.goto(f"{app.base_url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen bei schoolcloud")
    await page.get_by_role("link", name="Anmelden").click()

    # The embedded IdP's form, on the app's own origin, found by its visible labels.
    await expect(page).to_have_url(re.compile(r"/idp/authorize\?"))
    assert page.url.startswith(f"{app.base_url}/idp/")
    await page.get_by_label("Benutzername").fill(user.username)
    await page.get_by_label("Passwort", exact=True).fill("one-time-123")
    await page.get_by_role("button", name="Anmelden").click()

    await expect(page).to_have_url(f"{app.base_url}/idp/password")
    await page.get_by_label("Neues Passwort", exact=True).fill("greta's own secret")
    await page.get_by_label("Neues Passwort wiederholen").fill("greta's own secret")
    await page.get_by_role("button", name="Passwort speichern und weiter").click()

    await expect(page).to_have_url(f"{app.base_url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Hallo, Greta")
    await expect(page.locator("header")).to_contain_text("Greta Gärtner")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    await expect(nav.get_by_role("link", name="Start")).to_have_attribute("aria-current", "page")
    await expect(nav.get_by_role("link", name="Klassen")).not_to_have_attribute("aria-current", "page")
    await user.refresh_from_db()
    assert not user.must_change_password

    await page.get_by_role("button", name="Abmelden").click()
    await expect(page).to_have_url(re.compile(re.escape(f"{app.base_url}/logged-out") + r"(\?state=[^&]+)?$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Abgemeldet")
    await page.goto(f"{app.base_url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen bei schoolcloud")
    await expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)

    paths = [url[len(app.base_url):] for url in watch.requests]
    assert any(p.startswith("/idp/authorize") for p in paths) and any(p.startswith("/auth/callback") for p in paths)
    assert any(p.startswith("/idp/logout") for p in paths), paths
    assert any(p == "/static/app.css" for p in paths) and any(p == "/static/app.js" for p in paths)
    watch.assert_clean()
    await context.close()


async def test_language_switch(app, browser):
    context, watch = await new_context(browser, app, locale="de-DE")
    page = await context.new_page()
    await page.goto(f"{app.base_url}/")
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen bei schoolcloud")
    await expect(page.get_by_role("link", name="Deutsch")).to_have_attribute("aria-current", "true")

    await page.get_by_role("link", name="English").click()
    await expect(page).to_have_url(f"{app.base_url}/")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to schoolcloud")
    await expect(page.get_by_role("link", name="English")).to_have_attribute("aria-current", "true")
    await expect(page.get_by_role("link", name="Skip to content")).to_have_count(1)

    # The choice sticks (cookie) and reaches the IdP's pages too.
    await page.get_by_role("link", name="Log in").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Log in to schoolcloud")
    await expect(page.get_by_label("Login name")).to_be_visible()

    # Switching on the IdP's page keeps the pending login (the link carries the query string).
    await page.get_by_role("link", name="Deutsch").click()
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bei schoolcloud anmelden")
    await expect(page.get_by_label("Benutzername")).to_be_visible()
    watch.assert_clean()
    await context.close()


async def _assert_no_horizontal_overflow(page, what: str) -> None:
    sizes = await page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    assert sizes["scroll"] <= sizes["inner"], f"{what}: page is {sizes['scroll']}px wide in a {sizes['inner']}px viewport"


async def _assert_usable(locator, what: str) -> None:
    """Visible, fully inside the phone's width, and a touch target of at least 24x24 px (WCAG 2.5.8)."""
    await expect(locator).to_be_visible()
    box = await locator.bounding_box()
    assert box, what
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{what} sticks out: {box}"
    assert box["height"] >= 24 and box["width"] >= 24, f"{what} is too small to tap: {box}"


async def test_phone_layout(app, browser):
    school = await make_school()
    admin = await make_user(school, Role.SCHOOL_ADMIN, given_name="Maximiliane",
                            family_name="Mustermann-Schmidt")
    context, watch = await new_context(browser, app, viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()

    await page.goto(f"{app.base_url}/")
    await _assert_no_horizontal_overflow(page, "anonymous start page")
    await _assert_usable(page.get_by_role("link", name="Anmelden"), "login button")
    await page.get_by_role("link", name="Anmelden").click()
    await expect(page.locator("#username")).to_be_visible()
    await _assert_no_horizontal_overflow(page, "IdP login page")
    await _assert_usable(page.locator("#username"), "login name field")
    await _assert_usable(page.get_by_role("button", name="Anmelden"), "submit button")

    # The school admin has the longest navigation and a long name in the header.
    await login(page, app.base_url, admin.username, "correct horse battery")
    await _assert_no_horizontal_overflow(page, "start page (school admin)")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    links = nav.get_by_role("link")
    assert await links.count() >= 4
    for i in range(await links.count()):
        await _assert_usable(links.nth(i), f"nav link {await links.nth(i).inner_text()!r}")
    await _assert_usable(page.get_by_role("button", name="Abmelden"), "logout button")
    await _assert_usable(page.get_by_role("link", name="English"), "language link")
    await nav.get_by_role("link", name="Start").tap()
    await expect(page).to_have_url(f"{app.base_url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Hallo, Maximiliane")
    # WCAG 1.4.10 (reflow) asks for 320 CSS pixels.
    await page.set_viewport_size({"width": 320, "height": 640})
    await _assert_no_horizontal_overflow(page, "start page (school admin) at 320px")
    watch.assert_clean()
    await context.close()


async def _assert_skip_link_moves_focus_to_main(page) -> None:
    await page.keyboard.press("Tab")
    focused = await page.evaluate("() => document.activeElement.outerHTML")
    assert 'class="skip-link"' in focused, f"first focusable element is {focused[:200]}"
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    await expect(skip).to_be_focused()
    box = await skip.bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, f"the focused skip link is off screen: {box}"
    await page.keyboard.press("Enter")
    await expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside main, not back in the header.
    await page.keyboard.press("Tab")
    assert await page.evaluate("() => document.querySelector('main').contains(document.activeElement)") or \
        await page.evaluate("() => document.querySelector('footer').contains(document.activeElement)")


async def test_keyboard_skip_link(app, browser):
    school = await make_school()
    teacher = await make_user(school, Role.TEACHER)
    context, watch = await new_context(browser, app)
    page = await context.new_page()
    await page.goto(f"{app.base_url}/")
    await _assert_skip_link_moves_focus_to_main(page)

    await login(page, app.base_url, teacher.username, "correct horse battery")
    await page.goto(f"{app.base_url}/")
    await _assert_skip_link_moves_focus_to_main(page)
    watch.assert_clean()
    await context.close()


async def test_watch_notices_csp_violations_and_foreign_requests(app, browser):
    """The walk's checks can fail: an inline script and a request to another origin are caught."""
    context, watch = await new_context(browser, app)
    page = await context.new_page()
    await page.goto(f"{app.base_url}/")
    try:
        await page.add_script_tag(content="window.inlineRan = true;")
    except Exception:
        pass  # Playwright may report the blocked script as an error; the page must not run it
    assert not await page.evaluate("() => window.inlineRan === true")
    for _ in range(100):  # the report arrives asynchronously through the exposed binding
        if watch.csp_violations:
            break
        await asyncio.sleep(0.02)
    assert watch.csp_violations, "the inline script was blocked but no CSP violation was recorded"
    assert watch.csp_violations[0]["directive"].startswith("script-src")
    await context.route("http://elsewhere.invalid/**", lambda route: route.abort())
    try:
        await page.goto("http://elsewhere.invalid/")
    except Exception:
        pass
    assert watch.foreign_requests == ["http://elsewhere.invalid/"]
    try:
        watch.assert_clean()
    except AssertionError as error:
        assert "CSP violations" in str(error) and "elsewhere.invalid" in str(error)
    else:
        raise AssertionError("assert_clean() passed despite a CSP violation and a foreign request")
    await context.close()


async def test_deactivated_user_sees_refusal_without_errors(app, browser):
    """A refused login renders in the browser with the error linked to the field, without console noise."""
    school = await make_school()
    user = await make_user(school, Role.PUPIL)
    await User.filter(id=user.id).update(active=False)
    context, watch = await new_context(browser, app)
    page = await context.new_page()
    await page.goto(f"{app.base_url}/login")
    await page.get_by_label("Benutzername").fill(user.username)
    await page.get_by_label("Passwort", exact=True).fill("correct horse battery")
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_role("alert")).to_have_text("Falscher Benutzername oder falsches Passwort.")
    await expect(page.get_by_label("Benutzername")).to_have_attribute("aria-describedby", "login-error")
    # A 401 response is an ordinary page here, but Chromium logs "Failed to load resource" for it.
    watch.console_errors = [e for e in watch.console_errors if "status of 401" not in e]
    watch.assert_clean()
    await context.close()
