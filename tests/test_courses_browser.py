"""The lesson pages in a real browser: a teacher opens the course from "My courses", creates a lesson as
a draft, adds a Markdown text with a script in it and an image from the course files, publishes it; the
pupil does not see the draft, then sees the published lesson with its image, and nothing of the script
ran. The contexts are watched: no foreign request, no CSP violation, no console or page error."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support.chromium import Watch, browser, login  # noqa: F401  (browser: session fixture)
from tests.support.courses import course_world
from tests.support.data import PASSWORD
from tests.support.files import api_client, upload
from tests.test_courses_blocks import course_root, png_bytes


async def open_as(browser, app, user):
    context = await browser.new_context(locale="de-DE")
    context.set_default_timeout(20_000)
    watch = await Watch.attach(context, app.base_url)
    page = await context.new_page()
    await login(page, app.base_url, user.username, PASSWORD)
    return context, page, watch


async def test_teacher_builds_and_publishes_a_lesson_the_pupil_then_sees(app, browser):
    world = await course_world()
    async with api_client(app.base_url, world.teacher) as http:
        assert (await upload(http, await course_root(http, world.course.id), "Torte.png", png_bytes())).status_code == 201
    context, page, watch = await open_as(browser, app, world.teacher)
    await page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Meine Kurse").click()
    await page.get_by_role("link", name=world.course.name).click()
    await page.locator("#new-title").fill("Bruchrechnung")
    await page.locator("#new-date").fill("2026-03-16")
    await page.locator("form[action$='/lessons'] button[type=submit]").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bruchrechnung")
    lesson_url = page.url

    await page.locator("details.add-block", has_text="Text").locator("summary").click()
    await page.locator("#add-text-text").fill("## Heute\n\nWir **teilen** Pizzen.\n\n<script>window.__xss = 1</script>"
                                              "<img src=x onerror=\"window.__xss = 1\">")
    await page.locator("#add-text-text").evaluate("area => area.form.requestSubmit()")
    await expect(page.locator(".lesson-text strong")).to_have_text("teilen")
    await page.locator("details.add-block", has_text="Bild").locator("summary").click()
    await page.locator("#add-image-node").select_option(label="Torte.png")
    await page.locator("#add-image-title").fill("Eine Torte in vier Stücken")
    await page.locator("#add-image-title").evaluate("input => input.form.requestSubmit()")
    await expect(page.get_by_role("img", name="Eine Torte in vier Stücken")).to_be_visible()

    pupil_context, pupil_page, pupil_watch = await open_as(browser, app, world.pupil)
    await pupil_page.goto(f"{app.base_url}/courses/{world.course.id}")
    await expect(pupil_page.get_by_text("Noch keine Stunden.")).to_be_visible()  # the draft is hidden
    assert (await pupil_page.goto(lesson_url)).status == 404
    pupil_watch.console_errors = [e for e in pupil_watch.console_errors if "status of 404" not in e]

    await page.locator("#edit-publish-now").check()
    await page.get_by_role("button", name="Stunde speichern").click()
    await expect(page.locator(".badge").first).to_have_text("Freigegeben")

    await pupil_page.goto(f"{app.base_url}/courses/{world.course.id}")
    await pupil_page.get_by_role("link", name="Bruchrechnung").click()
    image = pupil_page.get_by_role("img", name="Eine Torte in vier Stücken")
    await expect(image).to_be_visible()
    assert await image.evaluate("img => img.complete && img.naturalWidth === 4")
    assert await pupil_page.evaluate("() => window.__xss === undefined")
    assert await pupil_page.locator("form[action$='/edit']").count() == 0
    for context_, watch_ in ((context, watch), (pupil_context, pupil_watch)):
        watch_.assert_clean()
        await context_.close()
