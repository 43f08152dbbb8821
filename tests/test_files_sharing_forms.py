"""The sharing forms of the details page over the real server (httpx, no JavaScript): a refused share or
link form comes back with each message next to its field (aria-invalid, aria-describedby) and a
summary at the top linking to it; a share's access changes in place, on the page and through the API."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.files.sharing_models import Share
from schoolcloud.privacy.models import AuditEvent
from tests.support import browser
from tests.support.data import make_school
from tests.support.files import api_client, person, personal_root, upload


def field_error(html: str, element_id: str) -> str:
    """The message tied to a field: aria-describedby names it, aria-invalid marks the field."""
    match = re.search(rf'<input[^>]*id="{element_id}"[^>]*>', html)
    assert match, f"no field {element_id}"
    assert 'aria-invalid="true"' in match.group(0), match.group(0)
    described = re.search(r'aria-describedby="([^"]+)"', match.group(0))
    assert described, f"{element_id} is not described: {match.group(0)}"
    message = re.search(rf'<p class="field-error" id="{described.group(1).split()[0]}">([^<]*)</p>', html)
    assert message, f"no message {described.group(1)}"
    return unescape(message.group(1))


def summary_links(html: str) -> list[tuple[str, str]]:
    summary = re.search(r'<div id="form-errors" tabindex="-1" class="error-summary files-error" role="alert">(.*?)</div>',
                        html, re.S)
    assert summary, "no error summary"
    return [(target, unescape(text)) for target, text in re.findall(r'<a href="#([^"]+)">([^<]*)</a>', summary.group(1))]


async def test_link_form_errors_are_tied_to_their_fields(app):
    owner = await person(Role.TEACHER)
    async with api_client(app.base_url, owner) as http:
        root = await personal_root(http)
        file_id = (await upload(http, root, "notiz.txt", b"hallo")).json()["id"]
        details = f"/files/{file_id}/details"
        page = await http.get(details)
        yesterday = (date.today() - timedelta(days=2)).isoformat()
        response = await http.post(f"/files/{file_id}/links", data={
            "csrf_token": browser.csrf_from(page.text), "mode": "download", "password": "",
            "expires": yesterday, "max_downloads": "0"})
        assert response.status_code == 303 and response.headers["location"] == details
        page = await http.get(details)
        assert 'id="link-expires"' in page.text
        assert re.search(r'<input[^>]*id="link-expires"[^>]*aria-invalid="true"', page.text)
        assert "Zukunft" in field_error(page.text, "link-expires")  # "in der Zukunft liegen"
        assert "mindestens 1" in field_error(page.text, "link-limit")
        assert [t for t, _ in summary_links(page.text)] == ["link-expires", "link-limit"]
        assert f'value="{yesterday}"' in page.text and 'value="0"' in page.text  # what was typed stays
        assert 'aria-invalid' not in re.search(r'<input[^>]*id="link-password"[^>]*>', page.text).group(0)
        # shown once; nothing was made
        assert 'id="form-errors"' not in (await http.get(details)).text
        assert (await http.get(f"/api/v1/files/nodes/{file_id}/links")).json()["items"] == []

        response = await http.post(f"/files/{file_id}/links", data={
            "csrf_token": browser.csrf_from(page.text), "expires": "31.12.2030", "max_downloads": "viele"})
        page = await http.get(details)
        assert "2027-07-31" in field_error(page.text, "link-expires")
        assert field_error(page.text, "link-limit")
        english = await http.post(f"/files/{file_id}/links", headers={"Accept-Language": "en"}, data={
            "csrf_token": browser.csrf_from(page.text), "max_downloads": "-3"})
        assert english.status_code == 303
        page = await http.get(details, headers={"Accept-Language": "en"})
        assert field_error(page.text, "link-limit") == "The download limit must be a whole number of at least 1."


async def test_share_form_errors_for_recipients_outside_the_school_or_unknown(app):
    school = await make_school()
    owner, colleague = await person(Role.TEACHER, school), await person(Role.TEACHER, school)
    stranger = await person(Role.TEACHER)  # another school
    async with api_client(app.base_url, owner) as http:
        root = await personal_root(http)
        file_id = (await upload(http, root, "Plan.txt", b"plan")).json()["id"]
        details = f"/files/{file_id}/details"
        page = await http.get(details, params={"q": colleague.family_name})
        for recipient, expected in ((f"user:{stranger.id}", "eigenen Schule"), ("user:999999999", "nicht gefunden"),
                                    ("", "Bitte wähle")):
            response = await http.post(f"/files/{file_id}/shares", data={
                "csrf_token": browser.csrf_from(page.text), "q": colleague.family_name, "recipient": recipient,
                "access": "write"})
            assert response.status_code == 303
            page = await http.get(details)
            # the search result is shown again, the message sits in the recipient group
            assert f'id="recipient-user-{colleague.id}"' in page.text
            fieldset = re.search(r'<fieldset aria-describedby="recipient-error">\s*<legend>[^<]*</legend>\s*'
                                 r'<p class="field-error" id="recipient-error">([^<]*)</p>', page.text)
            assert fieldset and expected in unescape(fieldset.group(1)), (recipient, page.text[:3000])
            assert summary_links(page.text)[0][0] == f"recipient-user-{colleague.id}"
            assert re.search(r'id="access-write" name="access" value="write" checked', page.text)
        assert not await Share.filter(node_id=file_id).exists()
        # Without a search the message sits at the search field.
        await http.post(f"/files/{file_id}/shares", data={"csrf_token": browser.csrf_from(page.text),
                                                           "recipient": f"user:{stranger.id}"})
        page = await http.get(details)
        assert "eigenen Schule" in field_error(page.text, "recipient-q")


@pytest.mark.postgres
async def test_share_access_changes_in_place_on_the_page_and_through_the_api(app):
    school = await make_school()
    owner, reader = await person(Role.TEACHER, school), await person(Role.TEACHER, school)
    async with api_client(app.base_url, owner) as http, api_client(app.base_url, reader) as other:
        root = await personal_root(http)
        folder = (await http.post(f"/api/v1/files/nodes/{root}/folders", json={"name": "Projekt"})).json()
        created = await http.post(f"/api/v1/files/nodes/{folder['id']}/shares",
                                  json={"recipient": {"type": "user", "id": reader.id}, "access": "read"})
        share_id = created.json()["id"]
        assert (await upload(other, folder["id"], "a.txt", b"a")).status_code == 403

        details = f"/files/{folder['id']}/details"
        page = await http.get(details)
        select = re.search(rf'<select id="share-access-{share_id}" name="access">(.*?)</select>', page.text, re.S)
        assert select and re.search(r'<option value="read" selected>', select.group(1))
        assert f'<label for="share-access-{share_id}" class="visually-hidden">' in page.text
        response = await http.post(f"/files/{folder['id']}/shares/{share_id}/access",
                                   data={"csrf_token": browser.csrf_from(page.text), "access": "write"})
        assert response.status_code == 303 and response.headers["location"] == details
        page = await http.get(details)
        assert re.search(rf'id="share-access-{share_id}" name="access">\s*<option value="read">[^<]*</option>\s*'
                         r'<option value="write" selected>', page.text)
        assert (await Share.get(id=share_id)).can_write
        assert (await upload(other, folder["id"], "a.txt", b"a")).status_code == 201
        assert await Share.filter(node_id=folder["id"]).count() == 1  # the same share, changed

        back = await http.patch(f"/api/v1/files/shares/{share_id}", json={"access": "read"})
        assert back.status_code == 200 and back.json()["access"] == "read"
        assert (await upload(other, folder["id"], "b.txt", b"b")).status_code == 403
        assert (await http.patch(f"/api/v1/files/shares/{share_id}", json={"access": "all"})).status_code == 400
        # the recipient cannot change it, neither on the page nor through the API
        assert (await other.patch(f"/api/v1/files/shares/{share_id}", json={"access": "write"})).status_code in (403, 404)
        assert not (await Share.get(id=share_id)).can_write
    changes = [e for e in await AuditEvent.filter(action="files.share_update").order_by("id")
               if e.details.get("share") == share_id]
    assert [e.details["write"] for e in changes] == [True, False]


async def test_link_title_from_the_form_is_what_visitors_see(app):
    owner = await person(Role.TEACHER)
    async with api_client(app.base_url, owner) as http:
        root = await personal_root(http)
        folder = (await http.post(f"/api/v1/files/nodes/{root}/folders", json={"name": "Privat Müller"})).json()
        details = f"/files/{folder['id']}/details"
        page = await http.get(details)
        await http.post(f"/files/{folder['id']}/links", data={"csrf_token": browser.csrf_from(page.text),
                                                                "mode": "drop", "label": "x" * 101})
        page = await http.get(details)
        assert "100" in field_error(page.text, "link-label")
        assert 'aria-describedby="link-label-error link-label-hint"' in page.text
        response = await http.post(f"/files/{folder['id']}/links", data={
            "csrf_token": browser.csrf_from(page.text), "mode": "drop", "label": " Abgabe Erörterung bis Freitag "})
        assert response.status_code == 303
        [link] = (await http.get(f"/api/v1/files/nodes/{folder['id']}/links")).json()["items"]
        assert link["label"] == "Abgabe Erörterung bis Freitag" and link["mode"] == "drop"
        assert "Abgabe Erörterung bis Freitag" in (await http.get(details)).text  # in the owner's list
        bad = await http.post(f"/api/v1/files/nodes/{folder['id']}/links", json={"label": 7})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "label"
    async with browser.client(app.base_url, headers={"Accept": "text/html"}) as visitor:
        drop = await visitor.get(link["url"])
        assert "<h1 id=\"link-heading\" class=\"link-name\">Abgabe Erörterung bis Freitag</h1>" in drop.text
        assert "Privat Müller" not in drop.text and owner.family_name not in drop.text
        as_json = await visitor.get(link["url"], headers={"Accept": "application/json"})
        assert as_json.json()["label"] == "Abgabe Erörterung bis Freitag"
