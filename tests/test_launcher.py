"""The launcher (schoolcloud/launcher.py), as `schoolcloud serve` starts it: real processes and signals."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from schoolcloud import cli, launcher
from schoolcloud.config import load_settings
from tests.support.files import bootstrap_admin, personal_root
from tests.support.server import ROOT, AppServer


def children(pid: int) -> set[int]:
    found = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            found |= {int(child) for child in handle.read().split()}
    return found


def cmdline(pid: int) -> list[str]:
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        return handle.read().decode().split("\0")


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_for(condition, seconds: float = 60, what: str = ""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or condition}")


@pytest.fixture
def two_workers(tmp_path):
    server = AppServer(tmp_path / "app", workers=2).start()
    yield server
    server.stop()


def test_supervisor_starts_workers_and_replaces_one_that_is_killed(two_workers):
    server = two_workers
    supervisor = server.process.pid
    assert "schoolcloud.launcher" in cmdline(supervisor)  # `serve` replaced itself by the launcher
    workers = children(supervisor)
    assert len(workers) == 2 and all("--worker" in cmdline(pid) for pid in workers)
    supervisor_modules = open(f"/proc/{supervisor}/maps").read()
    assert "uvloop" not in supervisor_modules and "_argon2" not in supervisor_modules  # no app, no uvicorn

    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    answers = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answers.append(httpx.get(f"{server.base_url}/healthz/live", timeout=10).status_code)
        now = children(supervisor)
        if len(now) == 2 and victim not in now:
            break
        time.sleep(0.05)
    assert set(answers) == {200}  # the other worker answered meanwhile
    assert alive((children(supervisor) - workers).pop())
    assert f"worker {victim} ended (signal SIGKILL)" in server.log()
    assert all(httpx.get(f"{server.base_url}/healthz/ready", timeout=10).status_code == 200 for _ in range(10))


def connections_by_worker(server: AppServer) -> dict[int, int]:
    """Established TCP connections on the server's port that each worker holds."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).readlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == server.port and fields[3] == "01":
                established.add(f"socket:[{fields[9]}]")
    counts = {}
    for pid in children(server.process.pid):
        links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        counts[pid] = len(links & established)
    return counts


def test_connections_spread_over_the_workers_and_a_second_launcher_is_refused(two_workers):
    server = two_workers
    clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(60)]
    try:
        counts = wait_for(lambda: (c := connections_by_worker(server)) and sum(c.values()) == 60 and c,
                          what="all 60 connections accepted")
        # each socket of the port's group gets a connection by its address hash: both well used
        # (below 10 of 60 by chance: about 1 in 10 million)
        assert len(counts) == 2 and min(counts.values()) >= 10, counts
    finally:
        for client in clients:
            client.close()
    second = subprocess.run([sys.executable, "-m", "schoolcloud.launcher", "--port", str(server.port),
                             "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert second.returncode == 1 and "cannot listen" in second.stderr, second.stderr
    assert httpx.get(f"{server.base_url}/healthz/live", timeout=10).status_code == 200


def test_workers_that_die_young_come_back_ever_later(two_workers):
    server = two_workers
    for _ in range(3):
        before = children(server.process.pid)
        os.kill(max(before), signal.SIGKILL)
        wait_for(lambda: len(children(server.process.pid) - before) == 1, what="a new worker")
    delays = [float(d) for d in re.findall(r"a new one starts in ([\d.]+) s", server.log())]
    assert len(delays) == 3 and delays[0] < delays[1] < delays[2], delays


async def test_sigterm_lets_a_slow_upload_finish_then_exits(two_workers):
    server = two_workers
    http = await bootstrap_admin(server)
    root = await personal_root(http)
    workers = children(server.process.pid)
    chunk = os.urandom(64 * 1024)

    async def slowly():
        for index in range(8):
            yield chunk
            if index == 1:
                server.process.send_signal(signal.SIGTERM)  # the request is in flight now
            await asyncio.sleep(0.25)

    reply = await http.post(f"/api/v1/files/upload/{root}", params={"name": "slow.bin"}, content=slowly())
    await http.aclose()
    assert reply.status_code == 201, reply.text
    assert reply.json()["size"] == 8 * len(chunk)
    assert await asyncio.to_thread(server.process.wait, 20) == 0
    assert not any(alive(pid) for pid in workers)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}/healthz/live", timeout=5)
    assert "SIGTERM: stopping the workers" in server.log()


def test_one_worker_needs_no_supervisor_and_stops_on_sigint(tmp_path):
    server = AppServer(tmp_path / "app", workers=1).start()
    try:
        assert not children(server.process.pid)  # the process serves by itself
        server.process.send_signal(signal.SIGINT)
        server.process.wait(20)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.base_url}/healthz/live", timeout=5)
    finally:
        server.stop()


def test_a_worker_that_cannot_start_stops_the_launcher(tmp_path):
    """No endless restarts when the app cannot start at all (here: no database at that address)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOLCLOUD_")}
    env.update({"SCHOOLCLOUD_VAR_DIR": str(tmp_path), "SCHOOLCLOUD_SECRET_KEY": "x" * 40,
                "SCHOOLCLOUD_DATABASE_URL": "postgres://nobody:nothing@127.0.0.1:9/none"})
    process = subprocess.run([sys.executable, "-m", "schoolcloud.launcher", "--port", "0", "--workers", "2"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert process.returncode == launcher.STARTUP_FAILURE, process.stderr
    assert "failed to start" in process.stderr


def test_serve_passes_proxy_settings_to_the_workers(tmp_path):
    for trusted in ("127.0.0.1,::1", "10.42.0.0/16"):
        settings = load_settings({"SCHOOLCLOUD_VAR_DIR": str(tmp_path), "SCHOOLCLOUD_TRUSTED_PROXIES": trusted,
                                  "SCHOOLCLOUD_WORKERS": "3", "SCHOOLCLOUD_PORT": "8123"})
        command = cli.launcher_command(settings)
        assert command[1:3] == ["-m", "schoolcloud.launcher"]
        args = launcher.parser().parse_args(command[3:])
        assert (args.workers, args.port) == (3, 8123)
        config = launcher.worker_config(args)
        assert config.proxy_headers is True and config.forwarded_allow_ips == trusted
        assert config.server_header is False and config.backlog == launcher.BACKLOG
