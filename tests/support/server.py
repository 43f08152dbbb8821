"""A real schoolcloud server for tests: `schoolcloud migrate`, then `schoolcloud serve` in a subprocess on a
free port (as operators start it: its start checks, then the launcher with SCHOOLCLOUD_WORKERS server
processes), against SQLite or PostgreSQL. Tests talk to it over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from schoolcloud import launcher

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_DSN = os.environ.get("SCHOOLCLOUD_TEST_PG", "postgres://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def _run_in_thread(coroutine_function) -> None:
    """Fixtures may run inside pytest-asyncio's loop; a private loop in a thread avoids nesting."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine_function()).result()


def create_pg_database() -> str:
    """A fresh database per test session, so runs never see each other's rows."""
    import asyncpg

    name = f"sc_test_{uuid.uuid4().hex[:12]}"

    async def create():
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    _run_in_thread(create)
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]

    async def drop():
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    _run_in_thread(drop)


class AppServer:
    def __init__(self, var_dir: Path, database_url: str = "", extra_env: dict | None = None, port: int = 0,
                 workers: int = 1):
        self.port = port or free_port()
        self.workers = workers
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.var_dir = var_dir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOLCLOUD_")}
        self.env.update({
            "SCHOOLCLOUD_BASE_URL": self.base_url,
            "SCHOOLCLOUD_HOST": "127.0.0.1",
            "SCHOOLCLOUD_PORT": str(self.port),
            "SCHOOLCLOUD_WORKERS": str(workers),
            "SCHOOLCLOUD_VAR_DIR": str(var_dir),
            "SCHOOLCLOUD_SECRET_KEY": "test-secret-" + "x" * 40,
            "SCHOOLCLOUD_LOG_LEVEL": "warning",
            "AUTHLIB_INSECURE_TRANSPORT": "1",
        })
        if database_url:
            self.env["SCHOOLCLOUD_DATABASE_URL"] = database_url
        self.env.update(extra_env or {})
        self.process: subprocess.Popen | None = None
        self.log_path = var_dir / "server.log"

    @property
    def database_url(self) -> str:
        return self.env.get("SCHOOLCLOUD_DATABASE_URL") or f"sqlite://{self.var_dir / 'schoolcloud.sqlite3'}"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "schoolcloud.cli", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> "AppServer":
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.cli("migrate")
        log = self.log_path.open("ab")
        # `serve` execs into the launcher: self.process is the supervisor (or the only server process)
        self.process = subprocess.Popen([sys.executable, "-m", "schoolcloud.cli", "serve"], env=self.env, cwd=ROOT,
                                        stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90  # generous: a loaded CI machine may take long to import and migrate
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()}")
            # with several workers, the launcher says when every one of them listens
            all_listen = self.workers == 1 or f"{launcher.ALL_READY} {self.workers} workers" in self.log()
            try:
                if all_listen and httpx.get(f"{self.base_url}/healthz/ready", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become ready: {self.log()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
