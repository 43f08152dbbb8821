"""The public link pages and the new sharing and team forms in headless Chromium: a file drop uploads
several files (chosen and dragged) with a progress bar each and lists only the visitor's own files;
axe (WCAG 2.1 AA) finds nothing on the link pages (file, folder, password, wrong password, drop,
expired, unavailable), the details page with refused form fields, the team management section and
the team delete confirmation; nothing needs sideways scrolling at 320 px.

Each browser context is watched (tests.support.chromium.Watch): no foreign request, no CSP violation,
no console or page error.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from playwright.async_api import expect

from schoolcloud.accounts.models import Role
from schoolcloud.files import links, spaces, tree
from schoolcloud.files.models import Node
from schoolcloud.files.sharing_models import PublicLink
from schoolcloud.teams import services as teams
from tests.support.axe import describe, scan
from tests.support.chromium import Watch, browser, login  # noqa: F401  (browser: session fixture)
from tests.support.data import make_member, make_school
from tests.support.files import PASSWORD, api_client, upload
from tests.test_files_previews import image_bytes, preview_row

PHONE_320 = {"width": 320, "height": 640}


async def open_context(browser, app, locale: str = "de-DE"):
    context = await browser.new_context(locale=locale)
    context.set_default_timeout(20_000)
    watch = await Watch.attach(context, app.base_url)
    return context, await context.new_page(), watch


async def assert_accessible(page, name: str) -> None:
    violations = await scan(page)
    assert not violations, f"{name} ({page.url}):\n{describe(violations)}"
    await page.set_viewport_size(PHONE_320)
    sizes = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"{name}: {sizes[0]}px of content in a {sizes[1]}px wide window"
    await page.set_viewport_size({"width": 1280, "height": 720})


def ignore_status(watch: Watch, *statuses: int) -> None:
    """Chromium logs every 4xx document as a console error."""
    watch.console_errors = [e for e in watch.console_errors if not any(f"status of {s}" in e for s in statuses)]


@pytest.fixture(scope="module")
async def material(app):
    """A teacher's folder with files, a file link, a password link, a folder link and a file drop."""
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER, given_name="Tanja", family_name="Lehmann")
    pupil = await make_member(school, Role.PUPIL, given_name="Ali", family_name="Schulz")
    root = await spaces.root_of(await spaces.personal_space(teacher))
    folder = await tree.create_folder(teacher, root.id, "Material für die 7b")
    inbox = await tree.create_folder(teacher, root.id, "Abgabe Deutsch")
    async with api_client(app.base_url, teacher) as http:
        photo = (await upload(http, folder.id, "Klassenfoto mit einem recht langen Dateinamen.png",
                              image_bytes("PNG"))).json()
        await upload(http, folder.id, "Arbeitsblatt.pdf", b"%PDF-1.4 blatt")
        await upload(http, inbox.id, "Vorlage-nur-Lehrkraft.txt", b"geheim")
    await preview_row(photo["id"])
    made = {
        "file": await links.create_link(teacher, photo["id"], max_downloads=5),
        "password": await links.create_link(teacher, photo["id"], password="Sonnenblume"),
        "folder": await links.create_link(teacher, folder.id),
        "drop": await links.create_link(teacher, inbox.id, mode="drop"),
        "expired": await links.create_link(teacher, photo["id"]),
    }
    await PublicLink.filter(id=made["expired"].id).update(expires_at=datetime.now(timezone.utc) - timedelta(days=1))
    team = await teams.create_team(teacher, "Schulgarten")
    await teams.add_member(teacher, team.id, pupil.id)
    return {"teacher": teacher, "pupil": pupil, "folder": folder, "inbox": inbox, "team": team,
            "urls": {kind: f"{app.base_url}/s/{link.token}" for kind, link in made.items()}}


async def test_file_drop_uploads_several_files_with_progress_and_shows_only_own(app, browser, material):
    context, page, watch = await open_context(browser, app)
    await page.goto(material["urls"]["drop"])
    await expect(page.get_by_role("heading", level=1)).to_have_text("Abgabe Deutsch")
    assert "Vorlage" not in await page.content()
    await expect(page.locator(".drop-zone-hint")).to_be_visible()  # the script took over
    big = os.urandom(6 * 1024 * 1024 + 17)
    await page.locator("#drop-files").set_input_files([
        {"name": "Aufsatz.pdf", "mimeType": "application/pdf", "buffer": big},
        {"name": "Vorlage-nur-Lehrkraft.txt", "mimeType": "text/plain", "buffer": b"meins"}])
    uploads = []
    # resumable: one tus upload (POST /s/{token}/tus, then PATCHes) per file
    page.on("request", lambda r: uploads.append(r.url) if r.method == "POST" and r.url.endswith("/tus") else None)
    await page.locator("#drop-form button[type=submit]").click()

    bar = page.get_by_role("progressbar", name="Fortschritt beim Hochladen von Aufsatz.pdf")
    await expect(bar).to_have_attribute("value", "100")
    await expect(page.locator(".upload-list li.upload-done")).to_have_count(2)
    await expect(page.locator(".upload-summary")).to_have_text("Alle Dateien wurden gesendet.")
    # A name someone else used is stored under a new one; the visitor learns only that new name.
    await expect(page.locator(".upload-list li").nth(1)).to_contain_text("Vorlage-nur-Lehrkraft (2).txt")
    assert len(uploads) == 2 and page.url == material["urls"]["drop"]  # no form post: the script took over

    # Dragged onto the zone (a synthetic drop with a DataTransfer, as the browser makes it).
    await page.evaluate("""() => {
        const data = new DataTransfer();
        data.items.add(new File(["gezogen"], "Gezogen.txt", {type: "text/plain"}));
        document.getElementById("drop-zone").dispatchEvent(
            new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
    }""")
    await expect(page.locator(".upload-list li.upload-done")).to_have_count(3)
    names = await page.locator(".upload-list .upload-name").all_inner_texts()
    assert names == ["Aufsatz.pdf", "Vorlage-nur-Lehrkraft.txt", "Gezogen.txt"]
    stored = await Node.filter(parent_id=material["inbox"].id, name__in=["Aufsatz.pdf", "Gezogen.txt"]).order_by("name")
    assert [(n.name, n.size) for n in stored] == [("Aufsatz.pdf", len(big)), ("Gezogen.txt", 7)]
    await assert_accessible(page, "file drop after uploads")

    # A second visitor sees none of it.
    await page.goto(material["urls"]["drop"])
    content = await page.content()
    assert "Aufsatz" not in content and "Gezogen" not in content and "Vorlage" not in content
    watch.assert_clean()
    await context.close()


async def test_link_pages_are_accessible(app, browser, material):
    context, page, watch = await open_context(browser, app)
    urls = material["urls"]
    for name, url, status in (
            ("file link", urls["file"], 200),
            ("folder link", urls["folder"], 200),
            ("file drop", urls["drop"], 200),
            ("password form", urls["password"], 200),
            ("expired link", urls["expired"], 410),
            ("unavailable link", f"{app.base_url}/s/{'X' * 43}", 404)):
        response = await page.goto(url)
        assert response.status == status, f"{name}: {response.status}"
        await assert_accessible(page, name)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Link nicht verfügbar")

    await page.goto(urls["file"])
    preview = page.locator("img.link-preview")
    await expect(preview).to_be_visible()
    assert await preview.evaluate("img => img.naturalWidth") > 0

    # The password: wrong first (the error is tied to the field and announced), then right.
    await page.goto(urls["password"])
    await page.locator("#link-password").fill("Tulpe")
    await page.locator("main form button[type=submit]").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    field = page.locator("#link-password")
    assert await field.get_attribute("aria-invalid") == "true"
    assert await field.get_attribute("aria-describedby") == "link-password-error"
    await assert_accessible(page, "wrong password")
    await page.locator("#link-password").fill("Sonnenblume")
    await page.locator("main form button[type=submit]").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Klassenfoto mit einem recht langen Dateinamen.png")
    await expect(page.locator("img.link-preview")).to_be_visible()

    await page.goto(urls["folder"], )
    await expect(page.locator("table.file-table img.thumb")).to_have_count(1)
    ignore_status(watch, 404, 410)
    watch.assert_clean()
    await context.close()


async def test_sharing_form_errors_and_team_management_are_accessible(app, browser, material):
    context, page, watch = await open_context(browser, app)
    await login(page, app.base_url, material["teacher"].username, PASSWORD)
    details = f"{app.base_url}/files/{material['folder'].id}/details"
    await page.goto(details)
    await page.locator("#link-limit").fill("0")
    await page.locator("#link-limit").evaluate("input => input.removeAttribute('min')")  # past the browser's check
    await page.locator("#link-expires").fill("2020-01-01")
    await page.locator("form[action$='/links'] button[type=submit]").click()
    summary = page.locator("#form-errors")
    await expect(summary).to_be_focused()
    await expect(summary.get_by_role("link")).to_have_count(2)
    assert await page.locator("#link-limit").get_attribute("aria-invalid") == "true"
    await assert_accessible(page, "details page with refused link form")

    await page.goto(f"{details}?q=Schulz")
    await page.locator("form[action$='/shares'] button[type=submit]").click()
    await expect(page.locator(".notice")).to_be_visible()
    select = page.locator("select[id^='share-access-']")
    await expect(select).to_have_value("read")
    await assert_accessible(page, "details page with a share")
    await select.select_option("write")
    await page.locator("form.share-access button").click()
    await expect(page.locator("select[id^='share-access-']")).to_have_value("write")

    team = material["team"]
    await page.goto(f"{app.base_url}/teams/{team.id}")
    await expect(page.locator("#team-new-name")).to_have_value("Schulgarten")
    await assert_accessible(page, "team page with management")
    await page.locator("a[href$='/delete']").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Schulgarten")
    await assert_accessible(page, "team delete confirmation")
    watch.assert_clean()
    await context.close()


async def test_file_drop_without_javascript_lists_own_files_accessibly(app, browser, material):
    """With the script blocked, the drop form posts itself and the answer lists what was sent."""
    context = await browser.new_context(locale="de-DE")
    context.set_default_timeout(20_000)
    await context.route("**/static/link-drop.js", lambda route: route.abort())
    page = await context.new_page()
    await page.goto(material["urls"]["drop"])
    await expect(page.locator(".drop-zone-hint")).to_be_hidden()
    await page.locator("#drop-files").set_input_files([
        {"name": "Ohne Skript.txt", "mimeType": "text/plain", "buffer": b"x"},
        {"name": "Zweite.txt", "mimeType": "text/plain", "buffer": b"yy"}])
    async with page.expect_navigation():
        await page.locator("#drop-form button[type=submit]").click()
    assert page.url.endswith("/drop")
    await expect(page.locator(".drop-sent-name")).to_have_text(["Ohne Skript.txt", "Zweite.txt"])
    await assert_accessible(page, "file drop confirmation without JavaScript")
    await context.close()
