"""glibc allocator settings for the server process (called from `schoolcloud.asgi`).

A request body arrives as 64 to 320 KiB `bytes` objects. With glibc's defaults such blocks are mmapped
or returned to the kernel as soon as they are freed (trim), so every new block is fresh memory that the
kernel must fault in and zero: measured in the 1 GiB upload of `bench/transfer.py`, that doubled the
event loop's CPU time. Serving these sizes from the heap and keeping a little free memory there
(bounded by the trim threshold) makes the same memory reusable. No effect on other C libraries.
"""

from __future__ import annotations

import ctypes
import platform
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: Blocks below this come from the heap (the default is 128 KiB, rising on its own only up to what
#: the process has freed before). Above the 1 MiB read chunks of downloads (1 MiB plus the bytes
#: object's header): with the threshold at exactly 1 MiB every download chunk was a fresh mmap, and the
#: 1 GiB download of bench/transfer.py fell from about 2,600 to 800 MB/s.
MMAP_THRESHOLD = 4 * 1024 * 1024
#: Free memory the heap keeps before giving it back: the upper bound this costs in resident memory.
TRIM_THRESHOLD = 16 * 1024 * 1024


def tune_allocator() -> bool:
    """Apply the settings; False where the C library is not glibc."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
            bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False


#: Modules that the server's dependencies import on the way although a server process never uses them:
#: httpx's command-line client (its ``httpx._main`` loads Pygments' lexer table and click, when installed;
#: about 1 MB) and uvicorn's file watcher for --reload (watchfiles, a Rust extension; about 0.7 MB).
#: Both importers fall back when the import fails (httpx.main then says the CLI is not installed; uvicorn
#: uses its stat-based reloader, which a server process never starts either).
UNUSED_MODULES = ("httpx._main", "watchfiles")


def skip_unused_modules() -> None:
    """Make the imports of UNUSED_MODULES fail in this process (before uvicorn and httpx are imported):
    a None entry in sys.modules stops an import with ImportError."""
    for name in UNUSED_MODULES:
        sys.modules.setdefault(name, None)
