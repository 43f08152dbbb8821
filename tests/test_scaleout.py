"""Scale-out: two app instances behind nginx, sharing PostgreSQL, S3 (SeaweedFS) and Redis, keep no state
of their own. A login may hop between them, a file uploaded on one is downloaded from the other, the
login throttle counts guesses across both, and a background preview is made exactly once.

Always on PostgreSQL (a database of its own, in either pass of `make test`): two processes sharing a
SQLite file would prove nothing about production.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
import uuid

import httpx
import pytest
import redis.asyncio as aioredis
from PIL import Image

from tests.conftest import IN_CI, require_postgres
from tests.support import browser
from tests.support.cluster import INSTANCE_HEADER, Cluster, nginx_binary, redis_available
from tests.support.data import PASSWORD
from tests.support.files import personal_root, tus_metadata, upload
from tests.support.server import create_pg_database, drop_pg_database
from tests.test_idp_throttle import throttle_name

pytest_plugins = ["tests.support.seaweedfs"]
pytestmark = pytest.mark.postgres


def require(available: bool, what: str) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true")
    pytest.skip(f"{what} is not available")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, seaweedfs):
    require_postgres()
    require(nginx_binary() is not None, "nginx (Debian's nginx package; `make test` installs it)")
    require(redis_available(), "Redis at 127.0.0.1:6379")
    database_url = create_pg_database()
    s3 = {"SCHOOLCLOUD_STORAGE": "s3", "SCHOOLCLOUD_S3_ENDPOINT": seaweedfs.endpoint,
          "SCHOOLCLOUD_S3_ACCESS_KEY": seaweedfs.access_key, "SCHOOLCLOUD_S3_SECRET_KEY": seaweedfs.secret_key,
          "SCHOOLCLOUD_S3_BUCKET": f"scaleout-{uuid.uuid4().hex[:10]}", "SCHOOLCLOUD_S3_SECURE": "false"}
    # info: the preview worker logs each finished job with the instance that did it.
    cluster = Cluster(tmp_path_factory.mktemp("scaleout"), database_url, s3, nginx_binary(),
                      extra_env={"SCHOOLCLOUD_LOG_LEVEL": "info"})
    try:
        yield cluster.start()
    finally:
        cluster.stop()
        drop_pg_database(database_url)


@pytest.fixture
async def redis(cluster):
    client = aioredis.Redis.from_url(cluster.redis_url)
    yield client
    await client.aclose()


def served_by(response: httpx.Response) -> str:
    return response.headers["x-upstream"]


async def logged_in(cluster: Cluster, username: str) -> httpx.AsyncClient:
    http = browser.client(cluster.url)
    await browser.login(http, username, PASSWORD)
    http.headers["X-CSRF-Token"] = (await http.get("/api/v1/me")).json()["csrf_token"]
    return http


def on(instance: str) -> dict[str, str]:
    return {INSTANCE_HEADER: instance}


async def test_login_hops_between_instances_and_the_session_is_shared(cluster):
    (teacher,) = cluster.seed(1, "teacher")
    before = len(cluster.nginx.access_log())
    http = await logged_in(cluster, teacher)
    try:
        # Round-robin: the login's requests (app, IdP form, code exchange, callback) used both instances.
        login_lines = cluster.nginx.access_log()[before:]
        assert any(cluster.upstream("a") in line for line in login_lines), login_lines
        assert any(cluster.upstream("b") in line for line in login_lines), login_lines
        for name in "ab":
            me = await http.get("/api/v1/me", headers=on(name))
            assert me.status_code == 200 and me.json()["username"] == teacher
            assert served_by(me) == cluster.upstream(name)
        # One signing key for both: the IdP's keys live in the database.
        keys = [(await http.get("/idp/jwks", headers=on(name))).json() for name in "ab"]
        assert keys[0] == keys[1] and len(keys[0]["keys"]) == 1
        # Logging out on one instance ends the session on the other at once.
        page = await http.get("/", headers=on("a"))
        out = await http.post("/logout", data={"csrf_token": browser.csrf_from(page.text)}, headers=on("a"))
        assert out.status_code == 303
        assert (await http.get("/api/v1/me", headers=on("b"))).status_code == 401
    finally:
        await http.aclose()


async def test_upload_on_one_instance_download_on_the_other(cluster):
    (pupil,) = cluster.seed(1)
    http = await logged_in(cluster, pupil)
    try:
        root = await personal_root(http)
        data = uuid.uuid4().bytes * 4096
        http.headers.update(on("a"))
        created = await upload(http, root, "Referat.txt", data)
        assert created.status_code == 201, created.text
        assert served_by(created) == cluster.upstream("a")
        http.headers.update(on("b"))
        download = await http.get(f"/api/v1/files/content/{created.json()['id']}")
        assert download.status_code == 200 and download.content == data
        assert served_by(download) == cluster.upstream("b")

        # A resumable upload whose parts go to different instances.
        chunks = [b"1" * 70_000, b"2" * 50_000, b"3" * 30_000]
        start = await http.post("/api/v1/files/tus", headers={
            **on("a"), "Tus-Resumable": "1.0.0", "Upload-Length": str(sum(map(len, chunks))),
            "Upload-Metadata": tus_metadata(filename="Video.bin", folder=str(root))})
        assert start.status_code == 201, start.text
        offset = 0
        for chunk, instance in zip(chunks, "bab"):
            part = await http.patch(start.headers["location"], content=chunk, headers={
                **on(instance), "Tus-Resumable": "1.0.0", "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream"})
            assert part.status_code == 204, part.text
            assert served_by(part) == cluster.upstream(instance)
            offset += len(chunk)
        listing = (await http.get(f"/api/v1/files/nodes/{root}/children", headers=on("a"))).json()
        video = next(item for item in listing["items"] if item["name"] == "Video.bin")
        whole = await http.get(f"/api/v1/files/content/{video['id']}", headers=on("a"))
        assert whole.content == b"".join(chunks)
    finally:
        await http.aclose()


async def attempt(cluster: Cluster, username: str, password: str, instance: str, client_ip: str) -> int:
    """One login attempt at the IdP's form of ``instance``, the client named by X-Forwarded-For (nginx
    appends its own address, which the app trusts)."""
    headers = {**on(instance), "X-Forwarded-For": client_ip}
    async with browser.client(cluster.url, headers=headers) as http:
        form = await browser.start_login(http)
        return (await browser.submit_login(http, form, username, password)).status_code


async def test_login_throttle_counts_across_instances(cluster, redis):
    (pupil,) = cluster.seed(1)
    ip = "198.51.100.23"
    statuses = [await attempt(cluster, pupil, "wrong", instance, ip) for instance in "ababa"]
    assert statuses == [401] * 5
    name = throttle_name(cluster.instances["a"], pupil)  # the login name's keyed hash, as the instances key it
    assert await redis.get(f"{cluster.redis_prefix}throttle:count:pair:{name}:{ip}") == b"5"
    # Locked on both instances, even with the right password; elsewhere the pupil still logs in.
    assert await attempt(cluster, pupil, PASSWORD, "a", ip) == 429
    assert await attempt(cluster, pupil, PASSWORD, "b", ip) == 429
    assert await attempt(cluster, pupil, PASSWORD, "b", "198.51.100.24") == 302


async def test_parallel_guesses_on_both_instances_cannot_exceed_the_limit(cluster, redis):
    (pupil,) = cluster.seed(1)
    ip = "198.51.100.77"
    clients = [browser.client(cluster.url, headers={**on("ab"[n % 2]), "X-Forwarded-For": ip}) for n in range(12)]
    try:
        forms = [await browser.start_login(http) for http in clients]  # all forms first, then all guesses at once
        responses = await asyncio.gather(*(browser.submit_login(http, form, pupil, f"guess {n}")
                                           for n, (http, form) in enumerate(zip(clients, forms))))
    finally:
        for http in clients:
            await http.aclose()
    assert sorted(r.status_code for r in responses) == [401] * 5 + [429] * 7
    assert {served_by(r) for r in responses} == {cluster.upstream("a"), cluster.upstream("b")}
    name = throttle_name(cluster.instances["a"], pupil)  # the login name's keyed hash, as the instances key it
    assert await redis.get(f"{cluster.redis_prefix}throttle:count:pair:{name}:{ip}") == b"5"


def png(n: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (n * 20 % 256, 80, 160)).save(out, format="PNG")
    return out.getvalue()


PREVIEW_DONE = re.compile(r"preview (\d+) of version (\d+) ready by (\S+)")


async def test_each_preview_is_made_exactly_once(cluster):
    (pupil,) = cluster.seed(1)
    http = await logged_in(cluster, pupil)
    try:
        root = await personal_root(http)
        ids = []
        for n in range(8):  # round-robin: uploads land on both instances, and both workers race for them
            created = await upload(http, root, f"Bild {n}.png", png(n))
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        deadline = time.monotonic() + 60
        pending = set(ids)
        while pending and time.monotonic() < deadline:
            for node_id in list(pending):
                if (await http.get(f"/api/v1/files/preview/{node_id}")).status_code == 200:
                    pending.discard(node_id)
            await asyncio.sleep(0.3)
        assert not pending, "previews not made within a minute"
    finally:
        await http.aclose()
    await asyncio.sleep(1.5)  # a duplicate would be written by now (each render takes milliseconds)
    done = [PREVIEW_DONE.search(line) for server in cluster.instances.values() for line in server.log().splitlines()]
    done = [match.groups() for match in done if match]
    versions = [version for _row, version, _instance in done]
    assert len(versions) == len(ids) and len(set(versions)) == len(ids), done

