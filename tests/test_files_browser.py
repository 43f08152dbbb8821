"""The files pages in a real browser: a teacher uploads through the resumable (tus) path of
static/files-upload.js with a progress bar, sees the file listed, downloads it, deletes it and restores
it from the trash; a whole folder upload creates its subfolders.

The browser context is watched (tests.support.chromium.Watch): no foreign request, no CSP violation,
no console or page error.
"""

from __future__ import annotations

import os

from playwright.async_api import expect

from schoolcloud.accounts.models import Role
from tests.support.chromium import Watch, browser, login  # noqa: F401  (browser: session fixture)
from tests.support.files import PASSWORD, person


async def open_personal_space(browser, app, user):
    context = await browser.new_context(locale="de-DE", accept_downloads=True)
    context.set_default_timeout(20_000)
    watch = await Watch.attach(context, app.base_url)
    page = await context.new_page()
    await login(page, app.base_url, user.username, PASSWORD)
    await page.goto(f"{app.base_url}/files")
    await page.locator("main .space-list a").first.click()
    await page.wait_for_url(f"{app.base_url}/files/*")
    return context, page, watch


async def test_tus_upload_with_progress_download_delete_restore(app, browser, tmp_path):
    user = await person(Role.TEACHER)
    context, page, watch = await open_personal_space(browser, app, user)
    folder_url = page.url
    data = os.urandom(9 * 1024 * 1024 + 123)  # two PATCH chunks of the 8 MiB client
    await page.locator("#upload-files").set_input_files(
        {"name": "Arbeitsblatt.bin", "mimeType": "application/octet-stream", "buffer": data})
    tus_requests = []
    page.on("request", lambda r: tus_requests.append(r.method) if "/api/v1/files/tus" in r.url else None)
    await page.locator("#upload-form button[type=submit]").click()

    bar = page.get_by_role("progressbar", name="Arbeitsblatt.bin")
    await expect(bar).to_have_attribute("value", "100")
    await expect(page.locator(".upload-list li").first).to_contain_text("100 %")
    await expect(page.locator(".upload-summary")).not_to_be_empty()
    assert tus_requests.count("POST") == 1 and tus_requests.count("PATCH") == 2, tus_requests
    assert page.url == folder_url  # no form post: the script took over

    await page.locator(".upload-reload a").click()
    link = page.locator("table.file-table").get_by_role("link", name="Arbeitsblatt.bin", exact=True)
    await expect(link).to_be_visible()
    async with page.expect_download() as info:
        await link.click()
    download = await info.value
    target = tmp_path / "download.bin"
    await download.save_as(target)
    assert target.read_bytes() == data

    page.on("dialog", lambda dialog: dialog.accept())
    row = page.locator("table.file-table tbody tr", has_text="Arbeitsblatt.bin")
    await row.locator("form[action$='/delete'] button").click()
    await page.wait_for_url(folder_url)
    await expect(page.locator("table.file-table")).to_have_count(0)

    await page.goto(f"{app.base_url}/files/trash")
    trash_row = page.locator("main table tbody tr", has_text="Arbeitsblatt.bin")
    await trash_row.locator("button").click()
    await expect(page.locator("main [role=status]")).to_contain_text("Arbeitsblatt.bin")
    await page.goto(folder_url)
    await expect(page.locator("table.file-table").get_by_role("link", name="Arbeitsblatt.bin", exact=True)).to_be_visible()
    watch.assert_clean()
    await context.close()


async def test_folder_upload_creates_subfolders(app, browser, tmp_path):
    user = await person(Role.TEACHER)
    context, page, watch = await open_personal_space(browser, app, user)
    folder_url = page.url
    root = tmp_path / "Projekt"
    (root / "Bilder").mkdir(parents=True)
    (root / "notizen.txt").write_text("Notizen")
    (root / "Bilder" / "a.txt").write_text("A")
    await expect(page.locator(".upload-folder-field")).to_be_visible()
    await page.locator("#upload-folder").set_input_files(str(root))
    await expect(page.locator(".upload-list li")).to_have_count(2)
    await expect(page.locator(".upload-list li.upload-done")).to_have_count(2)
    await page.goto(folder_url)
    await page.locator("table.file-table th a", has_text="Projekt").click()
    await expect(page.locator("table.file-table").get_by_role("link", name="notizen.txt", exact=True)).to_be_visible()
    await page.locator("table.file-table th a", has_text="Bilder").click()
    await expect(page.locator("table.file-table").get_by_role("link", name="a.txt", exact=True)).to_be_visible()
    watch.assert_clean()
    await context.close()


async def test_pages_with_entries_are_accessible(app, browser):
    """axe (WCAG 2.1 AA) finds nothing on a folder with entries, a file's details and a full trash, and
    nothing needs sideways scrolling at 320 px."""
    from tests.support.axe import describe, scan

    user = await person(Role.TEACHER)
    context, page, watch = await open_personal_space(browser, app, user)
    folder_url = page.url
    await page.locator("#folder-name").fill("Unterlagen")
    await page.locator("form[action$='/folders'] button").click()
    await page.locator("#upload-files").set_input_files(
        [{"name": f"Datei {i} mit einem recht langen Namen.txt", "mimeType": "text/plain", "buffer": b"x" * i}
         for i in range(1, 4)])
    await page.locator("#upload-form button[type=submit]").click()
    await expect(page.locator(".upload-list li.upload-done")).to_have_count(3)
    await page.goto(folder_url)
    page.on("dialog", lambda dialog: dialog.accept())
    await page.locator("table.file-table tbody tr", has_text="Datei 3").locator("form button").click()
    await page.wait_for_url(folder_url)
    details = page.locator("table.file-table tbody tr", has_text="Datei 1").locator("a[href$='/details']")
    details_url = app.base_url + await details.get_attribute("href")
    for url in (folder_url, details_url, f"{app.base_url}/files/trash"):
        await page.set_viewport_size({"width": 1280, "height": 720})
        await page.goto(url)
        violations = await scan(page)
        assert not violations, f"{url}:\n{describe(violations)}"
        await page.set_viewport_size({"width": 320, "height": 640})
        sizes = await page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= sizes[1], f"{url}: {sizes[0]}px of content in a {sizes[1]}px wide window"
    watch.assert_clean()
    await context.close()
