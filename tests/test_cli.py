"""`schoolcloud run` on a fresh machine: migrates, creates the first admin once, serves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import browser
from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[1]


def _start(env: dict) -> tuple[subprocess.Popen, list[str]]:
    process = subprocess.Popen([sys.executable, "-m", "schoolcloud.cli", "run"], env=env, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if "is running at" in line:
            return process, lines
    process.kill()
    raise AssertionError("\n".join(lines))


def _wait_ready(base_url: str) -> None:
    for _ in range(100):
        try:
            if httpx.get(f"{base_url}/healthz/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("not ready")


async def test_first_start_prints_admin_login_once_and_it_works(tmp_path):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOLCLOUD_")}
    env.update({"SCHOOLCLOUD_VAR_DIR": str(tmp_path / "var"), "SCHOOLCLOUD_PORT": str(port),
                "SCHOOLCLOUD_BASE_URL": base_url, "PYTHONUNBUFFERED": "1"})
    process, lines = _start(env)
    try:
        output = "\n".join(lines)
        login = re.search(r"^login: (\S+)$", output, re.M).group(1)
        password = re.search(r"^password: (\S+)$", output, re.M).group(1)
        assert f"{base_url}/" in output
        _wait_ready(base_url)
        async with browser.client(base_url) as http:
            page = await browser.login(http, login, password, new_password="a new admin secret")
            assert page.status_code == 200
            me = (await http.get("/api/v1/me")).json()
            assert me["role"] == "school_admin"
    finally:
        process.terminate()
        process.wait(10)
    process, lines = _start(env)
    try:
        assert not any(line.startswith(("login:", "password:")) for line in lines), "password printed twice"
    finally:
        process.terminate()
        process.wait(10)
