"""The public link pages (/s/{token} in a browser, schoolcloud/files/links_pages.py) over the real
server with httpx, without an account and without JavaScript: a file link's page with thumbnail and
download; the password form, where a wrong password and an unknown link look the same; expired and
used-up links; a folder link's paged listing; and a file drop whose uploaders see only their own files."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html import unescape

import httpx
import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.files.sharing_models import PublicLink
from tests.support.data import make_member, make_school
from tests.support.files import api_client, listing, mkdir, personal_root, upload
from tests.test_files_previews import image_bytes, preview_row

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def visitor(app) -> httpx.AsyncClient:
    """A browser-like client without an account."""
    return httpx.AsyncClient(base_url=app.base_url, timeout=30, headers=HTML)


async def make_link(http, node_id: int, **body) -> dict:
    response = await http.post(f"/api/v1/files/nodes/{node_id}/links", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def teacher_client(app):
    teacher = await make_member(await make_school(), Role.TEACHER, given_name="Tanja", family_name="Geheimname")
    return teacher, api_client(app.base_url, teacher)


def sent_names(html: str) -> list[str]:
    return [unescape(n) for n in re.findall(r'class="drop-sent-name">([^<]+)<', html)]


def heading(html: str) -> str:
    return unescape(re.search(r"<h1[^>]*>([^<]*)</h1>", html).group(1)).strip()


@pytest.mark.postgres
async def test_file_link_page_shows_name_size_thumbnail_and_downloads(app):
    teacher, client = await teacher_client(app)
    async with client as http:
        root = await personal_root(http)
        photo = (await upload(http, root, "Klassenfoto.png", image_bytes("PNG"))).json()
        link = await make_link(http, photo["id"], max_downloads=2)
    assert (await preview_row(photo["id"])).status == "ready"
    async with visitor(app) as anon:
        page = await anon.get(link["url"])
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html") and "accept" in page.headers["vary"].lower()
        assert heading(page.text) == "Klassenfoto.png"
        assert "set-cookie" not in page.headers  # no session for a link's visitors
        assert teacher.family_name not in page.text  # nothing of the owner
        assert f'href="/s/{link["token"]}/download?download=1"' in page.text
        assert "Downloads" in page.text  # how many are left
        thumb = re.search(r'<img class="link-preview" src="([^"]+)"', page.text).group(1)
        image = await anon.get(unescape(thumb))
        assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
        # the thumbnail does not use up downloads; the download button does
        download = await anon.get(f"{link['url']}/download", params={"download": "1"})
        assert download.status_code == 200 and download.content == image_bytes("PNG")
        assert "attachment" in download.headers["content-disposition"]
        # Programs still get JSON at the same address.
        as_json = await anon.get(link["url"], headers={"Accept": "application/json"})
        assert as_json.json()["node"]["name"] == "Klassenfoto.png" and as_json.json()["downloads_left"] == 1


@pytest.mark.postgres
async def test_password_page_wrong_password_looks_like_an_unknown_link(app):
    _teacher, client = await teacher_client(app)
    async with client as http:
        root = await personal_root(http)
        sheet = (await upload(http, root, "Lösungen Klassenarbeit.pdf", b"%PDF-geheim")).json()
        link = await make_link(http, sheet["id"], password="Sonnenblume")
    token = link["token"]
    unknown_token = "Z" * 43
    async with visitor(app) as anon:
        form = await anon.get(link["url"])
        assert form.status_code == 200 and 'type="password"' in form.text
        assert "Lösungen" not in form.text and "geheim" not in form.text
        wrong = await anon.post(link["url"], data={"password": "Tulpe"})
        unknown = await anon.post(f"/s/{unknown_token}", data={"password": "Tulpe"})
        assert wrong.status_code == unknown.status_code == 404
        assert wrong.text.replace(token, "T") == unknown.text.replace(unknown_token, "T")
        assert 'aria-invalid="true"' in wrong.text and 'aria-describedby="link-password-error"' in wrong.text
        assert "Lösungen" not in wrong.text and "set-cookie" not in wrong.headers
        # without the password nothing is served, in a browser either
        blocked = await anon.get(f"{link['url']}/download")
        assert blocked.status_code == 303 and blocked.headers["location"] == link["url"]

        right = await anon.post(link["url"], data={"password": "Sonnenblume"})
        assert right.status_code == 303 and right.headers["location"] == link["url"]
        cookie = right.headers["set-cookie"]
        assert f"Path=/s/{token}" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        page = await anon.get(link["url"])
        assert page.status_code == 200 and heading(page.text) == "Lösungen Klassenarbeit.pdf"
        download = await anon.get(f"{link['url']}/download", params={"download": "1"})
        assert download.status_code == 200 and download.content == b"%PDF-geheim"
    # The wrong password was counted like one through the JSON API (the link's lockout applies).
    assert (await PublicLink.get(token=token)).failed_attempts == 0  # reset by the right password
    async with visitor(app) as other:
        for _ in range(10):
            assert (await other.post(link["url"], data={"password": "falsch"})).status_code == 404
        locked = await other.post(link["url"], data={"password": "Sonnenblume"})
        assert locked.status_code == 404 and "set-cookie" not in locked.headers


@pytest.mark.postgres
async def test_expired_used_up_and_unknown_links_get_clear_pages(app):
    _teacher, client = await teacher_client(app)
    async with client as http:
        root = await personal_root(http)
        sheet = (await upload(http, root, "Blatt.txt", b"Aufgabe")).json()
        expiring = await make_link(http, sheet["id"], password="pw",
                                   expires_at=(datetime.now(timezone.utc) + timedelta(hours=1)).isoformat())
        once = await make_link(http, sheet["id"], max_downloads=1)
        revoked = await make_link(http, sheet["id"])
        assert (await http.delete(f"/api/v1/files/links/{revoked['id']}")).status_code == 204
    await PublicLink.filter(id=expiring["id"]).update(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1))
    unknown_url = "/s/" + "Q" * 43
    async with visitor(app) as anon:
        anon.headers["X-Forwarded-For"] = "198.51.100.22"  # its own address for the throttle
        # With a password, the expired link looks like an unknown one until the right password comes.
        for unknown, expired in [(await anon.get(unknown_url), await anon.get(expiring["url"])),
                                 (await anon.post(unknown_url, data={"password": "falsch"}),
                                  await anon.post(expiring["url"], data={"password": "falsch"})),
                                 (await anon.get(f"{unknown_url}/download"), await anon.get(f"{expiring['url']}/download"))]:
            assert expired.status_code == unknown.status_code == 404
            assert expired.text.replace(expiring["token"], "Q" * 43) == unknown.text
        expired = await anon.post(expiring["url"], data={"password": "pw"})
        assert expired.status_code == 410 and "abgelaufen" in expired.text and "Blatt.txt" not in expired.text
        assert "set-cookie" not in expired.headers
        english = await anon.post(expiring["url"], data={"password": "pw"}, headers={"Accept-Language": "en"})
        assert english.status_code == 410 and "This link has expired" in english.text

        assert (await anon.get(f"{once['url']}/download")).status_code == 200
        used_up = await anon.get(once["url"])
        assert used_up.status_code == 410 and heading(used_up.text) == "Dieser Link ist aufgebraucht"
        again = await anon.get(f"{once['url']}/download")  # a download button clicked too late
        assert again.status_code == 410 and again.headers["content-type"].startswith("text/html")

        for url in (revoked["url"], "/s/" + "Q" * 43, "/s/short"):
            gone = await anon.get(url)
            assert gone.status_code == 404 and heading(gone.text) == "Link nicht verfügbar", url


async def test_folder_link_page_pages_and_browses_below_the_folder_only(app):
    _teacher, client = await teacher_client(app)
    async with client as http:
        root = await personal_root(http)
        await upload(http, root, "Privat.txt", b"privat")
        folder = await mkdir(http, root, "Material")
        sub = await mkdir(http, folder["id"], "Bilder")
        await upload(http, sub["id"], "Karte.txt", b"Karte")
        for i in range(51):
            assert (await upload(http, folder["id"], f"Blatt {i:02d}.txt", b"x")).status_code == 201
        link = await make_link(http, folder["id"])
    async with visitor(app) as anon:
        first = await anon.get(link["url"])
        assert first.status_code == 200 and heading(first.text) == "Material"
        names = re.findall(r'<th scope="row" class="file-name">.*?(?:</span> |<span>)([^<]+)<', first.text, re.S)
        assert names[0] == "Bilder" and len(names) == 50 and "Privat.txt" not in first.text
        assert "Blatt 48.txt" in first.text and "Blatt 49.txt" not in first.text
        next_page = re.search(r'<a href="([^"]+)" rel="next"', first.text).group(1)
        second = await anon.get(unescape(next_page))
        assert "Blatt 49.txt" in second.text and "Blatt 50.txt" in second.text and 'rel="prev"' in second.text
        below = await anon.get(link["url"], params={"folder": sub["id"]})
        assert below.status_code == 200 and heading(below.text) == "Bilder"
        assert f'<a href="/s/{link["token"]}">Material</a>' in below.text  # breadcrumbs start at the link
        karte = re.search(r'href="(/s/[^"]+/download/\d+\?download=1)"', below.text).group(1)
        assert (await anon.get(karte)).content == b"Karte"
        assert (await anon.get(link["url"], params={"folder": root})).status_code == 404


@pytest.mark.postgres
async def test_file_drop_page_uploads_without_javascript_and_shows_only_own_files(app):
    _teacher, client = await teacher_client(app)
    async with client as http:
        root = await personal_root(http)
        inbox = await mkdir(http, root, "Abgabe Deutsch 7b")
        await upload(http, inbox["id"], "Vorlage-nur-Lehrkraft.txt", b"geheim")
        drop = await make_link(http, inbox["id"], mode="drop", password="abgabe")
    async with visitor(app) as first, visitor(app) as second:
        for client in (first, second):
            assert (await client.post(drop["url"], data={"password": "abgabe"})).status_code == 303
        page = await first.get(drop["url"])
        assert page.status_code == 200 and heading(page.text) == "Abgabe Deutsch 7b"
        assert 'enctype="multipart/form-data"' in page.text and "Vorlage" not in page.text
        sent = await first.post(f"{drop['url']}/drop", files=[
            ("files", ("Aufsatz.txt", b"Mein Aufsatz", "text/plain")), ("files", ("Bild.txt", b"B", "text/plain"))])
        assert sent.status_code == 200, sent.text
        assert sent_names(sent.text) == ["Aufsatz.txt", "Bild.txt"]
        other = await second.post(f"{drop['url']}/drop", files=[("files", ("Aufsatz.txt", b"Anderer", "text/plain"))])
        assert sent_names(other.text) == ["Aufsatz (2).txt"]
        for text in (other.text, (await second.get(drop["url"])).text):
            assert "Bild.txt" not in text and "Vorlage" not in text and "Mein Aufsatz" not in text
        # An uploader cannot list or download anything, in a browser either.
        assert (await second.get(f"{drop['url']}/children")).status_code == 404
        assert (await second.get(f"{drop['url']}/download")).status_code == 404
        nothing = await second.post(f"{drop['url']}/drop", files=[("files", ("", b"", "application/octet-stream"))])
        assert nothing.status_code == 422 and 'aria-invalid="true"' in nothing.text
    async with visitor(app) as stranger:  # without the password: the password form, nothing stored
        refused = await stranger.post(f"{drop['url']}/drop", files=[("files", ("x.txt", b"x", "text/plain"))])
        assert refused.status_code == 303 and refused.headers["location"] == drop["url"]
    async with api_client(app.base_url, _teacher) as http:
        names = [i["name"] for i in (await listing(http, inbox["id"]))["items"]]
        assert names == ["Aufsatz (2).txt", "Aufsatz.txt", "Bild.txt", "Vorlage-nur-Lehrkraft.txt"]
