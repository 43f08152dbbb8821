"""axe-core scans (WCAG 2.0/2.1 A and AA) of the task pages, with content in them: a course with a task,
material, a hand-in with feedback; also at 320 CSS pixels (reflow) and with a form error."""

from __future__ import annotations

import pytest

from schoolcloud.courses.models import Lesson
from schoolcloud.courses.validation import SCHOOL_TZ
from schoolcloud.tasks import grading
from schoolcloud.tasks.access import now
from schoolcloud.tasks.models import Submission
from tests.support.axe import WCAG_TAGS, describe, scan
from tests.support.chromium import Watch, browser, login  # noqa: F401  (browser: session fixture)
from tests.support.data import PASSWORD
from tests.support.files import upload
from tests.support.tasks import as_user, course_with, make_task, utc_in

PAGES = [
    ("my tasks, teacher", "/tasks", "teacher"),
    ("my tasks, pupil", "/tasks", "pupil"),
    ("course tasks, teacher", "/courses/{course_id}/tasks", "teacher"),
    ("new task form", "/courses/{course_id}/tasks/new", "teacher"),
    ("edit task form (groups)", "/tasks/{group_task_id}/edit", "teacher"),
    ("task with overview, teacher", "/tasks/{task_id}", "teacher"),
    ("grading page", "/tasks/{task_id}/submissions/{submission_id}", "teacher"),
    ("task with feedback, pupil", "/tasks/{task_id}", "pupil"),
    ("group task, pupil", "/tasks/{group_task_id}", "pupil"),
    ("notifications, pupil", "/notifications", "pupil"),
    ("course page with tasks, teacher", "/courses/{course_id}", "teacher"),
    ("course page with tasks, pupil", "/courses/{course_id}", "pupil"),
    ("start page with tasks, pupil", "/", "pupil"),
    ("start page with work waiting, teacher", "/", "teacher"),
]


@pytest.fixture(scope="module")
async def scene(app):
    course, teacher, (anna, ben) = await course_with(name="Biologie 7c")
    await Lesson.create(school_id=course.school_id, course=course, title="Zellen", position=1,
                        date=now().astimezone(SCHOOL_TZ).date(), publish_at=now())
    task = await make_task(teacher, course, title="Zellmodell", due_at=utc_in(days=3).isoformat(),
                           instructions="## Auftrag\n\n- Baue ein *Modell*\n- Fotografiere es\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    group_task = await make_task(teacher, course, title="Gruppenreferat", group_submission=True,
                                 groups=[{"name": "Gruppe 1", "pupil_ids": [anna.id, ben.id]}])
    async with as_user(app, teacher) as http:
        folder = (await http.post(f"/api/v1/tasks/{task.id}/attachments-folder")).json()["folder_id"]
        await upload(http, folder, "Vorlage.pdf", b"%PDF-1.4")
    async with as_user(app, anna) as http:
        folder = (await http.post(f"/api/v1/tasks/{task.id}/my-submission/folder")).json()["folder_id"]
        await upload(http, folder, "Foto.jpg", b"\xff\xd8\xff")
        await http.post(f"/api/v1/tasks/{task.id}/my-submission", json={"text": "Mein Modell"})
    submission = await Submission.get(task_id=task.id)
    await grading.save_feedback(teacher, submission.id, grade="1-", feedback="Sehr **gut**", release=True)
    async with as_user(app, ben) as http:
        await http.post(f"/api/v1/tasks/{group_task.id}/my-submission", json={"text": "Gliederung"})
    return {"users": {"teacher": teacher, "pupil": anna},
            "ids": {"course_id": course.id, "task_id": task.id, "group_task_id": group_task.id,
                    "submission_id": submission.id}}


@pytest.fixture(scope="module")
async def tabs(app, browser, scene):
    opened = {}

    async def tab_for(role: str):
        if role not in opened:
            context = await browser.new_context(locale="de-DE")
            context.set_default_timeout(10_000)
            watch = await Watch.attach(context, app.base_url)
            page = await context.new_page()
            await login(page, app.base_url, scene["users"][role].username, PASSWORD)
            opened[role] = (page, watch)
        page, watch = opened[role]
        watch.reset()
        await page.set_viewport_size({"width": 1280, "height": 720})
        return page, watch

    yield tab_for
    for page, _ in opened.values():
        await page.context.close()


def assert_accessible(violations, name):
    if violations:
        pytest.fail(f"axe ({', '.join(WCAG_TAGS)}) found problems on {name}:\n{describe(violations)}", pytrace=False)


@pytest.mark.parametrize(("name", "path", "role"), PAGES, ids=[p[0] for p in PAGES])
async def test_task_page_is_accessible(app, scene, tabs, name, path, role):
    page, watch = await tabs(role)
    response = await page.goto(app.base_url + path.format(**scene["ids"]))
    assert response is not None and response.status == 200, f"{name}: {response and response.status}"
    assert_accessible(await scan(page), name)
    await page.set_viewport_size({"width": 320, "height": 640})
    sizes = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"{name}: {sizes[0]}px of content in a {sizes[1]}px wide window"
    watch.assert_clean()


async def test_task_form_with_errors_is_accessible(app, scene, tabs):
    page, watch = await tabs("teacher")
    await page.goto(app.base_url + "/courses/{course_id}/tasks/new".format(**scene["ids"]))
    await page.locator("#f-title").evaluate("input => input.removeAttribute('required')")
    await page.locator("#f-due_at").evaluate("input => input.type = 'text'")
    await page.locator("#f-due_at").fill("morgen")
    await page.get_by_role("button", name="Speichern").click()
    await page.locator(".error-summary").wait_for()
    assert await page.locator("#f-title").get_attribute("aria-invalid") == "true"
    assert_accessible(await scan(page), "task form with errors")
    watch.console_errors = [e for e in watch.console_errors if "status of 422" not in e]
    watch.assert_clean()
