"""The sharing pages without JavaScript (httpx through the real pages and forms): a share made on the
details page shows up under "Shared with me" and goes away when revoked; a link made with the form
downloads up to its limit; a team is created and gets a member through the scoped search."""

from __future__ import annotations

import re
from html import unescape

from schoolcloud.accounts.models import Role
from tests.support import browser
from tests.support.data import make_school
from tests.support.files import api_client, person, personal_root, upload


def notice(html: str) -> str:
    match = re.search(r'class="(?:notice|error-summary files-error)" role="(?:status|alert)">([^<]*)<', html)
    return unescape(match.group(1)) if match else ""


async def test_share_through_the_details_page_and_revoke(app):
    school = await make_school()
    owner, reader = await person(Role.TEACHER, school), await person(Role.TEACHER, school)
    async with api_client(app.base_url, owner) as http, api_client(app.base_url, reader) as other:
        root = await personal_root(http)
        file_id = (await upload(http, root, "Arbeitsblatt.pdf", b"%PDF-1.4 blatt")).json()["id"]
        details = f"/files/{file_id}/details"
        page = await http.get(details, params={"q": reader.family_name})
        assert page.status_code == 200
        assert f'value="user:{reader.id}"' in page.text
        response = await http.post(f"/files/{file_id}/shares", data={
            "csrf_token": browser.csrf_from(page.text), "recipient": f"user:{reader.id}", "access": "read"})
        assert response.status_code == 303 and response.headers["location"] == details
        page = await http.get(details)
        assert notice(page.text) and reader.display_name in page.text

        shared = await other.get("/files/shared")
        assert shared.status_code == 200 and "Arbeitsblatt.pdf" in shared.text
        assert f"/api/v1/files/content/{file_id}?download=1" in shared.text
        assert 'href="/files/shared"' in (await other.get("/files")).text
        recipient_view = await other.get(f"/files/{file_id}/details")  # no sharing sections for recipients
        assert recipient_view.status_code == 200 and 'id="sharing-heading"' not in recipient_view.text
        assert f'href="/files/{root}"' not in recipient_view.text  # nothing of the owner's folders

        share_id = (await http.get(f"/api/v1/files/nodes/{file_id}/shares")).json()["items"][0]["id"]
        response = await http.post(f"/files/{file_id}/shares/{share_id}/revoke",
                                   data={"csrf_token": browser.csrf_from(page.text)})
        assert response.status_code == 303
        assert "Arbeitsblatt.pdf" not in (await other.get("/files/shared")).text
        # Without the token nothing happens; a reader does not see the sharing sections.
        response = await http.post(f"/files/{file_id}/shares", data={"recipient": f"user:{reader.id}"},
                                   headers={"X-CSRF-Token": ""})
        assert response.status_code == 403
        assert (await http.get(f"/api/v1/files/nodes/{file_id}/shares")).json()["items"] == []


async def test_link_form_and_download_limit(app):
    owner = await person(Role.TEACHER)
    async with api_client(app.base_url, owner) as http:
        root = await personal_root(http)
        file_id = (await upload(http, root, "notiz.txt", b"hallo")).json()["id"]
        details = f"/files/{file_id}/details"
        page = await http.get(details)
        response = await http.post(f"/files/{file_id}/links", data={
            "csrf_token": browser.csrf_from(page.text), "mode": "download", "max_downloads": "1",
            "password": "", "expires": ""})
        assert response.status_code == 303
        page = await http.get(details)
        url = re.search(r'id="new-link-url" value="([^"]+)"', page.text).group(1)
        token = url.rsplit("/", 1)[-1]
        assert url.startswith("http") and len(token) == 43
        assert 'id="new-link-url"' not in (await http.get(details)).text  # shown once
        async with browser.client(app.base_url) as anonymous:
            first = await anonymous.get(f"/s/{token}/download")
            assert first.status_code == 200 and first.content == b"hallo"
            used_up = await anonymous.get(f"/s/{token}/download")
            assert used_up.status_code == 410 and used_up.json()["error"]["code"] == "link_used_up"
        page = await http.get(details)
        assert "1 / 1" in page.text
        # A bad limit is refused with a notice, no link is made.
        await http.post(f"/files/{file_id}/links", data={"csrf_token": browser.csrf_from(page.text),
                                                         "max_downloads": "viele"})
        assert notice((await http.get(details)).text)
        assert len((await http.get(f"/api/v1/files/nodes/{file_id}/links")).json()["items"]) == 1


async def test_team_create_and_add_member(app):
    school = await make_school()
    teacher, pupil = await person(Role.TEACHER, school), await person(Role.PUPIL, school)
    async with api_client(app.base_url, teacher) as http:
        page = await http.get("/teams")
        assert page.status_code == 200 and 'id="team-name"' in page.text
        response = await http.post("/teams/new", data={"csrf_token": browser.csrf_from(page.text),
                                                       "name": "Schulgarten"})
        assert response.status_code == 303
        team_path = response.headers["location"]
        page = await http.get(team_path, params={"q": pupil.family_name})
        assert page.status_code == 200 and f'value="{pupil.id}"' in page.text
        response = await http.post(f"{team_path}/members", data={"csrf_token": browser.csrf_from(page.text),
                                                                 "user_id": str(pupil.id), "role": "member"})
        assert response.status_code == 303
        assert pupil.display_name in (await http.get(team_path)).text
    async with api_client(app.base_url, pupil) as http:
        teams = await http.get("/teams")
        assert "Schulgarten" in teams.text and 'id="team-name"' not in teams.text
        files = await http.get("/files")
        assert "Team Schulgarten" in files.text
        # A member cannot add others: no search form, and the form post is refused.
        page = await http.get(team_path)
        assert 'id="member-q"' not in page.text
        response = await http.post(f"{team_path}/members", data={"csrf_token": browser.csrf_from(page.text),
                                                                 "user_id": str(teacher.id)})
        assert response.status_code == 303 and notice((await http.get(team_path)).text)
