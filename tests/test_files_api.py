"""Files over the JSON/HTTP API against the real server: upload and download (Range, ETag, 304), safe
serving, names and collisions, folders and paging, rename/move/copy, versions, search, quotas, trash."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta, timezone

import pytest

from schoolcloud.accounts.models import Role, SchoolClass
from schoolcloud.files.models import FileVersion, Node, NodeKind, Space
from schoolcloud.files.names import name_key
from schoolcloud.privacy.models import AuditEvent
from storage.local import LocalStore
from tests.support.data import make_school
from tests.support.files import (
    api_client,
    broken_request,
    listing,
    mkdir,
    person,
    personal_root,
    spaces,
    store_keys,
    tmp_emptied,
    tus_metadata,
    upload,
)


@pytest.fixture(scope="module")
def store(app):
    return LocalStore(app.var_dir / "objects")


async def _space_of(root_id: int) -> Space:
    return await Space.get(nodes__id=root_id)


@pytest.mark.postgres
async def test_upload_then_download_with_range_etag_and_304(app, store):
    user = await person(Role.TEACHER)
    data = os.urandom(200_000)
    digest = hashlib.sha256(data).hexdigest()
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        created = await upload(http, root, "Messreihe.bin", data)
        assert created.status_code == 201, created.text
        node = created.json()
        assert node["size"] == len(data) and node["etag"] == f'"{digest}"'
        version = await FileVersion.get(node_id=node["id"])
        assert version.sha256 == digest and await store.exists(version.object_key)

        url = f"/api/v1/files/content/{node['id']}"
        full = await http.get(url)
        assert full.status_code == 200 and full.content == data
        assert full.headers["etag"] == f'"{digest}"' and full.headers["accept-ranges"] == "bytes"
        assert (await http.get(url, headers={"If-None-Match": f'"{digest}"'})).status_code == 304
        assert (await http.get(url, headers={"If-None-Match": '"other"'})).status_code == 200

        part = await http.get(url, headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == data[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
        tail = await http.get(url, headers={"Range": "bytes=-10"})
        assert tail.status_code == 206 and tail.content == data[-10:]
        rest = await http.get(url, headers={"Range": "bytes=199990-"})
        assert rest.content == data[199990:]
        beyond = await http.get(url, headers={"Range": f"bytes={len(data)}-"})
        assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(data)}"
        stale = await http.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
        assert stale.status_code == 200 and len(stale.content) == len(data)

        head = await http.head(url)
        assert head.status_code == 200 and head.headers["content-length"] == str(len(data)) and not head.content

        usage = next(s for s in await spaces(http) if s["kind"] == "personal")
        assert usage["used_bytes"] == len(data) and usage["quota_bytes"] > len(data)


async def test_unsafe_types_download_as_attachments_and_names_are_encoded(app):
    user = await person(Role.TEACHER)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)

        async def fetch(name: str, content_type: str, **params):
            node = (await http.post(f"/api/v1/files/upload/{root}", params={"name": name}, content=b"<x/>",
                                    headers={"Content-Type": content_type})).json()
            return await http.get(f"/api/v1/files/content/{node['id']}", params=params)

        for name, kind in [("seite.html", "text/html"), ("bild.svg", "image/svg+xml"),
                           ("daten.xml", "application/xml"), ("skript.js", "text/javascript"),
                           ("unbekannt.xyz", "application/x-unknown")]:
            response = await fetch(name, kind)
            assert response.headers["content-type"] == "application/octet-stream", name
            assert response.headers["content-disposition"].startswith("attachment;"), name
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["content-security-policy"].startswith("sandbox"), name

        image = await fetch("Foto Übung.png", "image/png")
        assert image.headers["content-type"] == "image/png"
        assert image.headers["content-disposition"] == (
            "inline; filename=\"Foto _bung.png\"; filename*=UTF-8''Foto%20%C3%9Cbung.png")
        assert "sandbox" in image.headers["content-security-policy"]
        forced = await fetch("Foto2.png", "image/png", download="1")
        assert forced.headers["content-disposition"].startswith("attachment;")
        document = await fetch("Brief.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        assert document.headers["content-disposition"].startswith("attachment;")
        # Pages keep their own policy; only file responses get the file policy.
        page = await http.get("/api/v1/files/spaces")
        assert "sandbox" not in page.headers["content-security-policy"]


BAD_NAMES = ["", ".", "..", "a/b", "a\\b", "a\x00b", "zeile\numbruch", "tab\tname", " vorne", "hinten ",
             "x" * 256, "ü" * 128, "\u202egpj.exe"]


async def test_names_are_refused_with_422(app):
    user = await person(Role.PUPIL)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        for name in BAD_NAMES:
            folder = await http.post(f"/api/v1/files/nodes/{root}/folders", json={"name": name})
            assert folder.status_code == 422, name
            assert folder.json()["error"]["code"] == "invalid_name"
            file = await upload(http, root, name, b"x")
            assert file.status_code == 422, name
        assert (await upload(http, root, "ü" * 127, b"x")).status_code == 201  # 254 bytes: fine
        assert (await listing(http, root))["items"][0]["name"] == "ü" * 127
    assert not await Node.filter(name__in=[n for n in BAD_NAMES if 0 < len(n) <= 255]).exists()


@pytest.mark.postgres
async def test_collisions_answer_409_with_the_existing_entry_or_rename(app):
    user = await person(Role.TEACHER)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        first = (await upload(http, root, "Bericht.pdf", b"eins")).json()
        clash = await upload(http, root, "bericht.PDF", b"zwei")
        assert clash.status_code == 409
        assert clash.json()["error"]["code"] == "name_conflict"
        assert clash.json()["existing"]["id"] == first["id"]
        second = await upload(http, root, "Bericht.pdf", b"zwei", on_conflict="rename")
        assert second.status_code == 201 and second.json()["name"] == "Bericht (2).pdf"
        third = await upload(http, root, "Bericht.pdf", b"drei", on_conflict="rename")
        assert third.json()["name"] == "Bericht (3).pdf"
        replaced = await upload(http, root, "Bericht.pdf", b"neu", on_conflict="overwrite")
        assert replaced.status_code == 200 and replaced.json()["id"] == first["id"]
        assert (await http.get(f"/api/v1/files/content/{first['id']}")).content == b"neu"

        await mkdir(http, root, "Ordner")
        again = await http.post(f"/api/v1/files/nodes/{root}/folders", json={"name": "ORDNER"})
        assert again.status_code == 409
        renamed = await http.post(f"/api/v1/files/nodes/{root}/folders", params={"on_conflict": "rename"},
                                  json={"name": "Ordner"})
        assert renamed.json()["name"] == "Ordner (2)"
        # a file cannot overwrite a folder
        assert (await upload(http, root, "Ordner", b"x", on_conflict="overwrite")).status_code == 409
        assert (await upload(http, root, "x.txt", b"x", on_conflict="sideways")).status_code == 400


@pytest.mark.postgres
async def test_versions_overwrite_restore_and_delete(app, store):
    user = await person(Role.TEACHER)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        node = (await upload(http, root, "Plan.txt", b"version eins")).json()
        url = f"/api/v1/files/content/{node['id']}"
        wrong = await http.put(url, content=b"x", headers={"If-Match": '"not-the-current"'})
        assert wrong.status_code == 412
        second = await http.put(url, content=b"version zwei!", headers={"If-Match": node["etag"]})
        assert second.status_code == 200 and second.json()["size"] == 13
        assert (await http.get(url)).content == b"version zwei!"

        versions = (await http.get(f"/api/v1/files/nodes/{node['id']}/versions")).json()["items"]
        assert [v["size"] for v in versions] == [13, 12] and versions[0]["current"]
        old = versions[1]["id"]
        assert (await http.get(url, params={"version": old})).content == b"version eins"

        restored = await http.post(f"/api/v1/files/nodes/{node['id']}/versions/{old}/restore")
        assert restored.status_code == 200
        assert (await http.get(url)).content == b"version eins"
        versions = (await http.get(f"/api/v1/files/nodes/{node['id']}/versions")).json()["items"]
        assert len(versions) == 3
        keys = set(await FileVersion.filter(node_id=node["id"]).values_list("object_key", flat=True))
        assert len(keys) == 3  # the restored version has bytes of its own

        current = versions[0]["id"]
        assert (await http.delete(f"/api/v1/files/nodes/{node['id']}/versions/{current}")).status_code == 409
        gone = await FileVersion.get(id=old)
        assert (await http.delete(f"/api/v1/files/nodes/{node['id']}/versions/{old}")).status_code == 204
        assert not await store.exists(gone.object_key)
        space = await _space_of(root)
        assert space.used_bytes == 13 + 12  # "version zwei!" and the restored "version eins"


@pytest.mark.postgres
async def test_quota_exceeded_mid_stream_leaves_no_row_and_no_object(app, store):
    user = await person(Role.PUPIL)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        await upload(http, root, "klein.txt", b"x" * 1000)
        await Space.filter(owner_id=user.id).update(quota_bytes=50_000)
        before = await store_keys(store)

        async def body():
            for _ in range(40):
                yield b"y" * 4096  # 160 KiB, sent without Content-Length

        refused = await http.post(f"/api/v1/files/upload/{root}", params={"name": "gross.bin"}, content=body())
        assert refused.status_code == 507 and refused.json()["error"]["code"] == "quota_exceeded"
        announced = await upload(http, root, "gross2.bin", b"z" * 60_000)
        assert announced.status_code == 507
        assert not await Node.filter(name__in=["gross.bin", "gross2.bin"]).exists()
        assert await store_keys(store) == before
        assert (await Space.get(owner_id=user.id)).used_bytes == 1000
        fits = await upload(http, root, "passt.bin", b"z" * 49_000)
        assert fits.status_code == 201


async def test_truncated_body_leaves_no_row_and_no_object(app, store):
    user = await person(Role.TEACHER)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies.jar)
        token = http.headers["X-CSRF-Token"]
    before = await store_keys(store)
    await broken_request(app, f"POST /api/v1/files/upload/{root}?name=halb.bin",
                         {"Cookie": cookie, "X-CSRF-Token": token, "Content-Length": "100000"}, b"a" * 40_000)
    await tmp_emptied(store)
    assert not await Node.filter(name="halb.bin").exists()
    assert await store_keys(store) == before


@pytest.mark.postgres
async def test_large_folder_lists_in_pages_folders_first(app):
    user = await person(Role.TEACHER)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        folder = await mkdir(http, root, "Viele")
        space_id = folder["space_id"]
        now = datetime.now(timezone.utc)
        names = [f"Ordner {i:05d}" for i in range(100)] + [f"Datei {i:05d}.txt" for i in range(9900)]
        await Node.bulk_create([
            Node(space_id=space_id, parent_id=folder["id"], kind=NodeKind.FOLDER if n.startswith("Ordner") else NodeKind.FILE,
                 name=n, name_key=name_key(n), size=len(n), modified_at=now) for n in names], batch_size=1000)
        seen = []
        offset = 0
        while offset is not None:
            page = await listing(http, folder["id"], offset=offset, limit=500)
            assert len(page["items"]) == 500 or not page["has_more"]
            seen += [item["name"] for item in page["items"]]
            offset = page["next_offset"]
        assert len(seen) == 10_000 and len(set(seen)) == 10_000
        assert seen[:100] == sorted(names[:100]) and seen[100:] == sorted(names[100:])
        by_size = await listing(http, folder["id"], sort="size", order="desc", limit=5)
        assert [i["kind"] for i in by_size["items"]] == ["folder"] * 5
        assert (await http.get(f"/api/v1/files/nodes/{folder['id']}/children", params={"limit": 501})).status_code == 400
        hits = (await http.get("/api/v1/files/search", params={"q": "datei 0989", "limit": 20})).json()
        assert [h["name"] for h in hits["items"]] == [f"Datei 0989{i}.txt" for i in range(10)]


async def test_listing_is_one_indexed_query():
    """The listing query searches by the (parent_id, trash_key, kind, name_key) index (SQLite's plan)."""
    from tortoise import connections

    from schoolcloud.files.tree import children_query

    connection = connections.get("default")
    if connection.capabilities.dialect != "sqlite":
        pytest.skip("query plan checked on SQLite")
    sql = children_query(1).offset(0).limit(100).sql(params_inline=True)
    plan = " ".join(row["detail"] for row in await connection.execute_query_dict("EXPLAIN QUERY PLAN " + sql))
    assert "USING INDEX idx_file_node_parent" in plan and "SCAN" not in plan


@pytest.mark.postgres
async def test_rename_move_copy(app, store):
    user = await person(Role.TEACHER)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        a = await mkdir(http, root, "A")
        b = await mkdir(http, a["id"], "B")
        file = (await upload(http, a["id"], "notiz.txt", b"Hallo")).json()

        renamed = await http.patch(f"/api/v1/files/nodes/{file['id']}", json={"name": "Notiz.txt"})
        assert renamed.status_code == 200 and renamed.json()["name"] == "Notiz.txt"
        moved = await http.patch(f"/api/v1/files/nodes/{file['id']}", json={"parent_id": b["id"]})
        assert moved.json()["parent_id"] == b["id"]
        into_itself = await http.patch(f"/api/v1/files/nodes/{a['id']}", json={"parent_id": b["id"]})
        assert into_itself.status_code == 422 and into_itself.json()["error"]["code"] == "move_into_itself"
        assert (await http.patch(f"/api/v1/files/nodes/{root}", json={"name": "x"})).status_code == 422
        detail = (await http.get(f"/api/v1/files/nodes/{file['id']}")).json()
        assert [p["name"] for p in detail["path"]] == ["", "A", "B"]

        copied = await http.post(f"/api/v1/files/nodes/{a['id']}/copy", json={"parent_id": root},
                                 params={"on_conflict": "rename"})
        assert copied.status_code == 201 and copied.json()["name"] == "A (2)"
        copy_b = (await listing(http, copied.json()["id"]))["items"][0]
        copy_file = (await listing(http, copy_b["id"]))["items"][0]
        assert copy_file["name"] == "Notiz.txt" and copy_file["id"] != file["id"]
        original_key = (await FileVersion.get(node_id=file["id"])).object_key
        copy_key = (await FileVersion.get(node_id=copy_file["id"])).object_key
        assert copy_key != original_key and await store.exists(copy_key)
        assert (await http.get(f"/api/v1/files/content/{copy_file['id']}")).content == b"Hallo"
        assert (await _space_of(root)).used_bytes == 10


@pytest.mark.postgres
async def test_move_into_class_space_moves_usage(app):
    school = await make_school()
    teacher = await person(Role.TEACHER, school)
    school_class = await SchoolClass.create(school=school, name="7b", grade_level=7, school_year="2026/27")
    await school_class.members.add(teacher)
    async with api_client(app.base_url, teacher) as http:
        all_spaces = await spaces(http)
        personal = next(s for s in all_spaces if s["kind"] == "personal")
        group = next(s for s in all_spaces if s["kind"] == "class")
        assert group["title"] == "7b" and group["access"] == "write"
        file = (await upload(http, personal["root_id"], "Arbeitsblatt.pdf", b"%PDF" + b"0" * 996)).json()
        moved = await http.patch(f"/api/v1/files/nodes/{file['id']}", json={"parent_id": group["root_id"]})
        assert moved.status_code == 200 and moved.json()["space_id"] == group["id"]
        assert (await Space.get(id=personal["id"])).used_bytes == 0
        assert (await Space.get(id=group["id"])).used_bytes == 1000


@pytest.mark.postgres
async def test_trash_restore_and_purge(app, store):
    user = await person(Role.TEACHER)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        folder = await mkdir(http, root, "Projekt")
        file = (await upload(http, folder["id"], "Entwurf.txt", b"abc")).json()
        key = (await FileVersion.get(node_id=file["id"])).object_key

        deleted = await http.delete(f"/api/v1/files/nodes/{folder['id']}")
        assert deleted.status_code == 200 and deleted.json()["trashed_at"]
        assert (await listing(http, root))["items"] == []
        assert (await http.get(f"/api/v1/files/content/{file['id']}")).status_code == 404
        assert (await http.get("/api/v1/files/search", params={"q": "entwurf"})).json()["items"] == []
        trash = (await http.get("/api/v1/files/trash")).json()
        assert [t["id"] for t in trash["items"]] == [folder["id"]] and trash["trash_days"] == 30
        assert await store.exists(key)  # rows first, bytes later

        # the name is free again meanwhile; restoring then collides
        await mkdir(http, root, "Projekt")
        clash = await http.post(f"/api/v1/files/trash/{folder['id']}/restore")
        assert clash.status_code == 409
        restored = await http.post(f"/api/v1/files/trash/{folder['id']}/restore", params={"on_conflict": "rename"})
        assert restored.status_code == 200 and restored.json()["name"] == "Projekt (2)"
        assert (await http.get(f"/api/v1/files/content/{file['id']}")).content == b"abc"

        await http.delete(f"/api/v1/files/nodes/{folder['id']}")
        assert (await http.delete(f"/api/v1/files/trash/{folder['id']}")).status_code == 204
        assert not await Node.filter(id__in=[folder["id"], file["id"]]).exists()
        assert not await store.exists(key)
        assert (await _space_of(root)).used_bytes == 0

        # automatic purge after TRASH_DAYS
        old = (await upload(http, root, "alt.txt", b"old")).json()
        fresh = (await upload(http, root, "neu.txt", b"new")).json()
        await http.delete(f"/api/v1/files/nodes/{old['id']}")
        await http.delete(f"/api/v1/files/nodes/{fresh['id']}")
        await Node.filter(id=old["id"]).update(trashed_at=datetime.now(timezone.utc) - timedelta(days=31))
        result = app.cli("purge-trash")
        assert "purged: 1" in result.stdout
        assert not await Node.filter(id=old["id"]).exists() and await Node.filter(id=fresh["id"]).exists()
    actions = set(await AuditEvent.filter(actor=str(user.public_id), action__startswith="files.")
                  .values_list("action", flat=True))
    assert {"files.trash", "files.restore", "files.purge"} <= actions
    assert await AuditEvent.filter(action="files.purge", target_id=str(old["id"]), actor="").exists()


async def test_search_sees_only_what_the_user_may_read(app):
    school = await make_school()
    teacher = await person(Role.TEACHER, school)
    pupil = await person(Role.PUPIL, school)
    school_class = await SchoolClass.create(school=school, name="5a", grade_level=5, school_year="2026/27")
    await school_class.members.add(teacher, pupil)
    async with api_client(app.base_url, teacher) as http:
        await upload(http, await personal_root(http), "Geheimplan-Noten.txt", b"1")
        group = next(s for s in await spaces(http) if s["kind"] == "class")
        await upload(http, group["root_id"], "Plan-Wandertag.txt", b"2")
    async with api_client(app.base_url, pupil) as http:
        found = (await http.get("/api/v1/files/search", params={"q": "PLAN"})).json()["items"]
        assert [f["name"] for f in found] == ["Plan-Wandertag.txt"]
        assert (await http.get("/api/v1/files/search")).status_code == 400


async def test_empty_files(app):
    user = await person(Role.PUPIL)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        empty = await upload(http, root, "leer.txt", b"")
        assert empty.status_code == 201 and empty.json()["size"] == 0
        url = f"/api/v1/files/content/{empty.json()['id']}"
        download = await http.get(url)
        assert download.status_code == 200 and download.content == b""
        assert download.headers["content-type"].startswith("text/plain")
        assert (await http.get(url, headers={"Range": "bytes=0-"})).status_code == 416
        created = await http.post("/api/v1/files/tus", headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": "0",
            "Upload-Metadata": tus_metadata(filename="auch-leer.txt", folder=str(root))})
        assert created.status_code == 201
        head = await http.head(created.headers["location"], headers={"Tus-Resumable": "1.0.0"})
        assert head.headers["upload-offset"] == "0" and head.headers["upload-length"] == "0"
        assert [i["name"] for i in (await listing(http, root))["items"]] == ["auch-leer.txt", "leer.txt"]


@pytest.mark.postgres
async def test_two_moves_between_two_spaces_in_opposite_directions_at_once(app):
    """One file moves from the personal space into a team's, another from the team's into the personal
    space, at the same moment. Each move charges its target and releases its source; taken in those
    orders the two space rows deadlocked on PostgreSQL (one move answered 500). The test holds the team
    space's row until both moves wait, which makes that order certain."""
    import asyncio

    from tests.conftest import BACKEND
    from tests.support.data import make_member
    from tests.support.files import row_locked, wait_for_lock_waiter

    if BACKEND != "postgres":
        pytest.skip("needs row locks to stop a request at a known point (PostgreSQL)")
    teacher = await make_member(await make_school(), Role.TEACHER)
    async with api_client(app.base_url, teacher) as http:
        root = await personal_root(http)
        team = (await http.post("/api/v1/files/teams", json={"name": "Umzug"})).json()
        mine = (await upload(http, root, "Hin.txt", b"hin")).json()
        theirs = (await upload(http, team["root_id"], "Her.txt", b"her!")).json()
        async with row_locked("file_space", team["space_id"]):
            into_team = asyncio.ensure_future(http.patch(f"/api/v1/files/nodes/{mine['id']}",
                                                         json={"parent_id": team["root_id"]}))
            await wait_for_lock_waiter(1)
            out_of_team = asyncio.ensure_future(http.patch(f"/api/v1/files/nodes/{theirs['id']}",
                                                           json={"parent_id": root}))
            await wait_for_lock_waiter(2)
        answers = [await into_team, await out_of_team]
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        assert [i["name"] for i in (await listing(http, root))["items"]] == ["Her.txt"]
        assert [i["name"] for i in (await listing(http, team["root_id"]))["items"]] == ["Hin.txt"]
    personal = await Space.get(owner_id=teacher.id)
    assert personal.used_bytes == 4 and (await Space.get(id=team["space_id"])).used_bytes == 3


async def test_a_small_file_whose_object_reads_short_gets_an_error_not_a_cut_off_body(app, store):
    """A file of one read chunk is read before the answer starts (one body, no streaming): an object
    shorter than its row (damaged on disk) gets 500 content_damaged, not a 200 cut off midway."""
    user = await person(Role.TEACHER)
    data = os.urandom(5000)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        node = (await upload(http, root, "kurz.bin", data)).json()
        version = await FileVersion.get(node_id=node["id"])
        path = store.root / version.object_key
        path.write_bytes(data[:3000])
        try:
            response = await http.get(f"/api/v1/files/content/{node['id']}")
            assert response.status_code == 500, response.status_code
            assert response.json()["error"]["code"] == "content_damaged"
        finally:
            path.write_bytes(data)
        assert (await http.get(f"/api/v1/files/content/{node['id']}")).content == data
