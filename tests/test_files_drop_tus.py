"""Resumable (tus 1.0) uploads into a file drop, authorised by the link: resume after a broken
connection, scoping (the link's uploads only, nothing of the folder), limits, and expired or revoked links."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

import httpx
import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.files.models import Node, Space, TusUpload
from schoolcloud.files.sharing_models import PublicLink
from schoolcloud.privacy.models import AuditEvent
from storage.local import LocalStore
from tests.support.data import make_member, make_school
from tests.support.files import api_client, listing, mkdir, personal_root, store_keys, tus_metadata, upload
from tests.test_files_tus import TUS, broken_patch, offset_of, patch


def anonymous(app, **headers) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=app.base_url, timeout=30, headers=headers)


async def drop_folder(app, **link):
    """A teacher's folder with one file in it and a drop link onto it; (teacher, folder, link)."""
    teacher = await make_member(await make_school(), Role.TEACHER)
    async with api_client(app.base_url, teacher) as http:
        folder = await mkdir(http, await personal_root(http), "Abgabe")
        await upload(http, folder["id"], "Bericht.txt", b"von der Lehrkraft")
        made = await http.post(f"/api/v1/files/nodes/{folder['id']}/links", json={"mode": "drop", **link})
        assert made.status_code == 201, made.text
    return teacher, folder, made.json()


async def create(anon, link: dict, name: str, length: int, **extra):
    return await anon.post(f"{link['url']}/tus", headers={
        **TUS, "Upload-Length": str(length), "Upload-Metadata": tus_metadata(filename=name, **extra)})


@pytest.mark.postgres
async def test_drop_upload_resumes_after_a_broken_connection_and_reveals_nothing(app):
    teacher, folder, link = await drop_folder(app, password="abgabe")
    data = os.urandom(256 * 1024)
    async with anonymous(app, **{"X-Link-Password": "abgabe"}) as anon:
        options = await anon.options(f"{link['url']}/tus")
        assert options.status_code == 204 and "creation" in options.headers["tus-extension"]
        empty = await create(anon, link, "Bericht.txt", 0)  # an empty file is stored at once
        assert empty.status_code == 201 and unquote(empty.headers["upload-stored-name"]) == "Bericht (2).txt"
        made = await create(anon, link, "Bericht.txt", len(data), folder="1", on_conflict="overwrite")
        assert made.status_code == 201, made.text
        url = made.headers["location"]
        assert url.startswith(f"{link['url']}/tus/") and "upload-stored-name" not in made.headers
        # The whole file in one PATCH, but the connection breaks after 100 KiB.
        offset = await broken_patch(app, anon, url, data, 100 * 1024, {"X-Link-Password": "abgabe"})
        assert offset == 100 * 1024
        wrong = await patch(anon, url, 0, data)
        assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "tus_offset"
        rest = await patch(anon, url, offset, data[offset:])
        assert rest.status_code == 204 and rest.headers["upload-offset"] == str(len(data))
        # numbered, never overwriting (whatever the client asked for), and the name is all it learns
        assert unquote(rest.headers["upload-stored-name"]) == "Bericht (3).txt"
        assert rest.content == b""
        # the password is needed for every request, like for the link itself
        async with anonymous(app) as stranger:
            assert (await stranger.head(url, headers=TUS)).status_code == 404
            assert (await create(stranger, link, "x.txt", 1)).status_code == 404
    async with api_client(app.base_url, teacher) as http:
        items = {i["name"]: i for i in (await listing(http, folder["id"]))["items"]}
        assert sorted(items) == ["Bericht (2).txt", "Bericht (3).txt", "Bericht.txt"]
        assert (await http.get(f"/api/v1/files/content/{items['Bericht (3).txt']['id']}")).content == data
        assert (await http.get(f"/api/v1/files/content/{items['Bericht.txt']['id']}")).content == b"von der Lehrkraft"
        # the logged-in tus API does not know the link's uploads, nor the link's the user's
        assert (await http.head(url.replace(link["url"], "/api/v1/files"), headers=TUS)).status_code == 404
    node = await Node.get(id=items["Bericht (3).txt"]["id"])
    assert node.created_by_id is None
    assert (await PublicLink.get(id=link["id"])).uploads == 2
    events = [e for e in await AuditEvent.filter(action="files.drop_upload").order_by("id")
              if e.details.get("link") == link["id"]]
    assert len(events) == 2 and events[1].target_id == str(node.id) and events[1].ip == "127.0.0.0/24"


@pytest.mark.postgres
async def test_drop_uploads_are_scoped_to_their_link_and_checked_like_uploads(app):
    teacher, folder, link = await drop_folder(app)
    _other_teacher, _other_folder, other_link = await drop_folder(app)
    async with api_client(app.base_url, teacher) as http:
        download_link = (await http.post(f"/api/v1/files/nodes/{folder['id']}/links", json={})).json()
        mine = await http.post("/api/v1/files/tus", headers={
            **TUS, "Upload-Length": "10", "Upload-Metadata": tus_metadata(filename="a.txt", folder=str(folder["id"]))})
        user_upload_id = mine.headers["location"].rsplit("/", 1)[1]
    async with anonymous(app, **{"Accept-Language": "de"}) as anon:
        url = (await create(anon, link, "Teil.bin", 1000)).headers["location"]
        upload_id = url.rsplit("/", 1)[1]
        assert (await patch(anon, url, 0, b"a" * 400)).status_code == 204
        # another drop link, a download link, or the user's upload id: nothing there
        for foreign in (f"{other_link['url']}/tus/{upload_id}", f"{download_link['url']}/tus/{upload_id}",
                        f"{link['url']}/tus/{user_upload_id}"):
            assert (await anon.head(foreign, headers=TUS)).status_code == 404, foreign
            assert (await patch(anon, foreign, 400, b"b")).status_code == 404, foreign
        assert (await create(anon, download_link, "x.txt", 1)).status_code == 404

        too_much = await patch(anon, url, 400, b"b" * 601)
        assert too_much.status_code == 413 and too_much.json()["error"]["code"] == "tus_too_much"
        assert too_much.json()["error"]["message"] == too_much.json()["error"]["message_de"] != \
            too_much.json()["error"]["message_en"]
        assert await offset_of(anon, url) == 400
        no_name = await anon.post(f"{link['url']}/tus", headers={**TUS, "Upload-Length": "1"})
        assert no_name.status_code == 400 and no_name.json()["error"]["code"] == "tus_metadata"
        bad_name = await create(anon, link, "../x", 1)
        assert bad_name.status_code == 422
        huge = await create(anon, link, "riesig.bin", 3 * 1024 ** 3)
        assert huge.status_code == 413 and huge.json()["error"]["code"] == "file_too_large"
        await Space.filter(nodes__id=folder["id"]).update(quota_bytes=2000)
        full = await create(anon, link, "voll.bin", 5000)
        assert full.status_code == 507 and full.json()["error"]["code"] == "quota_exceeded"
        assert full.json()["error"]["message_de"] != full.json()["error"]["message_en"]

        assert (await anon.delete(url, headers=TUS)).status_code == 204
        assert (await anon.head(url, headers=TUS)).status_code == 404
    assert not await TusUpload.filter(id=upload_id).exists()
    assert not await Node.filter(parent_id=folder["id"], name="Teil.bin").exists()


@pytest.mark.postgres
async def test_an_expired_or_revoked_drop_link_stops_unfinished_uploads(app):
    teacher, folder, link = await drop_folder(app, expires_at=(datetime.now(timezone.utc) + timedelta(hours=1)).isoformat())
    store = LocalStore(app.var_dir / "objects")
    before = await store_keys(store)
    async with anonymous(app) as anon:
        url = (await create(anon, link, "Halb.bin", 1000)).headers["location"]
        assert (await patch(anon, url, 0, b"a" * 500)).status_code == 204
        await PublicLink.filter(id=link["id"]).update(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
        refused = await patch(anon, url, 500, b"a" * 500)
        assert refused.status_code == 410 and refused.json()["error"]["code"] == "link_expired"
        assert (await anon.head(url, headers=TUS)).status_code == 410
        assert (await create(anon, link, "neu.bin", 1)).status_code == 410
    assert not await Node.filter(parent_id=folder["id"], name="Halb.bin").exists()
    upload_id = url.rsplit("/", 1)[1]
    # revoking the link removes its unfinished uploads and their parts at once
    async with api_client(app.base_url, teacher) as http:
        assert (await http.delete(f"/api/v1/files/links/{link['id']}")).status_code == 204
    assert not await TusUpload.filter(id=upload_id).exists()
    assert await store_keys(store) == before


@pytest.mark.postgres
async def test_revoking_a_drop_link_during_a_patch_leaves_nothing(app):
    """The link is revoked while a PATCH streams a part: the PATCH fails with a clear error, and neither
    the earlier part nor the one in flight stays behind (rows or objects)."""
    teacher, folder, link = await drop_folder(app)
    store = LocalStore(app.var_dir / "objects")
    before = await store_keys(store)
    first_sent, go_on = asyncio.Event(), asyncio.Event()

    async def body():
        yield b"b" * 50_000
        first_sent.set()
        await go_on.wait()
        yield b"b" * 50_000

    async with anonymous(app) as anon:
        url = (await create(anon, link, "Halb.bin", 300_000)).headers["location"]
        upload_id = url.rsplit("/", 1)[1]
        assert (await patch(anon, url, 0, b"a" * 100_000)).status_code == 204
        streaming = asyncio.ensure_future(anon.patch(url, content=body(), headers={
            **TUS, "Upload-Offset": "100000", "Content-Type": "application/offset+octet-stream"}))
        await first_sent.wait()
        await asyncio.sleep(0.5)  # the server opened the link and is storing the part
        async with api_client(app.base_url, teacher) as http:
            assert (await http.delete(f"/api/v1/files/links/{link['id']}")).status_code == 204
        assert not await TusUpload.filter(id=upload_id).exists()
        go_on.set()
        answer = await streaming
        assert answer.status_code == 410 and answer.json()["error"]["code"] == "tus_removed", answer.text
        assert (await anon.head(url, headers=TUS)).status_code == 404
    assert await store_keys(store) == before
    assert not await Node.filter(parent_id=folder["id"], name="Halb.bin").exists()
