"""The data export: a ZIP with data.json and the personal space's files, through the real server; who may
export whose data; a second export of the same account while one runs."""

from __future__ import annotations

import asyncio
import io
import json
import os
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.privacy.models import AuditEvent, PrivacyLock
from schoolcloud.privacy.purposes import CLASS_DIRECTORY
from tests.support import browser
from tests.support.data import logged_in, make_class, make_member, make_school
from tests.support.files import mkdir, personal_root, upload

OWN = "/api/v1/privacy/export"


@pytest.fixture
async def world(app):
    school = await make_school(state="NW")
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    pupil = await make_member(school, Role.PUPIL, given_name="Jana", family_name="Export")
    classmate = await make_member(school, Role.PUPIL, given_name="Ben", family_name="Nachbar")
    await make_class(school, "9c", members=[pupil, classmate])
    other_admin = await make_member(await make_school(), Role.SCHOOL_ADMIN)
    return dict(school=school, admin=admin, pupil=pupil, classmate=classmate, other_admin=other_admin)


def _unzip(body: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    return archive


@pytest.mark.postgres
async def test_own_export_holds_data_and_files(app, world):
    pupil = world["pupil"]
    big = os.urandom(3 * 1024 * 1024 + 17)
    async with logged_in(app, pupil) as http:
        http.headers.update(http.csrf)
        root = await personal_root(http)
        folder = await mkdir(http, root, "Deutsch")
        essay = (await upload(http, folder["id"], "Aufsatz.txt", "Über Füchse".encode())).json()
        assert (await upload(http, root, "video.bin", big)).status_code == 201
        gone = (await upload(http, root, "alt.txt", b"old")).json()
        assert (await http.delete(f"/api/v1/files/nodes/{gone['id']}")).status_code == 200
        shared = await http.post(f"/api/v1/files/nodes/{essay['id']}/shares",
                                 json={"recipient": {"type": "user", "id": world["classmate"].id}, "access": "read"})
        assert shared.status_code == 201, shared.text
        assert (await http.put(f"/api/v1/privacy/consents/{CLASS_DIRECTORY.id}")).status_code == 201

        response = await http.post(OWN)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/zip"
        assert "attachment" in response.headers["content-disposition"]
    archive = _unzip(response.content)
    names = set(archive.namelist())
    assert {"data.json", "files/Deutsch/Aufsatz.txt", "files/video.bin"} <= names
    assert [n for n in names if n.startswith("trash/") and n.endswith("/alt.txt")]
    assert archive.read("files/video.bin") == big
    assert archive.read("files/Deutsch/Aufsatz.txt").decode() == "Über Füchse"

    data = json.loads(archive.read("data.json"))
    assert data["schema_version"] == 1
    assert data["account"]["id"] == str(pupil.public_id) and data["account"]["family_name"] == "Export"
    assert data["account"]["school"]["state"] == "NW"
    assert [c["name"] for c in data["memberships"]["classes"]] == ["9c"]
    assert [(c["purpose"], c["given_by"]) for c in data["consents"]] == [(CLASS_DIRECTORY.id, "self")]
    assert data["shares_made"] == [{"name": "Aufsatz.txt", "recipient": {"type": "user", "name": "Ben Nachbar"},
                                    "access": "read", "created_at": data["shares_made"][0]["created_at"]}]
    actions = {e["action"] for e in data["audit_events"]}
    assert {"login", "files.share_create", "consent.given", "files.trash"} <= actions
    assert all(e["actor"] in ("self", None) or len(e["actor"]) == 36 for e in data["audit_events"])
    by_path = {f["path"]: f for f in data["files"]}
    assert by_path["files/video.bin"]["size"] == len(big)
    assert any(f["trashed_at"] for f in data["files"])
    assert not await PrivacyLock.filter(key=f"export:{pupil.id}").exists()  # claim released
    event = await AuditEvent.filter(action="privacy.export", target_id=str(pupil.public_id)).first()
    assert event is not None and event.actor == str(pupil.public_id) and event.details["by"] == "self"


@pytest.mark.postgres
async def test_who_may_export_whose_data(app, world):
    pupil = world["pupil"]
    path = f"/api/v1/privacy/users/{pupil.public_id}/export"
    async with logged_in(app, world["admin"]) as http:
        response = await http.post(path, headers=http.csrf)
        assert response.status_code == 200
        data = json.loads(_unzip(response.content).read("data.json"))
        assert data["account"]["id"] == str(pupil.public_id)
        page = await http.get(f"/admin/users/{pupil.public_id}/privacy")
        via_form = await http.post(f"/admin/users/{pupil.public_id}/export",
                                   data={"csrf_token": browser.csrf_from(page.text)})
        assert via_form.status_code == 200 and via_form.content[:2] == b"PK"
    event = await AuditEvent.filter(action="privacy.export", target_id=str(pupil.public_id)).first()
    assert event.actor == str(world["admin"].public_id) and event.details["by"] == "school_admin"

    async with logged_in(app, world["other_admin"]) as http:
        assert (await http.post(path, headers=http.csrf)).status_code == 404
    async with logged_in(app, world["classmate"]) as http:
        assert (await http.post(path, headers=http.csrf)).status_code == 403
        mine = json.loads(_unzip((await http.post(OWN, headers=http.csrf)).content).read("data.json"))
        assert mine["account"]["id"] == str(world["classmate"].public_id)
        assert mine["shares_made"] == []
    assert await AuditEvent.filter(action="privacy.export", target_id=str(pupil.public_id)).count() == 2


@pytest.mark.postgres
async def test_second_export_while_one_runs_is_refused_with_a_message(app, world):
    pupil = world["pupil"]
    key = f"export:{pupil.id}"
    async with logged_in(app, pupil) as http:
        http.headers.update(http.csrf)
        # An export running on another app instance holds the claim.
        await PrivacyLock.create(key=key, created_at=datetime.now(timezone.utc))
        second = await http.post(OWN)
        assert second.status_code == 409
        error = second.json()["error"]
        assert error["code"] == "export_running" and error["message_de"] != error["message_en"]
        page = await http.get("/privacy")
        refused = await http.post("/privacy/export", data={"csrf_token": browser.csrf_from(page.text)},
                                  follow_redirects=True)
        assert refused.status_code == 200 and "läuft bereits" in refused.text
        # A claim older than its lease (that instance crashed) is taken over.
        await PrivacyLock.filter(key=key).update(created_at=datetime.now(timezone.utc) - timedelta(hours=3))
        assert (await http.post(OWN)).status_code == 200
        assert not await PrivacyLock.filter(key=key).exists()


@pytest.mark.postgres
async def test_claim_ends_when_the_client_stops_reading(app, world):
    pupil = world["pupil"]
    key = f"export:{pupil.id}"
    size = 64 * 1024 * 1024  # more than the loopback socket buffers hold (up to 32 + 4 MiB here)
    async with logged_in(app, pupil) as http:
        http.headers.update(http.csrf)
        assert (await upload(http, await personal_root(http), "export-gross.bin", os.urandom(size))).status_code == 201
        async with http.stream("POST", OWN) as first:
            assert first.status_code == 200
            reader = first.aiter_raw()  # kept referenced: a dropped reader would close the response
            assert await reader.__anext__()
            assert await PrivacyLock.filter(key=key).exists()
            assert (await http.post(OWN)).status_code == 409
        for _ in range(100):  # the server notices the closed connection
            if not await PrivacyLock.filter(key=key).exists():
                break
            await asyncio.sleep(0.1)
        again = await http.post(OWN)
        assert again.status_code == 200 and len(_unzip(again.content).read("files/export-gross.bin")) == size
