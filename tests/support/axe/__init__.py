"""Accessibility scans with axe-core, pinned in package.json / package-lock.json next to this file.

``ensure_axe()`` runs ``npm ci`` here on first use (under a file lock, so parallel pytest processes
install once; a marker records which package-lock.json was installed) and returns axe.min.js.
``scan(page)`` puts axe into the page and returns its violations for the WCAG 2.0/2.1 A and AA tags.

How axe gets into a page under our CSP (``script-src 'self'``): ``page.add_script_tag(content=...)``
inserts an inline <script> element, which the page's CSP blocks (and reports as a violation). Code
that Playwright evaluates through the DevTools protocol (``page.evaluate``) is not subject to the
page's CSP, so the source is evaluated that way: the scanned page keeps its real CSP and no context
needs ``bypass_csp=True``.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

AXE_DIR = Path(__file__).resolve().parent
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


class AxeUnavailable(RuntimeError):
    """npm is missing or `npm ci` failed."""


def _lock_digest() -> str:
    return hashlib.sha256((AXE_DIR / "package-lock.json").read_bytes()).hexdigest()


def ensure_axe(*, timeout: float = 300.0) -> Path:
    """Install axe-core with `npm ci` unless the installed copy matches package-lock.json."""
    marker = AXE_DIR / "node_modules" / ".schoolcloud-npm-ci"
    digest = _lock_digest()
    if AXE_JS.is_file() and marker.is_file() and marker.read_text().strip() == digest:
        return AXE_JS
    npm = shutil.which("npm")
    if npm is None:
        raise AxeUnavailable("npm is not installed; the accessibility scans need Node.js and npm for axe-core")
    lock_path = Path(tempfile.gettempdir()) / (
        "schoolcloud-axe-npm-" + hashlib.sha256(str(AXE_DIR).encode()).hexdigest()[:16] + ".lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (AXE_JS.is_file() and marker.is_file() and marker.read_text().strip() == digest):
                result = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=AXE_DIR,
                                        capture_output=True, text=True, timeout=timeout)
                if result.returncode != 0:
                    raise AxeUnavailable(f"npm ci failed in {AXE_DIR} (exit {result.returncode}):\n"
                                         f"{result.stdout}\n{result.stderr}")
                marker.write_text(digest + "\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return AXE_JS


_source: str | None = None


def axe_source() -> str:
    global _source
    if _source is None:
        _source = ensure_axe().read_text(encoding="utf-8")
    return _source


async def scan(page, tags: list[str] | None = None) -> list[dict]:
    """Run axe on the page as it is now; returns axe's list of violations (empty when clean)."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(axe_source())
    results = await page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        tags or WCAG_TAGS,
    )
    return results["violations"]


def describe(violations: list[dict]) -> str:
    """The violations as readable text: rule, impact, help and every offending element."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:200]}")
            for summary_line in (node.get("failureSummary") or "").splitlines():
                lines.append(f"      {summary_line.strip()}")
    return "\n".join(lines)
