"""Encryption at rest through the whole app: a server of its own (own database and local store) with
SCHOOLCLOUD_ENCRYPTION_KEY set. Upload, download with ranges, tus, fsck, a tampered object, encrypting
files from before encryption was enabled, changing the master key, and the start-up checks."""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
import subprocess
import sys

import pytest

from schoolcloud.config import ConfigError, load_settings
from storage.encrypted import CHUNK, MAGIC
from storage.local import LocalStore
from tests.support.files import bootstrap_admin, personal_root, tus_metadata, upload
from tests.support.server import ROOT, AppServer

MASTER = base64.b64encode(os.urandom(32)).decode()
TEXT = b"Zeugnis 7b: Deutsch 2, Mathematik 3, Englisch 1. " * 4000  # 196 KB: three chunks and a bit


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = AppServer(tmp_path_factory.mktemp("encrypted"), extra_env={"SCHOOLCLOUD_ENCRYPTION_KEY": MASTER}).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def http(server):
    client = await bootstrap_admin(server)
    yield client
    await client.aclose()


def sql(server: AppServer, statement: str, *args) -> list[tuple]:
    with sqlite3.connect(server.var_dir / "schoolcloud.sqlite3") as db:
        return db.execute(statement, args).fetchall()


def object_key(server: AppServer, node_id: int) -> str:
    return sql(server, "SELECT object_key FROM file_version WHERE node_id = ? ORDER BY id DESC", node_id)[0][0]


async def raw(server: AppServer, key: str) -> bytes:
    return (server.var_dir / "objects" / key).read_bytes()


def cli(server: AppServer, *args: str, key: str | None = MASTER, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in server.env.items() if k != "SCHOOLCLOUD_ENCRYPTION_KEY"}
    if key is not None:
        env["SCHOOLCLOUD_ENCRYPTION_KEY"] = key
    return subprocess.run([sys.executable, "-m", "schoolcloud.cli", *args], env=env, cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


async def test_upload_range_tus_and_fsck_with_encryption(server, http):
    root = await personal_root(http)
    created = await upload(http, root, "Zeugnisse.txt", TEXT)
    assert created.status_code == 201, created.text
    node = created.json()
    stored = await raw(server, object_key(server, node["id"]))
    assert stored.startswith(MAGIC) and b"Zeugnis" not in stored and b"Mathematik" not in stored

    url = f"/api/v1/files/content/{node['id']}"
    full = await http.get(url)
    assert full.status_code == 200 and full.content == TEXT
    assert hashlib.sha256(TEXT).hexdigest() in full.headers["etag"]  # of the plaintext
    assert (await http.get(url, headers={"If-None-Match": full.headers["etag"]})).status_code == 304
    for first, last in [(CHUNK - 3, CHUNK + 2), (0, 0), (2 * CHUNK + 5, len(TEXT) - 1)]:
        part = await http.get(url, headers={"Range": f"bytes={first}-{last}"})
        assert part.status_code == 206 and part.content == TEXT[first:last + 1], (first, last)

    data = os.urandom(300_000)
    tus = await http.post("/api/v1/files/tus", headers={
        "Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)),
        "Upload-Metadata": tus_metadata(filename="Aufgabe.bin", folder=str(root))})
    assert tus.status_code == 201, tus.text
    for start in range(0, len(data), 100_000):
        patched = await http.patch(tus.headers["location"], content=data[start:start + 100_000], headers={
            "Tus-Resumable": "1.0.0", "Upload-Offset": str(start), "Content-Type": "application/offset+octet-stream"})
        assert patched.status_code == 204, patched.text
    tus_node = sql(server, "SELECT id FROM file_node WHERE name = 'Aufgabe.bin'")[0][0]
    assert (await http.get(f"/api/v1/files/content/{tus_node}")).content == data
    assert (await raw(server, object_key(server, tus_node))).startswith(MAGIC)

    school = sql(server, "SELECT school_id FROM file_space WHERE id = ?", node["space_id"])[0][0]
    assert sql(server, "SELECT scope FROM files_data_key") == [(f"school:{school}",)]
    checked = cli(server, "fsck")
    assert checked.returncode == 0 and checked.stdout.strip().endswith("clean"), checked.stdout + checked.stderr
    status = cli(server, "encryption", "status")
    assert "2 encrypted, 0 not encrypted" in status.stdout, status.stdout + status.stderr


async def test_a_tampered_object_is_refused(server, http):
    root = await personal_root(http)
    node = (await upload(http, root, "klein.txt", b"nur ein Chunk")).json()
    path = server.var_dir / "objects" / object_key(server, node["id"])
    stored = bytearray(path.read_bytes())
    stored[-1] ^= 0x40
    path.write_bytes(bytes(stored))
    response = await http.get(f"/api/v1/files/content/{node['id']}")
    assert response.status_code == 500 and response.json()["error"]["code"] == "content_damaged"
    assert b"nur ein Chunk" not in response.content
    path.write_bytes(bytes(stored[:-1]) + bytes([stored[-1] ^ 0x40]))  # repaired: served again
    assert (await http.get(f"/api/v1/files/content/{node['id']}")).content == b"nur ein Chunk"


async def test_files_from_before_encryption_get_encrypted(server, http):
    root = await personal_root(http)
    node = (await upload(http, root, "alt.txt", TEXT)).json()
    old_key = object_key(server, node["id"])
    plain = LocalStore(server.var_dir / "objects")  # as written before encryption was enabled
    await plain.put(old_key, _one(TEXT))
    await plain.close()
    url = f"/api/v1/files/content/{node['id']}"
    assert (await http.get(url)).content == TEXT
    assert (await http.get(url, headers={"Range": "bytes=70000-70009"})).content == TEXT[70000:70010]

    done = cli(server, "encryption", "encrypt-existing")
    assert done.returncode == 0 and "encrypted now: 1," in done.stdout, done.stdout + done.stderr
    new_key = object_key(server, node["id"])
    assert new_key != old_key and not (server.var_dir / "objects" / old_key).exists()
    assert (await raw(server, new_key)).startswith(MAGIC)
    assert (await http.get(url)).content == TEXT
    assert "encrypted now: 0," in cli(server, "encryption", "encrypt-existing").stdout


async def _one(data: bytes):
    yield data


def test_master_key_checks_and_rotation(server):
    other = base64.b64encode(os.urandom(32)).decode()
    wrong = cli(server, "fsck", key=other)
    assert wrong.returncode == 2 and "SCHOOLCLOUD_ENCRYPTION_KEY is not the master key" in wrong.stderr
    missing = cli(server, "serve", key=None)  # refuses before uvicorn starts
    assert missing.returncode == 2 and "SCHOOLCLOUD_ENCRYPTION_KEY is not set, but files are encrypted" \
        in missing.stderr
    bad = cli(server, "fsck", key="not base64 of 32 bytes")
    assert bad.returncode == 2 and "SCHOOLCLOUD_ENCRYPTION_KEY must be base64" in bad.stderr

    refused = cli(server, "encryption", "rotate-master-key", key=other, stdin=other + "\n")
    assert refused.returncode == 1 and "nothing was changed" in refused.stderr
    rotated = cli(server, "encryption", "rotate-master-key", key=other, stdin=MASTER + "\n")
    assert rotated.returncode == 0 and "1 data keys re-wrapped" in rotated.stdout, rotated.stderr
    assert cli(server, "fsck", key=other).returncode == 0
    assert cli(server, "fsck").returncode == 2  # the old key no longer fits
    back = cli(server, "encryption", "rotate-master-key", stdin=other + "\n")  # for the running server's sake
    assert back.returncode == 0


def test_encryption_key_setting():
    assert load_settings({"SCHOOLCLOUD_ENCRYPTION_KEY": ""}).encryption_key is None
    key = os.urandom(32)
    settings = load_settings({"SCHOOLCLOUD_ENCRYPTION_KEY": base64.b64encode(key).decode()})
    assert settings.encryption_key == key and base64.b64encode(key).decode() not in repr(settings)
    for bad in ("abc", base64.b64encode(os.urandom(16)).decode(), "%%%"):
        with pytest.raises(ConfigError, match="SCHOOLCLOUD_ENCRYPTION_KEY"):
            load_settings({"SCHOOLCLOUD_ENCRYPTION_KEY": bad})
