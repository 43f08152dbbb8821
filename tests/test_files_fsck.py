"""`schoolcloud fsck` on a server of its own (its own database and store, so nothing else interferes):
orphan objects, missing objects, usage drift, and a kill -9 during an upload."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import time

import httpx
import pytest

from storage.local import LocalStore
from tests.support import browser
from tests.support.server import AppServer

NEW_PASSWORD = "fsck admin password 1"
# Above the store's first write batch (1 MiB): only an upload past it has a temp file while it arrives.
MAX_UPLOAD_MB = 4


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = AppServer(tmp_path_factory.mktemp("fsck"), extra_env={"SCHOOLCLOUD_MAX_UPLOAD_MB": str(MAX_UPLOAD_MB)}).start()
    created = server.cli("bootstrap").stdout
    server.admin_password = re.search(r"^password: (\S+)$", created, re.M).group(1)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def store(server):
    return LocalStore(server.var_dir / "objects")


def sql(server: AppServer, statement: str, *args) -> list[tuple]:
    with sqlite3.connect(server.var_dir / "schoolcloud.sqlite3") as db:
        return db.execute(statement, args).fetchall()


@contextlib.asynccontextmanager
async def admin_client(server: AppServer):
    async with browser.client(server.base_url) as http:
        yield await _login(http, server)


async def _login(http: httpx.AsyncClient, server: AppServer) -> httpx.AsyncClient:
    form = await browser.start_login(http)
    password = getattr(server, "current_password", server.admin_password)
    response = await browser.submit_login(http, form, "admin", password)
    if response.status_code == 303 and response.headers["location"].endswith("/idp/password"):
        page = await http.get("/idp/password")
        response = await http.post("/idp/password", data={
            "csrf_token": browser.csrf_from(page.text), "new_password": NEW_PASSWORD,
            "new_password_repeat": NEW_PASSWORD})
        server.current_password = NEW_PASSWORD
    await browser.follow(http, response)
    http.headers["X-CSRF-Token"] = (await http.get("/api/v1/me")).json()["csrf_token"]
    return http


async def root_of(http) -> int:
    items = (await http.get("/api/v1/files/spaces")).json()["items"]
    return next(s for s in items if s["kind"] == "personal")["root_id"]


def fsck(server: AppServer, *args: str):
    return server.cli("fsck", *args, check=False)


async def test_fsck_finds_and_repairs_orphans_missing_objects_and_usage(server, store):
    assert fsck(server).returncode == 0
    async with admin_client(server) as http:
        root = await root_of(http)
        keep = (await http.post(f"/api/v1/files/upload/{root}", params={"name": "bleibt.txt"}, content=b"ok")).json()
        lost = (await http.post(f"/api/v1/files/upload/{root}", params={"name": "weg.txt"}, content=b"lost")).json()
        too_big = await http.post(f"/api/v1/files/upload/{root}", params={"name": "gross.bin"},
                                  content=b"x" * (MAX_UPLOAD_MB * 1024 * 1024 + 1))
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "file_too_large"
    assert fsck(server).returncode == 0

    # An object without a row, as a crash between "bytes stored" and "row committed" leaves it.
    async def one(data: bytes):
        yield data

    orphan = await store.put("files/ab/cd/abcd0000000000000000000000000000", one(b"orphan"))
    old = time.time() - 7 * 3600
    os.utime(store.path_for(orphan.key), (old, old))
    young = await store.put("files/ef/01/ef010000000000000000000000000000", one(b"in flight"))
    # A version whose object is gone, and a usage figure that drifted.
    lost_key = sql(server, "SELECT object_key FROM file_version WHERE node_id = ?", lost["id"])[0][0]
    store.path_for(lost_key).unlink()
    sql(server, "UPDATE file_space SET used_bytes = 999")

    report = fsck(server)
    assert report.returncode == 1
    assert "objects without rows: 1: files/ab/cd/abcd" in report.stdout
    assert "recent objects without rows (uploads in flight?), left alone: 1" in report.stdout
    assert "versions without objects: 1" in report.stdout
    assert "usage recorded 999 bytes, versions hold 6 bytes" in report.stdout

    repaired = fsck(server, "--repair")
    assert repaired.returncode == 0, repaired.stdout
    assert not await store.exists(orphan.key) and await store.exists(young.key)
    assert sql(server, "SELECT missing_at IS NOT NULL FROM file_version WHERE node_id = ?", lost["id"]) == [(1,)]
    assert sql(server, "SELECT used_bytes FROM file_space") == [(6,)]
    assert fsck(server).returncode == 0  # the marked version is known damage now
    assert fsck(server, "--repair", "--grace-minutes", "0").returncode == 0
    assert not await store.exists(young.key)

    async with admin_client(server) as http:
        assert (await http.get(f"/api/v1/files/content/{keep['id']}")).content == b"ok"
        broken = await http.get(f"/api/v1/files/content/{lost['id']}")
        assert broken.status_code == 500 and broken.json()["error"]["code"] == "content_missing"
        versions = (await http.get(f"/api/v1/files/nodes/{lost['id']}/versions")).json()["items"]
        assert versions[0]["missing"]
    assert sql(server, "SELECT count(*) FROM audit_event WHERE action = 'files.fsck_repair'")[0][0] >= 1


async def test_fsck_refuses_to_repair_a_store_that_looks_foreign(server, store):
    async def one(data: bytes):
        yield data

    old = time.time() - 7 * 3600
    keys = []
    for i in range(30):
        obj = await store.put(f"files/99/{i:02d}/{i:032x}", one(b"x"))
        os.utime(store.path_for(obj.key), (old, old))
        keys.append(obj.key)
    refused = fsck(server, "--repair")
    assert refused.returncode == 1 and "REPAIR REFUSED" in refused.stdout
    assert all([await store.exists(k) for k in keys])
    assert fsck(server, "--repair", "--force").returncode == 0
    assert not any([await store.exists(k) for k in keys])


async def test_kill_during_upload_leaves_a_consistent_store(server, store):
    async with admin_client(server) as http:
        root = await root_of(http)
        before = sql(server, "SELECT count(*) FROM file_version")[0][0]

        async def slow_body():
            for _ in range(2000):  # 8 MB: the temp file is created after the first MiB
                yield b"k" * 4096
                await asyncio.sleep(0.01)

        async def kill_soon():
            for _ in range(100):  # once the store is writing the upload
                await asyncio.sleep(0.1)
                if list((store.root / ".tmp").iterdir()):
                    break
            await asyncio.sleep(0.2)
            server.process.kill()  # SIGKILL: no cleanup of any kind runs
            server.process.wait(10)

        killer = asyncio.create_task(kill_soon())
        with pytest.raises(httpx.HTTPError):
            await http.post(f"/api/v1/files/upload/{root}", params={"name": "abgestuerzt.bin"}, content=slow_body())
        await killer
    assert list((store.root / ".tmp").iterdir()), "the upload should have been mid-write"
    server.start()
    assert sql(server, "SELECT count(*) FROM file_version")[0][0] == before
    assert not sql(server, "SELECT id FROM file_node WHERE name = 'abgestuerzt.bin'")
    report = fsck(server)
    assert report.returncode == 0, report.stdout
    repaired = fsck(server, "--repair", "--grace-minutes", "0")
    assert repaired.returncode == 0 and "1 temporary leftovers removed" in repaired.stdout
    assert not list((store.root / ".tmp").iterdir())
