"""axe scans (WCAG 2.1 A/AA) of the courses and lessons pages in headless Chromium, for teachers and
pupils, each also at 320 CSS pixels (no sideways scrolling) and with no CSP violation or console error."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from schoolcloud.courses.models import Lesson
from tests.support.axe import WCAG_TAGS, describe, scan
from tests.support.chromium import Watch, browser, login  # noqa: F401  (browser: session fixture)
from tests.support.courses import course_world
from tests.support.data import PASSWORD
from tests.support.files import api_client, upload
from tests.test_courses_blocks import EVIL, course_root, png_bytes

PHONE_320 = {"width": 320, "height": 640}
# Names the elements sticking out of the window, so a failing reflow check says what to fix.
WIDE_ELEMENTS = """() => [...document.querySelectorAll('main *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth)
  .map(e => `${e.tagName}.${e.className}#${e.id}`).slice(0, 8)"""

# (name, path, who, expected status); paths name {course_id} and {lesson_id}.
PAGES = [
    ("my courses, teacher", "/courses", "teacher", 200),
    ("my courses, pupil", "/courses", "pupil", 200),
    ("course with lessons and new-lesson form, teacher", "/courses/{course_id}", "teacher", 200),
    ("course, pupil", "/courses/{course_id}", "pupil", 200),
    ("lesson with edit form, teacher", "/courses/{course_id}/lessons/{lesson_id}", "teacher", 200),
    ("lesson, pupil", "/courses/{course_id}/lessons/{lesson_id}", "pupil", 200),
    ("lessons shared by colleagues, teacher", "/courses/shared", "colleague", 200),
    ("shared lesson with copy form, colleague", "/courses/{course_id}/lessons/{lesson_id}", "colleague", 200),
    ("library with results, copy and publish forms, teacher", "/library?subject=Mathematik", "teacher", 200),
    ("library, empty result, colleague", "/library?keyword=nichts", "colleague", 200),
    ("library refused to pupils", "/library", "pupil", 403),
]


@pytest.fixture(scope="module")
async def world(app):
    world = await course_world()
    lesson = await Lesson.create(school=world.school, course=world.course, position=1, title="Brüche",
                                 description="Erweitern und kürzen", date=date(2026, 3, 16), shared=True,
                                 publish_at=datetime.now(timezone.utc) - timedelta(hours=1))
    await Lesson.create(school=world.school, course=world.course, position=2, title="Entwurf", by_week=True,
                        date=date(2026, 3, 23))
    async with api_client(app.base_url, world.teacher) as http:
        root = await course_root(http, world.course.id)
        image = (await upload(http, root, "Torte.png", png_bytes())).json()
        sheet = (await upload(http, root, "Blatt.txt", b"Aufgabe")).json()
        for body in ({"kind": "text", "text": EVIL}, {"kind": "image", "node_id": image["id"], "title": "Torte"},
                     {"kind": "file", "node_id": sheet["id"]}, {"kind": "link", "url": "https://example.org"},
                     {"kind": "task", "task_id": 3}):
            assert (await http.post(f"/api/v1/lessons/{lesson.id}/blocks", json=body)).status_code == 201
        for body in ({"kind": "lesson", "lesson_id": lesson.id, "keywords": "Brüche, Pizza", "licence": "cc-by"},
                     {"kind": "file", "node_id": sheet["id"], "licence": "school", "description": "Zum Üben"}):
            response = await http.post("/api/v1/library", json={"subject": "Mathematik", "grade_from": 5,
                                                                "grade_to": 6, **body})
            assert response.status_code == 201, response.text
    return {"world": world, "ids": {"course_id": world.course.id, "lesson_id": lesson.id}}


@pytest.fixture(scope="module")
async def tabs(app, browser, world):
    opened: dict[str, tuple] = {}

    async def tab_for(who: str):
        if who not in opened:
            context = await browser.new_context(locale="de-DE")
            context.set_default_timeout(10_000)
            watch = await Watch.attach(context, app.base_url)
            page = await context.new_page()
            await login(page, app.base_url, getattr(world["world"], who).username, PASSWORD)
            opened[who] = (context, page, watch)
        _, page, watch = opened[who]
        watch.reset()
        await page.set_viewport_size({"width": 1280, "height": 720})
        return page, watch

    yield tab_for
    for context, _, _ in opened.values():
        await context.close()


async def check_page(page, watch, name: str, status: int = 200) -> None:
    violations = await scan(page)
    if violations:
        pytest.fail(f"axe ({', '.join(WCAG_TAGS)}) found problems on {name}:\n{describe(violations)}", pytrace=False)
    await page.set_viewport_size(PHONE_320)
    sizes = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    wide = await page.evaluate(WIDE_ELEMENTS)
    assert sizes[0] <= sizes[1], f"{name}: {wide}: {sizes[0]}px of content in a {sizes[1]}px wide window"
    if status >= 400:
        watch.console_errors = [e for e in watch.console_errors if f"status of {status}" not in e]
    watch.assert_clean()


@pytest.mark.parametrize(("name", "path", "who", "status"), PAGES, ids=[p[0] for p in PAGES])
async def test_page_is_accessible(app, world, tabs, name, path, who, status):
    page, watch = await tabs(who)
    response = await page.goto(f"{app.base_url}{path.format(**world['ids'])}")
    assert response is not None and response.status == status, f"{name}: answered {response and response.status}"
    await check_page(page, watch, name, status)
    # The lesson's text carries scripts and event handlers: sanitised away, nothing ran.
    assert await page.evaluate("() => window.__xss === undefined")


async def test_new_lesson_form_with_errors_is_accessible(app, world, tabs):
    page, watch = await tabs("teacher")
    await page.goto(f"{app.base_url}/courses/{world['ids']['course_id']}")
    await page.locator("#new-title").fill("Falsche Woche")
    await page.locator("#new-date").fill("2026-03-16")
    await page.locator("#new-week").evaluate("input => { input.type = 'text'; input.value = '2026-W12'; }")
    await page.locator("form.stacked button[type=submit]").click()
    await page.locator(".field-error").first.wait_for()
    assert await page.locator("[aria-invalid=true]").count() >= 1
    await check_page(page, watch, "new lesson form with errors", 422)


async def test_refused_block_form_is_accessible_and_keeps_the_input(app, world, tabs):
    page, watch = await tabs("teacher")
    await page.goto(f"{app.base_url}/courses/{world['ids']['course_id']}/lessons/{world['ids']['lesson_id']}")
    await page.locator("details.add-block", has_text="Link").locator("summary").click()
    await page.locator("#add-link-url").evaluate("input => { input.type = 'text'; input.value = 'javascript:alert(1)'; }")
    await page.locator("#add-link-title").fill("Mein Link")
    await page.locator("#add-link-url").evaluate("input => input.form.requestSubmit()")
    await page.locator("#add-link-url-error").wait_for()
    assert await page.locator("#add-link-title").input_value() == "Mein Link"
    await check_page(page, watch, "lesson with a refused block form", 422)


async def test_library_publish_form_with_errors_is_accessible(app, world, tabs):
    page, watch = await tabs("teacher")
    await page.goto(f"{app.base_url}/library")
    await page.locator("#pub-subject").fill("Deutsch")
    await page.locator("#pub-licence").evaluate("select => select.removeAttribute('required')")
    await page.locator("#pub-subject").evaluate("input => input.form.requestSubmit()")
    await page.locator("#pub-licence-error").wait_for()
    assert await page.locator("#pub-subject").input_value() == "Deutsch"
    await check_page(page, watch, "library publish form with errors", 422)
