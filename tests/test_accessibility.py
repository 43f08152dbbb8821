"""Accessibility scans with axe-core (WCAG 2.0 and 2.1, levels A and AA) in headless Chromium.

Add a page to PAGES to scan it: (name, path, role, expected status). Role None is a visitor who is not
logged in; otherwise an account of that role logs in through the embedded IdP first: in one school
with a class, a course and members (see ``school``), or without a school for operators. Paths may
name that school's objects: {school_id}, {class_id}, {course_id}, {pupil_id} (a pupil's public id).
Pages that need a flow to reach (login errors, the change-password step) have their own tests below.
Every scan also checks the page's HTTP status, so a scan of a missing page cannot pass silently.
"""

from __future__ import annotations

import pytest

from schoolcloud.accounts.models import Course, Role, SchoolClass
from schoolcloud.files import links, sharing, spaces, tree
from schoolcloud.teams import services as teams
from tests.support.axe import WCAG_TAGS, describe, scan
from tests.support.chromium import Watch, browser, login  # noqa: F401  (browser: session fixture)
from tests.support.data import make_school, make_user

# (name, path, role, expected HTTP status)
PAGES = [
    ("start page, anonymous", "/", None, 200),
    ("IdP login page", "/login", None, 200),
    ("logged-out page", "/logged-out", None, 200),
    ("error page (404)", "/no-such-page", None, 404),
    ("IdP error page (invalid login link)", "/idp/authorize?client_id=unknown", None, 400),
    ("IdP logged-out page", "/idp/logout", None, 200),
    ("login failed page", "/auth/callback", None, 400),
    ("start page, pupil", "/", Role.PUPIL, 200),
    ("start page, teacher", "/", Role.TEACHER, 200),
    ("start page, school admin", "/", Role.SCHOOL_ADMIN, 200),
    # The accounts pages (schoolcloud/accounts/routes_*.py).
    ("accounts list", "/admin/users", Role.SCHOOL_ADMIN, 200),
    ("account details", "/admin/users/{pupil_id}", Role.SCHOOL_ADMIN, 200),
    ("new account form", "/admin/users/new", Role.SCHOOL_ADMIN, 200),
    ("edit account form", "/admin/users/{pupil_id}/edit", Role.SCHOOL_ADMIN, 200),
    ("classes admin", "/admin/classes", Role.SCHOOL_ADMIN, 200),
    ("class details (admin)", "/admin/classes/{class_id}", Role.SCHOOL_ADMIN, 200),
    ("new class form", "/admin/classes/new", Role.SCHOOL_ADMIN, 200),
    ("courses admin", "/admin/courses", Role.SCHOOL_ADMIN, 200),
    ("course details (admin)", "/admin/courses/{course_id}", Role.SCHOOL_ADMIN, 200),
    ("class-list import", "/admin/import", Role.SCHOOL_ADMIN, 200),
    ("my classes, teacher", "/classes", Role.TEACHER, 200),
    ("my class, teacher", "/classes/{class_id}", Role.TEACHER, 200),
    ("my classes, school admin", "/classes", Role.SCHOOL_ADMIN, 200),
    ("schools, operator", "/operator/schools", Role.OPERATOR, 200),
    ("school details, operator", "/operator/schools/{school_id}", Role.OPERATOR, 200),
    # The files pages (schoolcloud/files/routes.py); a folder with entries: tests/test_files_browser.py.
    ("my spaces, teacher", "/files", Role.TEACHER, 200),
    ("my spaces, pupil", "/files", Role.PUPIL, 200),
    ("my files (empty folder), teacher", "/files/personal", Role.TEACHER, 200),
    ("trash, teacher", "/files/trash", Role.TEACHER, 200),
    # Sharing and teams pages (schoolcloud/files/routes_sharing.py, schoolcloud/teams/routes.py).
    ("folder details with shares, links and recipient search, teacher", "/files/{folder_id}/details?q=Schulz",
     Role.TEACHER, 200),
    ("shared with me, pupil", "/files/shared", Role.PUPIL, 200),
    ("shared folder, recipient pupil", "/files/{folder_id}", Role.PUPIL, 200),
    ("teams, teacher", "/teams", Role.TEACHER, 200),
    ("team with member search, teacher", "/teams/{team_id}?q=Schulz", Role.TEACHER, 200),
    ("team, pupil", "/teams/{team_id}", Role.PUPIL, 200),
]
# Every page is scanned in German (the default); these also in English.
ENGLISH_TOO = {"start page, anonymous", "IdP login page", "logged-out page", "error page (404)",
               "start page, teacher", "accounts list"}
SCANS = [(*entry, "de-DE") for entry in PAGES] + [(*entry, "en-GB") for entry in PAGES if entry[0] in ENGLISH_TOO]
DESKTOP = {"width": 1280, "height": 720}
PHONE_320 = {"width": 320, "height": 640}
PASSWORD = "correct horse battery"


def assert_accessible(violations: list[dict], name: str) -> None:
    if violations:
        pytest.fail(f"axe ({', '.join(WCAG_TAGS)}) found problems on {name}:\n{describe(violations)}", pytrace=False)


@pytest.fixture(scope="module")
async def school(app):
    """One school with a class (a teacher and two pupils) and a course, so the lists are not empty."""
    school = await make_school()
    teacher = await make_user(school, Role.TEACHER, password=PASSWORD, given_name="Tanja", family_name="Lehmann")
    pupils = [await make_user(school, Role.PUPIL, password=PASSWORD, given_name=given, family_name="Schulz")
              for given in ("Ali", "Bea")]
    school_class = await SchoolClass.create(school=school, name="5a", grade_level=5, school_year="2026/27")
    await school_class.members.add(teacher, *pupils)
    course = await Course.create(school=school, name="Mathematik 5a", subject="Mathematik", school_year="2026/27")
    await course.classes.add(school_class)
    await course.teachers.add(teacher)
    await course.pupils.add(*pupils)
    # A team, and a folder of the teacher's shared with a pupil and with a link (the sharing pages).
    team = await teams.create_team(teacher, "Schulgarten")
    await teams.add_member(teacher, team.id, pupils[0].id)
    root = await spaces.root_of(await spaces.personal_space(teacher))
    folder = await tree.create_folder(teacher, root.id, "Material")
    await sharing.create_share(teacher, folder.id, "user", pupils[0].id)
    await links.create_link(teacher, folder.id, mode="drop", max_downloads=None)
    return {"school": school, "users": {Role.TEACHER: teacher, Role.PUPIL: pupils[0]},
            "ids": {"school_id": school.id, "class_id": school_class.id, "course_id": course.id, "pupil_id": pupils[0].public_id,
                    "team_id": team.id, "folder_id": folder.id}}


@pytest.fixture(scope="module")
async def sessions(app, browser, school):
    """One logged-in browser state per role (cookies), made through the real login once per module."""
    states: dict[str, dict] = {}

    async def state_for(role: str) -> dict:
        if role not in states:
            user = school["users"].get(role) or await make_user(
                None if role == Role.OPERATOR else school["school"], role, password=PASSWORD)
            context = await browser.new_context(locale="de-DE")
            page = await context.new_page()
            await login(page, app.base_url, user.username, PASSWORD)
            states[role] = await context.storage_state()
            await context.close()
        return states[role]

    return state_for


@pytest.fixture(scope="module")
async def tabs(app, browser, sessions):
    """One browser tab per (role, locale), reused by the scans; its Watch starts afresh for each page."""
    opened: dict[tuple, tuple] = {}

    async def tab_for(role: str | None, locale: str):
        if (role, locale) not in opened:
            opened[(role, locale)] = await _open(browser, app, locale, await sessions(role) if role else None)
        context, page, watch = opened[(role, locale)]
        watch.reset()
        await page.set_viewport_size(DESKTOP)
        return page, watch

    yield tab_for
    for context, _, _ in opened.values():
        await context.close()


async def _open(browser, app, locale: str, storage_state: dict | None = None):
    context = await browser.new_context(locale=locale, storage_state=storage_state)
    context.set_default_timeout(10_000)
    watch = await Watch.attach(context, app.base_url)
    return context, await context.new_page(), watch


@pytest.mark.parametrize(("name", "path", "role", "status", "locale"), SCANS,
                         ids=[f"{entry[0]}-{entry[4]}" for entry in SCANS])
async def test_page_is_accessible(app, school, tabs, name, path, role, status, locale):
    page, watch = await tabs(role, locale)
    path = path.format(**school["ids"])
    response = await page.goto(f"{app.base_url}{path}")
    assert response is not None and response.status == status, f"{name}: {path} answered {response and response.status}"
    if role:
        assert await page.get_by_role("navigation").count() >= 2, f"{name}: not logged in"
    assert_accessible(await scan(page), f"{name} ({locale}, {page.url})")
    # Reflow (WCAG 1.4.10): at 320 CSS pixels nothing needs sideways scrolling of the whole page
    # (wide tables scroll inside their own .table-wrap).
    await page.set_viewport_size(PHONE_320)
    sizes = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"{name}: {sizes[0]}px of content in a {sizes[1]}px wide window"
    if status >= 400:  # Chromium logs every 4xx document as a console error
        watch.console_errors = [e for e in watch.console_errors if f"status of {status}" not in e]
    watch.assert_clean()


async def test_login_error_is_accessible(app, browser):
    locale = "de-DE"  # German only, to keep the run short: the English page has the same structure
    context, page, watch = await _open(browser, app, locale)
    await page.goto(f"{app.base_url}/login")
    await page.locator("#username").fill("nobody")
    await page.locator("#password").fill("wrong password")
    await page.locator("form[action='/idp/authorize'] button[type=submit]").click()
    await page.get_by_role("alert").wait_for()
    assert await page.locator("#username").get_attribute("aria-describedby") == "login-error"
    assert_accessible(await scan(page), f"IdP login page with an error ({locale})")
    watch.console_errors = [e for e in watch.console_errors if "status of 401" not in e]
    watch.assert_clean()
    await context.close()


async def test_change_password_page_is_accessible(app, browser):
    locale = "de-DE"  # German only, to keep the run short: the English page has the same structure
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


async def test_form_with_errors_is_accessible(app, tabs):
    """An accounts form sent empty: error summary, messages tied to their fields."""
    page, watch = await tabs(Role.SCHOOL_ADMIN, "de-DE")
    await page.goto(f"{app.base_url}/admin/users/new")
    await page.locator("main form button[type=submit]").click()
    await page.locator(".error-summary").wait_for()
    assert await page.locator("[aria-invalid=true]").count() >= 1
    assert_accessible(await scan(page), "new account form with errors")
    watch.console_errors = [e for e in watch.console_errors if "status of 422" not in e]
    watch.assert_clean()


async def test_import_preview_is_accessible(app, tabs):
    """The class-list import preview, with a good row and a faulty one."""
    page, watch = await tabs(Role.SCHOOL_ADMIN, "de-DE")
    await page.goto(f"{app.base_url}/admin/import")
    csv = "Nachname;Vorname;Klasse;Geburtsdatum;Rolle\nMüller;Mia;6b;01.02.2015;Schüler\nOhne;;6b;31.02.2015;Schüler\n"
    await page.locator("input[type=file]").set_input_files(
        {"name": "klassenliste.csv", "mimeType": "text/csv", "buffer": csv.encode()})
    await page.locator("main form[enctype] button[type=submit]").click()
    await page.wait_for_url(f"{app.base_url}/admin/import/preview")
    assert await page.locator("table tbody tr").count() == 2
    assert_accessible(await scan(page), "class-list import preview")
    await page.set_viewport_size(PHONE_320)
    sizes = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"import preview: {sizes[0]}px of content in a {sizes[1]}px wide window"
    watch.assert_clean()


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
