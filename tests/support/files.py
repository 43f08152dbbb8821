"""Helpers for the files tests: logged-in API clients, spaces, uploads, the store behind a server."""

from __future__ import annotations

import asyncio
import base64
import contextlib

import httpx

from schoolcloud.accounts.models import School, User
from tests.support import browser
from tests.support.data import make_school, make_user

PASSWORD = "correct horse battery"


@contextlib.asynccontextmanager
async def api_client(base_url: str, user: User, **kwargs):
    """An httpx client logged in as ``user`` through the embedded IdP, sending the CSRF header."""
    async with browser.client(base_url, **kwargs) as http:
        await browser.login(http, user.username, PASSWORD)
        me = await http.get("/api/v1/me")
        assert me.status_code == 200, me.text
        http.headers["X-CSRF-Token"] = me.json()["csrf_token"]
        yield http


def same_session(http: httpx.AsyncClient, base_url: str) -> httpx.AsyncClient:
    """A client for another app instance that carries the same session (cookie and CSRF header)."""
    other = browser.client(base_url, timeout=http.timeout)
    for cookie in http.cookies.jar:
        other.cookies.set(cookie.name, cookie.value)
    other.headers["X-CSRF-Token"] = http.headers["X-CSRF-Token"]
    return other


async def bootstrap_admin(server, new_password: str = "bootstrap admin password 1") -> httpx.AsyncClient:
    """Bootstrap a fresh server's first admin and return a client logged in as them (with the CSRF
    header); the caller closes it."""
    import re

    created = server.cli("bootstrap").stdout
    login = re.search(r"^login: (\S+)$", created, re.M).group(1)
    password = re.search(r"^password: (\S+)$", created, re.M).group(1)
    http = browser.client(server.base_url, timeout=600)
    await browser.login(http, login, password, new_password=new_password)
    http.headers["X-CSRF-Token"] = (await http.get("/api/v1/me")).json()["csrf_token"]
    return http


async def person(role: str, school: School | None = None) -> User:
    return await make_user(school or await make_school(), role, password=PASSWORD)


async def spaces(http: httpx.AsyncClient) -> list[dict]:
    response = await http.get("/api/v1/files/spaces")
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def personal_root(http: httpx.AsyncClient) -> int:
    return next(s for s in await spaces(http) if s["kind"] == "personal")["root_id"]


async def upload(http: httpx.AsyncClient, folder_id: int, name: str, data: bytes, **params) -> httpx.Response:
    return await http.post(f"/api/v1/files/upload/{folder_id}", params={"name": name, **params}, content=data)


async def mkdir(http: httpx.AsyncClient, parent_id: int, name: str) -> dict:
    response = await http.post(f"/api/v1/files/nodes/{parent_id}/folders", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()


async def listing(http: httpx.AsyncClient, folder_id: int, **params) -> dict:
    response = await http.get(f"/api/v1/files/nodes/{folder_id}/children", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def tus_metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


async def broken_request(app, request_line: str, headers: dict[str, str], sent: bytes) -> None:
    """Send ``request_line`` ("POST /path") with ``headers`` (announcing more than is sent) and the
    bytes ``sent``, then break the connection off, as a client whose network fails mid-upload."""
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    _reader, writer = await asyncio.open_connection("127.0.0.1", app.port)
    writer.write(f"{request_line} HTTP/1.1\r\nHost: 127.0.0.1:{app.port}\r\n{lines}\r\n".encode() + sent)
    await writer.drain()
    await asyncio.sleep(0.3)
    writer.close()
    await writer.wait_closed()


async def tmp_emptied(store) -> None:
    """Wait until the server has noticed a broken upload and removed its temporary file (local store)."""
    for _ in range(50):
        await asyncio.sleep(0.1)
        if not list((store.root / ".tmp").iterdir()):
            break
    assert not list((store.root / ".tmp").iterdir())


async def store_keys(store) -> list[str]:
    return sorted([info.key async for info in store.list("")])


@contextlib.asynccontextmanager
async def row_locked(table: str, row_id):
    """PostgreSQL: hold the lock of one row (SELECT ... FOR UPDATE) in a transaction of its own until the
    block ends, so a request that updates that row stops there. Its own task: Tortoise routes every query
    of the task inside ``in_transaction`` into that transaction, and the block's queries must not."""
    from tortoise.transactions import in_transaction

    locked, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with in_transaction() as conn:
            await conn.execute_query(f"SELECT id FROM {table} WHERE id = $1 FOR UPDATE", [row_id])
            locked.set()
            await release.wait()

    task = asyncio.create_task(hold())
    waiting = asyncio.create_task(locked.wait())
    await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiting.cancel()
        task.result()  # raises what went wrong
    try:
        yield
    finally:
        release.set()
        await task


async def wait_for_lock_waiter(count: int = 1, timeout: float = 30.0) -> None:
    """PostgreSQL: until ``count`` sessions of this database wait for a lock (pg_stat_activity)."""
    from tortoise import connections

    for _ in range(int(timeout * 20)):
        found = await connections.get("default").execute_query_dict(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()")
        if found[0]["n"] >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no request waited for the lock")
