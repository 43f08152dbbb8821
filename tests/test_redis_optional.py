"""With SCHOOLCLOUD_REDIS_URL the login throttle counts in Redis and readiness depends on it; a Redis
that goes away takes the instance out of the load balancer but loses no committed work (uploads go on:
the job wake-up is only a hint). A real redis-server of the test's own, so that it can be stopped."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest
import redis

from tests.conftest import IN_CI
from tests.support import browser
from tests.test_idp_throttle import throttle_name
from tests.support.files import PASSWORD, api_client, person, personal_root, upload
from tests.support.server import AppServer, free_port


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(binary, os.X_OK):
        if IN_CI:
            pytest.fail("redis-server (Debian's redis-server package) is required under CI=true")
        pytest.skip("redis-server is not installed")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(workdir)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
    yield process, f"redis://127.0.0.1:{port}/0"
    if process.poll() is None:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def redis_app(app, redis_server, tmp_path_factory):
    _process, url = redis_server
    server = AppServer(tmp_path_factory.mktemp("redis-app"), database_url=app.database_url,
                       extra_env={"SCHOOLCLOUD_REDIS_URL": url, "SCHOOLCLOUD_REDIS_PREFIX": "t:"}).start()
    yield server
    server.stop()


async def test_throttle_counts_in_redis_and_readiness_follows_it(redis_app, redis_server):
    process, url = redis_server
    pupil = await person("pupil")
    async with browser.client(redis_app.base_url) as http:
        form = await browser.start_login(http)
        assert (await browser.submit_login(http, form, pupil.username, "wrong")).status_code == 401
    counts = redis.Redis.from_url(url)
    # The key holds a keyed hash of the login name (the server's secret), never the name itself.
    assert counts.get(f"t:throttle:count:pair:{throttle_name(redis_app, pupil.username)}:127.0.0.1") == b"1"
    stored = b" ".join(counts.keys("t:*"))
    assert pupil.username.encode() not in stored and b"throttle:count:account:" in stored
    counts.close()

    async with api_client(redis_app.base_url, pupil) as http:
        root = await personal_root(http)
        assert (await http.get("/healthz/ready")).json() == {"status": "ok"}
        process.terminate()
        process.wait(10)
        ready = await http.get("/healthz/ready")
        assert ready.status_code == 503
        assert ready.json()["reason"].startswith("redis:")
        assert (await http.get("/healthz/live")).text == "ok"
        # Already logged in: work goes on; the lost wake-up only delays the preview worker.
        assert (await upload(http, root, "Notizen.txt", b"ohne Redis")).status_code == 201
        # New logins fail closed rather than unthrottled.
        async with browser.client(redis_app.base_url) as other:
            form = await browser.start_login(other)
            refused = await browser.submit_login(other, form, pupil.username, PASSWORD)
            assert refused.status_code == 500


def test_a_wrong_redis_url_names_the_variable(tmp_path):
    from schoolcloud.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="SCHOOLCLOUD_REDIS_URL"):
        load_settings({"SCHOOLCLOUD_VAR_DIR": str(tmp_path), "SCHOOLCLOUD_REDIS_URL": "localhost:6379"})
    settings = load_settings({"SCHOOLCLOUD_VAR_DIR": str(tmp_path)})
    assert settings.redis_url == "" and settings.redis_prefix == "schoolcloud:"

