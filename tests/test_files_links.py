"""Public links and file drops over the real server, without an account: passwords that reveal nothing,
expiry, the download limit (also under concurrency), folders below a link, and file drops."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.files.models import Node
from schoolcloud.files.sharing_models import PublicLink
from schoolcloud.privacy.models import AuditEvent
from tests.support.data import make_member, make_school
from tests.support.files import api_client, listing, mkdir, personal_root, upload


def anonymous(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=app.base_url, timeout=30)


async def _link(http, node_id: int, **body) -> dict:
    response = await http.post(f"/api/v1/files/nodes/{node_id}/links", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.postgres
async def test_password_link_wrong_password_and_unknown_token_look_the_same(app):
    teacher = await make_member(await make_school(), Role.TEACHER)
    async with api_client(app.base_url, teacher) as http:
        root = await personal_root(http)
        sheet = (await upload(http, root, "Lösungen.pdf", b"%PDF-geheim")).json()
        link = await _link(http, sheet["id"], password="Sonnenblume", max_downloads=None)
        assert link["password"] and link["url"] == f"/s/{link['token']}" and "password_hash" not in link
    async with anonymous(app) as anon:
        unknown = await anon.get("/s/" + "A" * 43)
        missing = await anon.get(link["url"])
        wrong = await anon.get(link["url"], headers={"X-Link-Password": "Tulpe"})
        wrong_download = await anon.get(link["url"] + "/download", headers={"X-Link-Password": "Tulpe"})
        for response in (missing, wrong, wrong_download):
            assert response.status_code == unknown.status_code == 404
            assert response.content == unknown.content
            assert response.headers["content-type"] == unknown.headers["content-type"]
        assert unknown.json()["error"]["code"] == "link_unavailable"
        ok = await anon.get(link["url"], headers={"X-Link-Password": "Sonnenblume"})
        assert ok.status_code == 200 and ok.json()["node"]["name"] == "Lösungen.pdf"
        body = await anon.get(link["url"] + "/download",
                              headers={"X-Link-Password": "Sonnenblume", "Range": "bytes=5-"})
        assert body.status_code == 206 and body.content == b"geheim"
        assert body.headers["x-content-type-options"] == "nosniff"
        # a browser downloads with the ticket from the landing answer instead of the header
        ticket = ok.json()["ticket"]
        by_ticket = await anon.get(link["url"] + "/download", params={"ticket": ticket})
        assert by_ticket.status_code == 200 and by_ticket.content == b"%PDF-geheim"
        until, _, mac = ticket.partition(".")
        for forged in (f"{until}.{'0' * len(mac)}", f"{int(until) + 1}.{mac}", "garbage"):
            refused = await anon.get(link["url"] + "/download", params={"ticket": forged})
            assert refused.status_code == 404 and refused.content == unknown.content


async def test_wrong_passwords_lock_the_link(app):
    teacher = await make_member(await make_school(), Role.TEACHER)
    async with api_client(app.base_url, teacher) as http:
        root = await personal_root(http)
        sheet = (await upload(http, root, "a.txt", b"a")).json()
        link = await _link(http, sheet["id"], password="richtig")
    async with anonymous(app) as anon:
        for _ in range(10):
            assert (await anon.get(link["url"], headers={"X-Link-Password": "falsch"})).status_code == 404
        # locked: even the right password is refused, exactly like an unknown link
        assert (await anon.get(link["url"], headers={"X-Link-Password": "richtig"})).status_code == 404
        await PublicLink.filter(token=link["token"]).update(locked_until=datetime.now(timezone.utc))
        assert (await anon.get(link["url"], headers={"X-Link-Password": "richtig"})).status_code == 200


@pytest.mark.postgres
async def test_expiry_revocation_and_download_limit_under_concurrency(app):
    teacher = await make_member(await make_school(), Role.TEACHER)
    async with api_client(app.base_url, teacher) as http:
        root = await personal_root(http)
        sheet = (await upload(http, root, "Blatt.txt", b"Aufgabe 1")).json()
        soon = await _link(http, sheet["id"], expires_at=(datetime.now(timezone.utc) + timedelta(hours=1)).isoformat())
        past = await http.post(f"/api/v1/files/nodes/{sheet['id']}/links", json={"expires_at": "2020-01-01T00:00:00"})
        assert past.status_code == 422 and past.json()["error"]["code"] == "expiry_in_past"
        limited = await _link(http, sheet["id"], max_downloads=2)
        racing = await _link(http, sheet["id"], max_downloads=3)
        revoked = await _link(http, sheet["id"])
        assert (await http.delete(f"/api/v1/files/links/{revoked['id']}")).status_code == 204
        assert len((await http.get(f"/api/v1/files/nodes/{sheet['id']}/links")).json()["items"]) == 3
    async with anonymous(app) as anon:
        unknown = await anon.get("/s/" + "B" * 43 + "/download")
        assert (await anon.get(soon["url"] + "/download")).content == b"Aufgabe 1"
        await PublicLink.filter(id=soon["id"]).update(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
        expired = await anon.get(soon["url"] + "/download", headers={"Accept-Language": "de"})
        assert expired.status_code == 410 and expired.json()["error"]["code"] == "link_expired"
        assert "abgelaufen" in expired.json()["error"]["message"]
        assert "expired" in expired.json()["error"]["message_en"]
        # the page answers 410 as well; a password does not change the answer of an expired link
        assert (await anon.get(soon["url"], headers={"X-Link-Password": "egal"})).status_code == 410
        gone = await anon.get(revoked["url"] + "/download")
        assert gone.status_code == 404 and gone.content == unknown.content

        assert (await anon.get(limited["url"])).json()["node"]["size"] == 9
        assert [(await anon.get(limited["url"] + "/download")).status_code for _ in range(3)] == [200, 200, 410]
        used_up = await anon.get(limited["url"])
        assert used_up.status_code == 410 and used_up.json()["error"]["code"] == "link_used_up"
        assert used_up.json()["error"]["message_de"] != used_up.json()["error"]["message_en"]

        results = await asyncio.gather(*[anon.get(racing["url"] + "/download") for _ in range(12)])
        assert sorted(r.status_code for r in results) == [200] * 3 + [410] * 9
        assert {r.json()["error"]["code"] for r in results if r.status_code == 410} == {"link_used_up"}
    assert (await PublicLink.get(id=racing["id"])).downloads == 3
    assert await AuditEvent.filter(action="files.link_download", target_id=str(sheet["id"])).count() >= 5
    assert await AuditEvent.filter(action="files.link_revoke").exists()


async def test_folder_link_lists_and_downloads_only_below_the_folder(app):
    teacher = await make_member(await make_school(), Role.TEACHER)
    async with api_client(app.base_url, teacher) as http:
        root = await personal_root(http)
        outside = (await upload(http, root, "Privat.txt", b"privat")).json()
        folder = await mkdir(http, root, "Material")
        sub = await mkdir(http, folder["id"], "Bilder")
        inside = (await upload(http, sub["id"], "Karte.txt", b"Karte")).json()
        link = await _link(http, folder["id"])
    async with anonymous(app) as anon:
        top = (await anon.get(link["url"] + "/children")).json()
        assert [i["name"] for i in top["items"]] == ["Bilder"] and "space_id" not in top["items"][0]
        below = (await anon.get(link["url"] + "/children", params={"folder": sub["id"]})).json()
        assert [i["id"] for i in below["items"]] == [inside["id"]]
        assert (await anon.get(f"{link['url']}/download/{inside['id']}")).content == b"Karte"
        assert (await anon.get(f"{link['url']}/download/{outside['id']}")).status_code == 404
        assert (await anon.get(link["url"] + "/children", params={"folder": root})).status_code == 404


@pytest.mark.postgres
async def test_file_drop_uploaders_see_nothing_and_the_owner_gets_everything(app):
    teacher = await make_member(await make_school(), Role.TEACHER)
    async with api_client(app.base_url, teacher) as http:
        root = await personal_root(http)
        inbox = await mkdir(http, root, "Abgabe Deutsch")
        await upload(http, inbox["id"], "Vorlage.txt", b"nur fuer die Lehrkraft")
        drop = await _link(http, inbox["id"], mode="drop", password="abgabe")
        sheet = (await upload(http, root, "Datei.txt", b"x")).json()
        no_drop = await http.post(f"/api/v1/files/nodes/{sheet['id']}/links", json={"mode": "drop"})
        assert no_drop.status_code == 422
    headers = {"X-Link-Password": "abgabe"}
    big = b"A" * 3_000_000  # over the default form body limit: the drop path streams
    async with anonymous(app) as first, anonymous(app) as second:
        landing = (await first.get(drop["url"], headers=headers)).json()
        assert landing.pop("ticket")
        assert landing == {"mode": "drop", "expires_at": None, "node": {"kind": "folder", "name": "Abgabe Deutsch"}}
        one = await first.post(drop["url"] + "/upload", params={"name": "Aufsatz.txt"}, content=big, headers=headers)
        assert one.status_code == 201, one.text
        assert one.json() == {"name": "Aufsatz.txt", "size": len(big)}
        two = await second.post(drop["url"] + "/upload", params={"name": "Aufsatz.txt"}, content=b"B", headers=headers)
        assert two.json() == {"name": "Aufsatz (2).txt", "size": 1}
        assert (await second.post(drop["url"] + "/upload", params={"name": "x.txt"}, content=b"x")).status_code == 404
        for client in (first, second):
            assert (await client.get(drop["url"] + "/children", headers=headers)).status_code == 404
            assert (await client.get(drop["url"] + "/download", headers=headers)).status_code == 404
    async with api_client(app.base_url, teacher) as http:
        names = [i["name"] for i in (await listing(http, inbox["id"]))["items"]]
        assert names == ["Aufsatz (2).txt", "Aufsatz.txt", "Vorlage.txt"]
    assert (await Node.get(parent_id=inbox["id"], name="Aufsatz.txt")).created_by_id is None
    drops = [e for e in await AuditEvent.filter(action="files.drop_upload") if e.details.get("link") == drop["id"]]
    assert len(drops) == 2 and {e.ip for e in drops} == {"127.0.0.0/24"}  # truncated by audit.record


async def test_file_drop_over_quota_leaves_nothing_and_needs_a_folder_link(app):
    from schoolcloud.files.models import Space

    teacher = await make_member(await make_school(), Role.TEACHER)
    async with api_client(app.base_url, teacher) as http:
        root = await personal_root(http)
        inbox = await mkdir(http, root, "Briefkasten")
        drop = await _link(http, inbox["id"], mode="drop")
        download_link = await _link(http, inbox["id"])
    await Space.filter(nodes__id=inbox["id"]).update(quota_bytes=1000)
    async with anonymous(app) as anon:
        full = await anon.post(drop["url"] + "/upload", params={"name": "gross.bin"}, content=b"x" * 5000)
        assert full.status_code == 507 and full.json()["error"]["code"] == "quota_exceeded"
        bad_name = await anon.post(drop["url"] + "/upload", params={"name": "../x"}, content=b"x")
        assert bad_name.status_code == 422
        # a download link to the same folder cannot be used to upload
        assert (await anon.post(download_link["url"] + "/upload", params={"name": "a.txt"},
                                content=b"x")).status_code == 404
    assert not await Node.filter(parent_id=inbox["id"]).exists()


@pytest.mark.postgres
async def test_wrong_passwords_from_one_address_are_throttled_over_all_links(app):
    from schoolcloud.files.links import ADDRESS_RULE

    teacher = await make_member(await make_school(), Role.TEACHER)
    async with api_client(app.base_url, teacher) as http:
        root = await personal_root(http)
        sheet = (await upload(http, root, "Noten.txt", b"geheim")).json()
        guarded = [await _link(http, sheet["id"], password=f"richtig-{n}") for n in range(3)]
        open_link = await _link(http, sheet["id"])
    # the test server trusts X-Forwarded-For from 127.0.0.1: these are two clients behind a proxy
    guesser = {"X-Forwarded-For": "198.51.100.7", "Accept-Language": "de"}
    neighbour = {"X-Forwarded-For": "198.51.100.8"}
    async with anonymous(app) as anon:
        # Spread over several links (each locks itself after 10) and unknown tokens, which count alike.
        for n in range(ADDRESS_RULE.max_failures):
            target = guarded[n % 3]["url"] if n < 27 else f"/s/{'G' * 42}{n % 10}"
            wrong = await anon.get(target, headers={**guesser, "X-Link-Password": "geraten"})
            assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "link_unavailable", n
        for url in (guarded[0]["url"], "/s/" + "H" * 43):
            throttled = await anon.get(url, headers={**guesser, "X-Link-Password": "richtig-0"})
            assert throttled.status_code == 429, throttled.text
            error = throttled.json()["error"]
            assert error["code"] == "link_password_throttled" and "Passwörter" in error["message"]
            assert "Too many wrong link passwords" in error["message_en"]
            assert 0 < int(throttled.headers["retry-after"]) <= int(ADDRESS_RULE.lock.total_seconds())
        page = await anon.post(guarded[1]["url"], data={"password": "richtig-1"}, headers=guesser)
        assert page.status_code == 429 and "retry-after" in page.headers and "set-cookie" not in page.headers
        assert 'role="alert"' in page.text
        # a link without a password still works from there; another address is not affected
        assert (await anon.get(open_link["url"] + "/download", headers=guesser)).content == b"geheim"
        other = await anon.get(guarded[2]["url"], headers={**neighbour, "X-Link-Password": "richtig-2"})
        assert other.status_code == 200 and other.json()["node"]["name"] == "Noten.txt"



@pytest.mark.postgres
async def test_an_expired_or_used_up_link_with_a_password_looks_unknown_without_it(app):
    """Without its right password, an expired or used-up link answers exactly like an unknown token: the
    same 404 body, without a password straight away, with a wrong one after the same one hash (and
    counted like one). With the right password (or a ticket from before) the helpful 410."""
    teacher = await make_member(await make_school(), Role.TEACHER)
    async with api_client(app.base_url, teacher) as http:
        sheet = (await upload(http, await personal_root(http), "Blatt.txt", b"Aufgabe 1")).json()
        expiring = await _link(http, sheet["id"], password="Sonnenblume",
                               expires_at=(datetime.now(timezone.utc) + timedelta(hours=1)).isoformat())
        once = await _link(http, sheet["id"], password="Sonnenblume", max_downloads=1)
    unknown = "/s/" + "B" * 43
    async with anonymous(app) as anon:
        anon.headers["X-Forwarded-For"] = "198.51.100.21"  # its own address for the throttle
        ticket = (await anon.get(expiring["url"], headers={"X-Link-Password": "Sonnenblume"})).json()["ticket"]
        done = await anon.get(once["url"] + "/download", headers={"X-Link-Password": "Sonnenblume"})
        assert done.status_code == 200 and done.content == b"Aufgabe 1"
        await PublicLink.filter(id=expiring["id"]).update(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
        for link, code in [(expiring, "link_expired"), (once, "link_used_up")]:
            for path in ("", "/download", "/children", "/preview"):
                for headers in ({}, {"X-Link-Password": "Gaensebluemchen"}):
                    answer = await anon.get(link["url"] + path, headers=headers)
                    stranger = await anon.get(unknown + path, headers=headers)
                    assert (answer.status_code, answer.content) == (stranger.status_code, stranger.content) \
                        == (404, stranger.content), (link["url"], path, headers)
                    assert answer.json()["error"]["code"] == "link_unavailable"
            # the wrong passwords counted towards the link's lockout, as for a live link
            assert (await PublicLink.get(id=link["id"])).failed_attempts == 4
            right = await anon.get(link["url"], headers={"X-Link-Password": "Sonnenblume"})
            assert right.status_code == 410 and right.json()["error"]["code"] == code
            assert (await anon.get(link["url"] + "/download", headers={"X-Link-Password": "Sonnenblume"})) \
                .status_code == 410
        # the ticket from before the expiry proves the password as well
        with_ticket = await anon.get(f"{expiring['url']}/download", params={"ticket": ticket})
        assert with_ticket.status_code == 410 and with_ticket.json()["error"]["code"] == "link_expired"
