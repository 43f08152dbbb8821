"""A teacher plans a lesson and sets a task in it, a pupil hands in a file with the progress bar (the resumable tus path of
static/tasks-upload.js), the teacher grades and releases, the pupil sees the grade: in headless
Chromium, both browser contexts watched (no foreign request, no CSP violation, no console error)."""

from __future__ import annotations

import os

from playwright.async_api import expect

from schoolcloud.courses.validation import SCHOOL_TZ
from schoolcloud.tasks.access import now
from schoolcloud.tasks.models import Submission, SubmittedFile
from tests.support.chromium import Watch, browser, login  # noqa: F401  (browser: session fixture)
from tests.support.data import PASSWORD
from tests.support.tasks import course_with

# Records every value a <progress> element takes, across page loads (the form is sent right after).
_PROGRESS_OBSERVER = """
new MutationObserver((records) => {
  for (const record of records) {
    if (record.target.tagName === "PROGRESS") window.__taskProgress(Number(record.target.value));
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ["value"]});
"""


async def open_as(browser, app, user):
    context = await browser.new_context(locale="de-DE")
    context.set_default_timeout(20_000)
    watch = await Watch.attach(context, app.base_url)
    page = await context.new_page()
    await login(page, app.base_url, user.username, PASSWORD)
    return context, page, watch


async def test_task_hand_in_with_progress_grade_and_see_grade(app, browser):
    course, teacher, (anna, _ben) = await course_with(name="Physik 9b")

    # The teacher plans a lesson for today on the course page, then sets a task in it.
    context, page, watch = await open_as(browser, app, teacher)
    await page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Meine Kurse").click()
    await page.get_by_role("link", name="Physik 9b").click()
    await page.locator("#new-title").fill("Schwingungen")
    await page.locator("#new-date").fill(now().astimezone(SCHOOL_TZ).date().isoformat())
    await page.locator("#new-publish-now").check()
    await page.locator("form:has(#new-title) button[type=submit]").click()
    await page.goto(f"{app.base_url}/courses/{course.id}")
    await page.locator(".course-tasks").get_by_role("link", name="Neue Aufgabe").click()
    await page.locator("#f-lesson_id").select_option(label="Schwingungen")
    await page.locator("#f-title").fill("Pendelversuch")
    await page.locator("#f-instructions").fill("Miss die **Schwingungsdauer**.")
    await page.locator("#f-due_at").fill("2030-03-01T12:00")
    await page.get_by_role("button", name="Speichern").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Pendelversuch")
    task_url = page.url
    await expect(page.locator(".richtext strong")).to_have_text("Schwingungsdauer")
    await expect(page.get_by_role("link", name="Schwingungen")).to_be_visible()
    watch.assert_clean()

    # The pupil finds it on the start page and hands in a file with the progress bar.
    pupil_context, pupil, pupil_watch = await open_as(browser, app, anna)
    values: list[float] = []
    await pupil_context.expose_binding("__taskProgress", lambda source, value: values.append(value))
    await pupil_context.add_init_script(_PROGRESS_OBSERVER)
    await pupil.goto(f"{app.base_url}/")
    await expect(pupil.locator("#todays-lessons-heading + ul")).to_contain_text("Schwingungen")
    await pupil.get_by_role("link", name="Pendelversuch").click()
    await pupil.get_by_label("Text").fill("Messwerte im Anhang.")
    data = os.urandom(9 * 1024 * 1024 + 321)  # two PATCH chunks of the 8 MiB client
    await pupil.get_by_label("Dateien hinzufügen").set_input_files(
        {"name": "Messwerte.bin", "mimeType": "application/octet-stream", "buffer": data})
    tus = []
    pupil.on("request", lambda r: tus.append(r.method) if "/api/v1/files/tus" in r.url else None)
    await pupil.get_by_role("button", name="Abgeben", exact=True).click()
    await expect(pupil.locator("main p.notice")).to_contain_text("Abgegeben (Version 1)")
    assert tus.count("POST") == 1 and tus.count("PATCH") == 2, tus
    assert values and max(values) == 100 and any(0 < v < 100 for v in values), values
    await expect(pupil.get_by_role("link", name="Messwerte.bin")).to_be_visible()
    submission = await Submission.get(task__title="Pendelversuch", pupil_id=anna.id)
    assert (await SubmittedFile.get(version__submission_id=submission.id)).size == len(data)
    pupil_watch.assert_clean()

    # The teacher grades and releases.
    await page.goto(task_url)
    await page.get_by_role("link", name=f"Öffnen und Rückmeldung geben – {anna.display_name}").click()
    await page.locator("#grade").select_option("2+")
    await page.locator("#feedback-text").fill("Saubere *Messung*.")
    await page.get_by_label("Jetzt freigeben").check()
    await page.get_by_role("button", name="Rückmeldung speichern").click()
    await expect(page.locator("main p.notice")).to_contain_text("freigegeben")
    watch.assert_clean()
    await context.close()

    # The pupil sees the grade and the feedback; the notification count shows it too.
    await pupil.reload()
    await expect(pupil.locator(".grade strong")).to_have_text("2+")
    await expect(pupil.locator(".feedback .richtext em")).to_have_text("Messung")
    await expect(pupil.locator(".nav-count")).to_be_visible()
    pupil_watch.assert_clean()
    await pupil_context.close()
