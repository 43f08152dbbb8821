"""The files pages without JavaScript (httpx): my spaces, a folder, the plain form upload, new folder,
rename, move, delete to the trash and restore, all through forms with the CSRF token."""

from __future__ import annotations

import os
import re
from html import unescape

from schoolcloud.accounts.models import Role
from tests.support import browser
from tests.support.files import api_client, listing, person, personal_root


def logged_in(app, user):
    """A logged-in client; the pages' forms carry their own token, the API look-ups use the header."""
    return api_client(app.base_url, user)


def notice(html: str) -> str:
    match = re.search(r'class="(?:notice|error-summary files-error)" role="(?:status|alert)">([^<]*)<', html)
    return unescape(match.group(1)) if match else ""


async def post_form(http, path: str, page_path: str, **fields):
    page = await http.get(page_path)
    assert page.status_code == 200, page.text
    return await http.post(path, data={"csrf_token": browser.csrf_from(page.text), **fields})


async def test_spaces_page_shows_usage_and_nav(app):
    user = await person(Role.TEACHER)
    async with logged_in(app, user) as http:
        response = await http.get("/files")
        assert response.status_code == 200
        assert 'href="/files" aria-current="page"' in response.text
        assert "Meine Dateien" in response.text or "My files" in response.text
        assert "<meter" in response.text
        root = await personal_root(http)
        assert f'href="/files/{root}"' in response.text


async def test_form_upload_without_javascript(app):
    user = await person(Role.TEACHER)
    async with logged_in(app, user) as http:
        root = await personal_root(http)
        page = await http.get(f"/files/{root}")
        token = browser.csrf_from(page.text)
        data = os.urandom(3 * 1024 * 1024)  # many chunks through the parser-to-upload queue
        response = await http.post(f"/files/upload/{root}", data={"csrf_token": token},
                                   files=[("files", ("blatt.txt", data, "text/plain")),
                                          ("files", ("zwei.txt", b"zwei", "text/plain"))])
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/files/{root}"
        names = {item["name"]: item for item in (await listing(http, root))["items"]}
        assert set(names) == {"blatt.txt", "zwei.txt"}
        assert (await http.get(f"/api/v1/files/content/{names['blatt.txt']['id']}")).content == data
        folder_page = await http.get(f"/files/{root}")
        assert "blatt.txt" in folder_page.text and "2" in notice(folder_page.text)

        # The same name again: saved under a free name, nothing is overwritten.
        token = browser.csrf_from(folder_page.text)
        response = await http.post(f"/files/upload/{root}", data={"csrf_token": token},
                                   files=[("files", ("blatt.txt", b"neu", "text/plain"))])
        assert response.status_code == 303
        assert {i["name"] for i in (await listing(http, root))["items"]} == {"blatt.txt", "blatt (2).txt", "zwei.txt"}


async def test_form_upload_needs_csrf_and_write_access(app):
    user = await person(Role.TEACHER)
    async with logged_in(app, user) as http:
        root = await personal_root(http)
        response = await http.post(f"/files/upload/{root}", files=[("files", ("x.txt", b"x", "text/plain"))],
                                   headers={"X-CSRF-Token": ""})
        assert response.status_code == 403
        assert (await listing(http, root))["items"] == []
    other = await person(Role.TEACHER)
    async with logged_in(app, other) as http:
        page = await http.get("/files")
        response = await http.post(f"/files/upload/{root}", data={"csrf_token": browser.csrf_from(page.text)},
                                   files=[("files", ("x.txt", b"x", "text/plain"))])
        assert response.status_code == 303  # refused: an error notice, nothing stored
        assert (await http.get(f"/files/{root}")).status_code == 404


async def test_folder_rename_move_delete_restore(app):
    user = await person(Role.TEACHER)
    async with logged_in(app, user) as http:
        root = await personal_root(http)
        response = await post_form(http, f"/files/{root}/folders", f"/files/{root}", name="Mathe")
        assert response.status_code == 303
        response = await post_form(http, f"/files/{root}/folders", f"/files/{root}", name="Deutsch")
        assert response.status_code == 303
        # A taken name: an error notice on the folder page, no second folder.
        await post_form(http, f"/files/{root}/folders", f"/files/{root}", name="mathe")
        page = await http.get(f"/files/{root}")
        assert notice(page.text)
        items = {i["name"]: i for i in (await listing(http, root))["items"]}
        assert set(items) == {"Deutsch", "Mathe"}
        mathe, deutsch = items["Mathe"]["id"], items["Deutsch"]["id"]

        await post_form(http, f"/files/{mathe}/update", f"/files/{mathe}/details", name="Mathematik")
        details = await http.get(f"/files/{mathe}/details")
        assert "<h1>Mathematik</h1>" in details.text
        assert f'<option value="{deutsch}">/Deutsch</option>' in details.text

        await post_form(http, f"/files/{mathe}/update", f"/files/{mathe}/details", parent_id=str(deutsch))
        assert [i["name"] for i in (await listing(http, deutsch))["items"]] == ["Mathematik"]
        folder_page = await http.get(f"/files/{deutsch}")
        assert 'aria-label="Ordnerpfad"' in folder_page.text or 'aria-label="Folder path"' in folder_page.text

        response = await post_form(http, f"/files/{deutsch}/delete", f"/files/{root}")
        assert response.status_code == 303 and response.headers["location"] == f"/files/{root}"
        assert (await listing(http, root))["items"] == []
        trash_page = await http.get("/files/trash")
        assert "Deutsch" in trash_page.text

        response = await post_form(http, f"/files/trash/{deutsch}/restore", "/files/trash")
        assert response.status_code == 303
        assert [i["name"] for i in (await listing(http, root))["items"]] == ["Deutsch"]
        assert [i["name"] for i in (await listing(http, deutsch))["items"]] == ["Mathematik"]


async def test_listing_is_paged_and_sortable(app):
    user = await person(Role.TEACHER)
    async with logged_in(app, user) as http:
        root = await personal_root(http)
        for i in range(55):
            await http.post(f"/api/v1/files/upload/{root}", params={"name": f"f{i:02}.txt"}, content=b"x" * i)
        first = await http.get(f"/files/{root}")
        assert "f00.txt" in first.text and "f49.txt" in first.text and "f50.txt" not in first.text
        assert f"/files/{root}?sort=name&amp;order=asc&amp;offset=50" in first.text
        second = await http.get(f"/files/{root}", params={"offset": 50})
        assert "f54.txt" in second.text and "f00.txt" not in second.text
        by_size = await http.get(f"/files/{root}", params={"sort": "size", "order": "desc"})
        assert by_size.text.index("f54.txt") < by_size.text.index("f53.txt")
        assert 'aria-sort="descending"' in by_size.text


async def test_pages_need_login(app):
    async with browser.client(app.base_url) as http:
        response = await http.get("/files")
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_form_upload_streams_and_stops_at_the_quota(app):
    """The form upload streams into the store: over the quota it stops with a notice and keeps nothing;
    a token that only comes after the file is refused before any byte is stored."""
    from schoolcloud.files.models import Space

    user = await person(Role.TEACHER)
    async with logged_in(app, user) as http:
        root = await personal_root(http)
        await Space.filter(owner_id=user.id).update(quota_bytes=100_000)
        page = await http.get(f"/files/{root}")
        token = browser.csrf_from(page.text)
        response = await http.post(f"/files/upload/{root}", data={"csrf_token": token},
                                   files=[("files", ("klein.txt", b"k" * 10_000, "text/plain")),
                                          ("files", ("gross.bin", b"g" * 500_000, "application/octet-stream"))],
                                   headers={"X-CSRF-Token": ""})
        assert response.status_code == 303
        page = await http.get(f"/files/{root}")
        assert notice(page.text).startswith("Files uploaded: 1") or "1" in notice(page.text)
        assert [i["name"] for i in (await listing(http, root))["items"]] == ["klein.txt"]
        assert (await Space.get(owner_id=user.id)).used_bytes == 10_000

        # The token after the file: refused (403) before the file is stored.
        boundary = "----grenze"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"spaet.txt\"\r\n"
                f"Content-Type: text/plain\r\n\r\nspaet\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
                f"--{boundary}--\r\n").encode()
        response = await http.post(f"/files/upload/{root}", content=body,
                                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                            "X-CSRF-Token": ""})
        assert response.status_code == 403
        assert [i["name"] for i in (await listing(http, root))["items"]] == ["klein.txt"]
