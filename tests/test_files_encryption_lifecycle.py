"""Encryption at rest beyond the file objects, on local disk and on S3 (SeaweedFS): thumbnails sealed
with the school's key and bound to their version, `encryption decrypt-existing` (and its last run with
--forget-keys), `encryption rotate-school-key`, and deleting a school with its data key
(crypto-shredding). A server of its own per backend (own SQLite database), real HTTP through the app;
the tests build on each other in order, as the school's life would."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import uuid

import pytest
from PIL import Image

from storage import ObjectStore
from storage.encrypted import HEADER, MAGIC
from storage.local import LocalStore
from storage.s3 import S3Store
from tests.support.files import personal_root, tus_metadata, upload
from tests.support.server import AppServer
from tests.test_files_encryption import MASTER, cli, http, sql  # noqa: F401  (http: the module's client)
from tests.test_files_previews import center_color, wait_for_preview

pytest_plugins = ["tests.support.seaweedfs"]

TEXT = b"Elternbrief der 5a: Wandertag am Freitag. " * 3000  # two chunks and a bit


def photo(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture(scope="module", params=["local", "s3"])
def server(request, tmp_path_factory):
    env = {"SCHOOLCLOUD_ENCRYPTION_KEY": MASTER}
    if request.param == "s3":
        weed = request.getfixturevalue("seaweedfs")
        env.update({"SCHOOLCLOUD_STORAGE": "s3", "SCHOOLCLOUD_S3_ENDPOINT": weed.endpoint,
                    "SCHOOLCLOUD_S3_ACCESS_KEY": weed.access_key, "SCHOOLCLOUD_S3_SECRET_KEY": weed.secret_key,
                    "SCHOOLCLOUD_S3_BUCKET": f"crypto-{uuid.uuid4().hex[:10]}", "SCHOOLCLOUD_S3_SECURE": "false"})
    server = AppServer(tmp_path_factory.mktemp(f"encrypted-{request.param}"), extra_env=env).start()
    yield server
    server.stop()


@pytest.fixture
async def raw_store(server):
    """The backend under the encryption, as the app's objects lie in it."""
    env = server.env
    if env.get("SCHOOLCLOUD_STORAGE") == "s3":
        store: ObjectStore = S3Store(env["SCHOOLCLOUD_S3_ENDPOINT"], env["SCHOOLCLOUD_S3_ACCESS_KEY"],
                                     env["SCHOOLCLOUD_S3_SECRET_KEY"], env["SCHOOLCLOUD_S3_BUCKET"], secure=False)
    else:
        store = LocalStore(server.var_dir / "objects")
    yield store
    await store.close()


async def raw(store: ObjectStore, key: str) -> bytes:
    return await (await store.open(key)).read_all()


async def keys(store: ObjectStore) -> set[str]:
    return {info.key async for info in store.list()}


def version_of(server: AppServer, node_id: int) -> tuple[int, str]:
    return sql(server, "SELECT id, object_key FROM file_version WHERE node_id = ? ORDER BY id DESC", node_id)[0]


def thumbnail_row(server: AppServer, node_id: int) -> bytes:
    version_id, _ = version_of(server, node_id)
    return sql(server, "SELECT data FROM file_preview WHERE version_id = ?", version_id)[0][0]


def status(server: AppServer) -> str:
    done = cli(server, "encryption", "status")
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def test_thumbnails_are_sealed_bound_to_their_version_and_served(server, http):
    root = await personal_root(http)
    red = (await upload(http, root, "Klassenfoto.jpg", photo((210, 20, 20)))).json()
    blue = (await upload(http, root, "Ausflug.jpg", photo((20, 20, 210)))).json()
    r, g, b = center_color(await wait_for_preview(http, red["id"]))
    assert r > 150 and g < 80 and b < 80
    r, g, b = center_color(await wait_for_preview(http, blue["id"]))
    assert b > 150 and r < 80

    sealed_red, sealed_blue = thumbnail_row(server, red["id"]), thumbnail_row(server, blue["id"])
    for sealed in (sealed_red, sealed_blue):
        assert sealed.startswith(MAGIC) and b"WEBP" not in sealed and b"RIFF" not in sealed
    assert "thumbnails: 2 encrypted, 0 not encrypted" in status(server)

    # The red photo's sealed thumbnail copied into the blue photo's row does not open there.
    blue_version, _ = version_of(server, blue["id"])
    sql(server, "UPDATE file_preview SET data = ? WHERE version_id = ?", sealed_red, blue_version)
    swapped = await http.get(f"/api/v1/files/preview/{blue['id']}")
    assert swapped.status_code == 500 and swapped.json()["error"]["code"] == "content_damaged"
    assert swapped.content.find(b"RIFF") == -1

    # A thumbnail from before encryption was switched on is served as it is, then sealed by
    # encrypt-existing with the blue photo's version bound in.
    plain = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 200, 20)).save(plain, format="WEBP")
    sql(server, "UPDATE file_preview SET data = ? WHERE version_id = ?", plain.getvalue(), blue_version)
    assert center_color((await http.get(f"/api/v1/files/preview/{blue['id']}")).content)[1] > 150
    assert "thumbnails: 1 encrypted, 1 not encrypted" in status(server)
    done = cli(server, "encryption", "encrypt-existing")
    assert done.returncode == 0 and "thumbnails encrypted now: 1," in done.stdout, done.stdout + done.stderr
    resealed = thumbnail_row(server, blue["id"])
    assert resealed.startswith(MAGIC) and resealed != sealed_blue
    assert center_color((await http.get(f"/api/v1/files/preview/{blue['id']}")).content)[1] > 150
    assert "thumbnails: 2 encrypted, 0 not encrypted" in status(server)


async def test_decrypt_existing_then_forget_the_keys(server, http, raw_store):
    root = await personal_root(http)
    node = (await upload(http, root, "Elternbrief.txt", TEXT)).json()
    photo_node = (await upload(http, root, "Schulhof.jpg", photo((210, 20, 20)))).json()
    await wait_for_preview(http, photo_node["id"])
    _, encrypted_key = version_of(server, node["id"])
    assert (await raw(raw_store, encrypted_key)).startswith(MAGIC)

    # While the app runs: versions and thumbnails are decrypted; a second run finds nothing left to do.
    done = cli(server, "encryption", "decrypt-existing")
    assert done.returncode == 0 and "decrypted now: 4," in done.stdout, done.stdout + done.stderr
    assert "thumbnails decrypted now: 3," in done.stdout
    _, plain_key = version_of(server, node["id"])
    assert plain_key != encrypted_key and await raw(raw_store, plain_key) == TEXT
    assert encrypted_key not in await keys(raw_store)
    assert not thumbnail_row(server, photo_node["id"]).startswith(MAGIC)
    assert (await http.get(f"/api/v1/files/content/{node['id']}")).content == TEXT
    assert center_color((await http.get(f"/api/v1/files/preview/{photo_node['id']}")).content)[0] > 150
    again = cli(server, "encryption", "decrypt-existing")
    assert "decrypted now: 0, already decrypted: 4," in again.stdout, again.stdout + again.stderr
    assert "file versions: 0 encrypted, 4 not encrypted" in status(server)

    # An unfinished upload's part stays encrypted while instances run...
    tus = await http.post("/api/v1/files/tus", headers={
        "Tus-Resumable": "1.0.0", "Upload-Length": "200000",
        "Upload-Metadata": tus_metadata(filename="halb.bin", folder=str(root))})
    part = os.urandom(100_000)
    patched = await http.patch(tus.headers["location"], content=part, headers={
        "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert patched.status_code == 204, patched.text
    assert "unfinished uploads' parts and data exports: 1 encrypted" in status(server)
    refused = cli(server, "fsck", key=None)
    assert refused.returncode == 2 and "files are encrypted" in refused.stderr

    # ...and the last run, with the app stopped, decrypts it too and deletes the data keys.
    server.stop()
    try:
        last = cli(server, "encryption", "decrypt-existing", "--forget-keys")
        assert last.returncode == 0 and "data keys deleted" in last.stdout, last.stdout + last.stderr
        assert sql(server, "SELECT count(*) FROM files_data_key") == [(0,)]
        (part_key,) = sql(server, "SELECT object_key FROM file_tus_part")[0]
        assert await raw(raw_store, part_key) == part
        for (key,) in sql(server, "SELECT object_key FROM file_version"):
            assert not (await raw(raw_store, key)).startswith(MAGIC)
        clean = cli(server, "fsck", key=None)  # starts without the master key now
        assert clean.returncode == 0 and clean.stdout.strip().endswith("clean"), clean.stdout + clean.stderr
        # Switched on again for the next test: everything encrypted under new data keys.
        back = cli(server, "encryption", "encrypt-existing")
        assert back.returncode == 0 and "encrypted now: 4," in back.stdout, back.stdout + back.stderr
    finally:
        server.start()
    assert (await http.get(f"/api/v1/files/content/{node['id']}")).content == TEXT


def header_key_id(data: bytes) -> int | None:
    return HEADER.unpack(data[:HEADER.size])[2] if data.startswith(MAGIC) else None


async def test_rotating_a_school_key_reencrypts_and_drops_the_old_key_when_unused(server, http, raw_store):
    root = await personal_root(http)
    node = (await upload(http, root, "Notenliste.txt", TEXT)).json()
    pic = (await upload(http, root, "Sportfest.jpg", photo((20, 20, 210)))).json()
    await wait_for_preview(http, pic["id"])
    (school_id,) = sql(server, "SELECT id FROM school")[0]
    [(old_id,)] = sql(server, "SELECT id FROM files_data_key WHERE scope = ?", f"school:{school_id}")
    tus = await http.post("/api/v1/files/tus", headers={
        "Tus-Resumable": "1.0.0", "Upload-Length": "150000",
        "Upload-Metadata": tus_metadata(filename="spaeter.bin", folder=str(root))})
    data = os.urandom(150_000)
    patched = await http.patch(tus.headers["location"], content=data[:80_000], headers={
        "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert patched.status_code == 204, patched.text

    # The unfinished upload's part still uses the old key: it stays, under its retired name.
    first = cli(server, "encryption", "rotate-school-key", "--school", str(school_id), "--grace-minutes", "0")
    assert first.returncode == 3 and "1 objects still use them" in first.stderr, first.stdout + first.stderr
    keys_now = dict(sql(server, "SELECT scope, id FROM files_data_key"))
    new_id = keys_now[f"school:{school_id}"]
    assert new_id != old_id and keys_now[f"school:{school_id}/retired-{old_id}"] == old_id
    for (key,) in sql(server, "SELECT object_key FROM file_version"):
        assert header_key_id(await raw(raw_store, key)) == new_id
    assert header_key_id(thumbnail_row(server, pic["id"])) == new_id
    # In between, everything reads: new key, old key (the part), thumbnails.
    assert (await http.get(f"/api/v1/files/content/{node['id']}")).content == TEXT
    assert center_color((await http.get(f"/api/v1/files/preview/{pic['id']}")).content)[2] > 150
    finished = await http.patch(tus.headers["location"], content=data[80_000:], headers={
        "Tus-Resumable": "1.0.0", "Upload-Offset": "80000", "Content-Type": "application/offset+octet-stream"})
    assert finished.status_code == 204, finished.text
    done_node = sql(server, "SELECT id FROM file_node WHERE name = 'spaeter.bin'")[0][0]
    assert (await http.get(f"/api/v1/files/content/{done_node}")).content == data

    # The next run carries on (no third key) and, with nothing left under the old key, deletes it.
    waiting = cli(server, "encryption", "rotate-school-key", "--school", str(school_id))  # grace: 6 hours
    assert waiting.returncode == 3 and "uploads that began before the rotation" in waiting.stderr, \
        waiting.stdout + waiting.stderr
    assert len(sql(server, "SELECT id FROM files_data_key")) == 2
    second = cli(server, "encryption", "rotate-school-key", "--school", str(school_id), "--grace-minutes", "0")
    assert second.returncode == 0 and f"old data keys deleted: {old_id}" in second.stdout, \
        second.stdout + second.stderr
    assert sql(server, "SELECT scope, id FROM files_data_key") == [(f"school:{school_id}", new_id)]
    for (key,) in sql(server, "SELECT object_key FROM file_version"):
        assert header_key_id(await raw(raw_store, key)) == new_id
    assert (await http.get(f"/api/v1/files/content/{done_node}")).content == data
    assert (await http.get(f"/api/v1/files/content/{node['id']}")).content == TEXT
    checked = cli(server, "fsck")
    assert checked.returncode == 0 and checked.stdout.strip().endswith("clean"), checked.stdout + checked.stderr
    assert cli(server, "encryption", "rotate-school-key", "--school", "999").returncode == 1


async def test_deleting_a_school_removes_everything_and_shreds_its_key(server, http, raw_store):
    root = await personal_root(http)
    await upload(http, root, "letzte.txt", TEXT)
    requested = await http.post("/api/v1/privacy/export")  # a data export: an object of the school too
    assert requested.status_code == 202, requested.text
    for _ in range(600):
        state = (await http.get(f"/api/v1/privacy/exports/{requested.json()['id']}")).json()
        if state["status"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.1)
    assert state["status"] == "ready", state
    (school_id,) = sql(server, "SELECT id FROM school")[0]
    assert sql(server, "SELECT scope FROM files_data_key") == [(f"school:{school_id}",)]
    objects = await keys(raw_store)
    assert objects == {k for (k,) in sql(server, "SELECT object_key FROM file_version UNION SELECT object_key "
                                                 "FROM file_tus_part UNION SELECT object_key FROM privacy_export")}
    for (key,) in sql(server, "SELECT object_key FROM file_version UNION SELECT object_key FROM privacy_export"):
        assert (await raw(raw_store, key)).startswith(MAGIC)

    refused = cli(server, "delete-school", str(school_id))
    assert refused.returncode == 1 and "deactivate it first" in refused.stderr
    assert await keys(raw_store) == objects
    sql(server, "UPDATE school SET active = 0 WHERE id = ?", school_id)
    done = cli(server, "delete-school", str(school_id))
    assert done.returncode == 0 and "1 data keys" in done.stdout, done.stdout + done.stderr

    assert await keys(raw_store) == set()
    assert sql(server, "SELECT count(*) FROM files_data_key") == [(0,)]
    tables = [t for (t,) in sql(server, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        columns = [c[1] for c in sql(server, f'PRAGMA table_info("{table}")')]
        if "school_id" in columns and table != "audit_event":
            assert sql(server, f'SELECT count(*) FROM "{table}" WHERE school_id = ?', school_id) == [(0,)], table
    for table in ("school", "user_account", "file_space", "file_node", "file_version", "file_preview",
                  "file_tus_upload", "file_tus_part", "privacy_export"):
        assert sql(server, f'SELECT count(*) FROM "{table}"') == [(0,)], table
    checked = cli(server, "fsck")
    assert checked.returncode == 0 and checked.stdout.strip().endswith("clean"), checked.stdout + checked.stderr
    assert cli(server, "audit", "verify").returncode == 0
    assert cli(server, "delete-school", str(school_id)).returncode == 1  # gone: says so


async def test_fsck_reports_a_data_key_of_a_deleted_school_and_deletes_it_once_unused(server, raw_store):
    """A data key left behind for a school that is gone (as a file drop racing `delete-school` could
    leave one before): fsck reports it; --repair keeps it while an object is still encrypted with it
    (here a recent orphan, an upload perhaps still in flight) and deletes it once none is."""
    from datetime import datetime, timezone

    from schoolcloud.files.keyring import wrap
    from storage import new_key
    from storage.encrypted import EncryptedStore, StaticKeyring

    gone = 4242
    assert sql(server, "SELECT count(*) FROM school WHERE id = ?", gone) == [(0,)]
    data_key = os.urandom(32)
    scope = f"school:{gone}"
    sql(server, "INSERT INTO files_data_key (scope, wrapped, created_at) VALUES (?, ?, ?)", scope,
        wrap(base64.b64decode(MASTER), scope, data_key), datetime.now(timezone.utc).isoformat(" "))
    [(key_id,)] = sql(server, "SELECT id FROM files_data_key WHERE scope = ?", scope)
    sealed = EncryptedStore(raw_store, StaticKeyring({key_id: data_key}))
    orphan = new_key("files/")
    await sealed.put(orphan, one_chunk(b"nach der Loeschung hochgeladen"))

    checked = cli(server, "fsck")
    assert checked.returncode == 1 and f"data keys of deleted schools: 1: {key_id} ({scope})" in checked.stdout, \
        checked.stdout + checked.stderr
    kept = cli(server, "fsck", "--repair")  # the orphan is younger than the grace period: it stays
    assert f"kept, objects are still encrypted with them: {key_id}" in kept.stdout, kept.stdout + kept.stderr
    assert "0 data keys of deleted schools deleted" in kept.stdout
    assert sql(server, "SELECT id FROM files_data_key") == [(key_id,)]
    repaired = cli(server, "fsck", "--repair", "--grace-minutes", "0")
    assert "1 data keys of deleted schools deleted" in repaired.stdout, repaired.stdout + repaired.stderr
    assert sql(server, "SELECT count(*) FROM files_data_key") == [(0,)]
    assert orphan not in await keys(raw_store)
    checked = cli(server, "fsck")
    assert checked.returncode == 0 and checked.stdout.strip().endswith("clean"), checked.stdout + checked.stderr


async def one_chunk(data: bytes):
    yield data
