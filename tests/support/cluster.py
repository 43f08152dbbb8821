"""Two app instances behind nginx on 127.0.0.1, sharing one PostgreSQL database, one S3 bucket and one
Redis (under a key prefix of their own): the scale-out set-up of tests/test_scaleout.py and the
benchmarks.

nginx (Debian's package; ``make test`` installs it where missing) runs as the current user from a
config in a temporary folder. It balances round-robin over both instances; a request with the header
``X-Schoolcloud-Instance: a`` (or ``b``) goes to that instance only, and every response names the
instance that served it in ``X-Upstream``. Both instances have nginx's address as BASE_URL, as in
production: the app's calls to its own IdP go through nginx as well.

Test data is made by ``seed`` in a subprocess, so that the test process's ORM (which may be set up for
SQLite in the same run) is never pointed at a second database.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.support.server import ROOT, AppServer, free_port

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
INSTANCE_HEADER = "X-Schoolcloud-Instance"


def nginx_binary() -> str | None:
    # /usr/sbin is not on an ordinary user's PATH.
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def redis_available() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$remote_addr "$request" $status $upstream_addr';
    access_log {dir}/access.log upstream;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    # The app limits uploads itself and streams them; nginx passes bodies through unbuffered.
    client_max_body_size 0;
    proxy_request_buffering off;
    proxy_buffering off;
    proxy_http_version 1.1;

    upstream all {{ server 127.0.0.1:{port_a}; server 127.0.0.1:{port_b}; }}
    upstream a {{ server 127.0.0.1:{port_a}; }}
    upstream b {{ server 127.0.0.1:{port_b}; }}
    map $http_x_schoolcloud_instance $pool {{ default all; a a; b b; }}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://$pool;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Connection "";
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, workdir: Path, binary: str, port_a: int, port_b: int):
        self.workdir, self.binary = workdir, binary
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # As root, nginx would hand its workers to "nobody", who cannot write our temp folders.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        workdir.mkdir(parents=True, exist_ok=True)
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(NGINX_CONF.format(dir=workdir, user=user, port=self.port, port_a=port_a,
                                               port_b=port_b))
        self.process: subprocess.Popen | None = None

    def start(self) -> "Nginx":
        log = (self.workdir / "nginx.out").open("ab")
        # -e: the error log before the config is read; else nginx tries /var/log/nginx first.
        self.process = subprocess.Popen([self.binary, "-p", str(self.workdir), "-c", str(self.conf),
                                         "-e", str(self.workdir / "error.log")],
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.errors()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not start: {self.errors()}")

    def errors(self) -> str:
        return "".join(p.read_text(errors="replace") for p in (self.workdir / "error.log",
                                                               self.workdir / "nginx.out") if p.exists())

    def access_log(self) -> list[str]:
        path = self.workdir / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish their requests
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Cluster:
    """nginx in front of instances ``a`` and ``b``; ``start`` migrates the database and starts all."""

    def __init__(self, workdir: Path, database_url: str, s3: dict[str, str], nginx: str,
                 extra_env: dict[str, str] | None = None):
        self.redis_prefix = f"sc-test-{uuid.uuid4().hex[:12]}:"
        self.redis_url = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
        ports = free_port(), free_port()
        self.nginx = Nginx(workdir / "nginx", nginx, *ports)
        shared = {"SCHOOLCLOUD_BASE_URL": self.nginx.url, "SCHOOLCLOUD_REDIS_URL": self.redis_url,
                  "SCHOOLCLOUD_REDIS_PREFIX": self.redis_prefix, **s3, **(extra_env or {})}
        self.instances = {name: AppServer(workdir / f"app-{name}", database_url=database_url, port=port,
                                          extra_env=shared)
                          for name, port in zip("ab", ports)}
        self.url = self.nginx.url

    def start(self) -> "Cluster":
        try:
            self.nginx.start()
            for server in self.instances.values():  # one after the other: the first one migrates
                server.start()
        except Exception:
            self.stop()
            raise
        return self

    def upstream(self, name: str) -> str:
        """The address nginx reports in X-Upstream for instance ``name``."""
        return f"127.0.0.1:{self.instances[name].port}"

    def stop(self) -> None:
        for server in self.instances.values():
            server.stop()
        self.nginx.stop()
        _delete_redis_keys(self.redis_url, self.redis_prefix)

    def seed(self, count: int, role: str = "pupil", password_hash: str = "light") -> list[str]:
        return seed(self.instances["a"].env, count, role, password_hash)


def _delete_redis_keys(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def seed(env: dict[str, str], count: int, role: str = "pupil", password_hash: str = "light") -> list[str]:
    """``count`` accounts of ``role`` in a new school, in the database of ``env`` (a server's
    environment), with the tests' PASSWORD; ``password_hash`` "light" (fast) or "default" (what a
    password the person chose gets). Returns the login names."""
    request = json.dumps({"count": count, "role": role, "hash": password_hash})
    result = subprocess.run([sys.executable, "-m", "tests.support.cluster"], input=request, env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"seeding failed: {result.stderr}")
    return json.loads(result.stdout)


async def _seed_main(request: dict) -> list[str]:
    from tortoise import Tortoise

    from schoolcloud.accounts.models import User
    from schoolcloud.accounts.passwords import hash_password
    from schoolcloud.config import load_settings
    from schoolcloud.db import tortoise_config
    from tests.support.data import PASSWORD, light_hash, make_school, unique

    await Tortoise.init(config=tortoise_config(load_settings()))
    try:
        school = await make_school()
        password_hash = hash_password(PASSWORD) if request["hash"] == "default" else light_hash()
        role = request["role"]
        users = [User(school=school, role=role, username=unique(f"{role}.").lower(), given_name="Test",
                      family_name=f"Nr. {n}", password_hash=password_hash) for n in range(request["count"])]
        await User.bulk_create(users, batch_size=500)
        return [user.username for user in users]
    finally:
        await Tortoise.close_connections()


if __name__ == "__main__":
    import asyncio

    print(json.dumps(asyncio.run(_seed_main(json.loads(sys.stdin.read())))))
