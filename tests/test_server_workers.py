"""Several server processes on one SQLite file (SCHOOLCLOUD_WORKERS=2): concurrent uploads, name
collisions and quota accounting stay exact, nothing fails with "database is locked", and fsck finds the
database and the store in agreement."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.support.files import bootstrap_admin, same_session
from tests.support.server import AppServer

CLIENTS = 16
FILES_EACH = 8


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = AppServer(tmp_path_factory.mktemp("workers"), workers=2).start()
    yield server
    server.stop()


def worker_pids(server: AppServer) -> set[int]:
    """The launcher's worker processes (its only children)."""
    children = set()
    for task in os.listdir(f"/proc/{server.process.pid}/task"):
        with open(f"/proc/{server.process.pid}/task/{task}/children") as handle:
            children |= {int(pid) for pid in handle.read().split()}
    return children


def test_workers_leave_out_what_they_never_use(server):
    """uvicorn's file watcher for --reload (watchfiles, a Rust extension) is not loaded in the workers
    (schoolcloud.memory.UNUSED_MODULES)."""
    for pid in worker_pids(server):
        assert "watchfiles" not in Path(f"/proc/{pid}/maps").read_text()


async def test_two_processes_share_one_sqlite_database(server):
    assert len(worker_pids(server)) == 2
    http = await bootstrap_admin(server)
    spaces = (await http.get("/api/v1/files/spaces")).json()["items"]
    root = next(s for s in spaces if s["kind"] == "personal")["root_id"]
    folder = (await http.post(f"/api/v1/files/nodes/{root}/folders", json={"name": "parallel"})).json()["id"]
    clients = [same_session(http, server.base_url) for _ in range(CLIENTS)]

    async def uploads(client, index):
        statuses = []
        for n in range(FILES_EACH):
            body = os.urandom(1000 + index * FILES_EACH + n)  # every file a different size
            # all clients at once on one name: each transaction reads (which names are taken), then
            # writes, the pattern that fails at once under a deferred BEGIN when another process wrote
            reply = await client.post(f"/api/v1/files/upload/{folder}",
                                      params={"name": "same.bin", "on_conflict": "rename"}, content=body)
            statuses.append(reply.status_code)
            names.append(reply.json().get("name"))
        # and a name of their own each, the plain path
        reply = await client.post(f"/api/v1/files/upload/{folder}", params={"name": f"own-{index}.txt"},
                                  content=b"x" * 10)
        statuses.append(reply.status_code)
        return statuses

    names: list[str] = []
    results = await asyncio.gather(*(uploads(c, i) for i, c in enumerate(clients)))
    assert {status for statuses in results for status in statuses} == {201}, results
    assert len(set(names)) == CLIENTS * FILES_EACH and "same.bin" in names

    listing = (await http.get(f"/api/v1/files/nodes/{folder}/children", params={"limit": 500})).json()
    assert len(listing["items"]) == CLIENTS * FILES_EACH + CLIENTS
    expected = sum(1000 + i * FILES_EACH + n for i in range(CLIENTS) for n in range(FILES_EACH)) + 10 * CLIENTS
    assert sum(item["size"] for item in listing["items"]) == expected
    spaces = (await http.get("/api/v1/files/spaces")).json()["items"]
    assert next(s for s in spaces if s["root_id"] == root)["used_bytes"] == expected

    for client in [http, *clients]:
        await client.aclose()
    check = server.cli("fsck", check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "database is locked" not in server.log()
