"""What only the local store has: crash safety of its temp-file-and-rename writes, temp cleanup,
and the limits of mapping keys onto a directory tree."""

from __future__ import annotations

import asyncio
import ctypes
import hashlib
import mmap
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from storage import local
from storage.base import StorageError, hash_object
from storage.local import LocalStore

MiB = 1024 * 1024


async def chunks_of(data: bytes):
    yield data


async def keys(store: LocalStore) -> list[str]:
    return [info.key async for info in store.list()]

# Runs in a child process: stores one object, then starts a put that never ends on its own and
# says so once 8 MiB of it are written.
CRASHING_WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from storage.local import LocalStore

    async def one(data):
        yield data

    async def endless():
        block = b"x" * (1024 * 1024)
        for written in range(1, 4096):
            yield block
            if written == 9:  # the store writes one block behind: 8 MiB are now on disk
                print("writing", flush=True)
            if written >= 8:
                await asyncio.sleep(0.01)  # slow enough to be caught mid-write

    async def main(root):
        store = LocalStore(root)
        await store.put("kept/object", one(b"committed before the crash"))
        await store.put("partial/object", endless())

    asyncio.run(main(sys.argv[1]))
    """
)


async def test_kill_9_during_a_put_leaves_no_partial_object(tmp_path):
    root = tmp_path / "objects"
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(root)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],  # the repository, so `storage` imports
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"writing\n"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()  # no-op once dead; a safety net if the assertions above fail
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    store = LocalStore(root)  # "after the restart"
    temp_files = list(store.temp_dir.iterdir())
    assert len(temp_files) == 1 and temp_files[0].stat().st_size >= 8 * MiB

    assert await keys(store) == ["kept/object"]
    assert not await store.exists("partial/object")
    kept = await hash_object(store, "kept/object")
    assert kept.size == len(b"committed before the crash")

    assert await store.cleanup_temp(older_than=timedelta(hours=1)) == 0  # too young to be stale
    assert await store.cleanup_temp(older_than=timedelta(0)) == 1
    assert list(store.temp_dir.iterdir()) == []
    assert await keys(store) == ["kept/object"]


async def test_list_ignores_what_is_no_object(tmp_path):
    store = LocalStore(tmp_path)
    await store.put("a/real", chunks_of(b"1"))
    (store.temp_dir / "left-over.part").write_bytes(b"partial")
    (tmp_path / ".hidden").write_bytes(b"x")
    (tmp_path / "bad name").write_bytes(b"x")
    (tmp_path / "empty-dir").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "a" / "real")
    assert await keys(store) == ["a/real"]


async def test_a_key_cannot_be_the_directory_of_another(tmp_path):
    store = LocalStore(tmp_path)
    await store.put("a/b", chunks_of(b"file"))
    with pytest.raises(StorageError):
        await store.put("a/b/c", chunks_of(b"under a file"))
    with pytest.raises(StorageError):
        await store.put("a", chunks_of(b"over a directory"))
    assert await keys(store) == ["a/b"]
    assert list(store.temp_dir.iterdir()) == []
    assert not await store.exists("a")  # a directory is no object
    await store.delete("a")  # nor deletable as one


async def test_objects_are_plain_files_under_root(tmp_path):
    """Operators can back up the root with ordinary tools: one file per key, nothing else."""
    store = LocalStore(tmp_path)
    await store.put("ab/cd/object", chunks_of(b"content"))
    assert (tmp_path / "ab" / "cd" / "object").read_bytes() == b"content"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp", "ab"]


def pieces(data: bytes, size: int):
    async def generate():
        for offset in range(0, len(data), size):
            yield data[offset : offset + size]

    return generate()


# Past DIRECT_FROM the store writes with O_DIRECT from an aligned buffer: objects whose size, pieces
# and switch-over point fall on no block boundary must come back byte for byte.
DIRECT_CASES = {
    "switch-mid-block-odd-pieces": (local.DIRECT_FROM + 3 * MiB + 4095, 100_003),
    "exactly-at-the-switch": (local.DIRECT_FROM, 256 * 1024),
    "one-byte-past-the-switch": (local.DIRECT_FROM + 1, 256 * 1024),
    "block-multiple": (local.DIRECT_FROM + 2 * MiB, 4096),
    "one-huge-piece": (3 * local.DIRECT_FROM + 5, 3 * local.DIRECT_FROM + 5),
    "tiny-pieces-then-direct": (local.DIRECT_FROM + 64 * 1024 + 17, 1000),
}


@pytest.mark.parametrize("size,piece", DIRECT_CASES.values(), ids=DIRECT_CASES.keys())
async def test_large_objects_round_trip_through_direct_writes(tmp_path, size, piece):
    store = LocalStore(tmp_path)
    data = os.urandom(size)
    stored = await store.put("big/object", pieces(data, piece))
    assert (stored.size, stored.sha256) == (size, hashlib.sha256(data).hexdigest())
    assert (tmp_path / "big" / "object").read_bytes() == data
    assert list(store.temp_dir.iterdir()) == []


def cached_bytes(path: Path) -> int:
    """How much of the file is in the page cache (mincore(2) over a read-only mapping)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype, libc.mmap.argtypes = ctypes.c_void_p, [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size, page = path.stat().st_size, os.sysconf("SC_PAGE_SIZE")
    fd = os.open(path, os.O_RDONLY)
    try:
        address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        assert address not in (None, ctypes.c_void_p(-1).value), os.strerror(ctypes.get_errno())
        try:
            pages = ctypes.create_string_buffer(-(-size // page))
            assert libc.mincore(address, size, pages) == 0, os.strerror(ctypes.get_errno())
            return sum(flag & 1 for flag in pages.raw) * page
        finally:
            libc.munmap(address, size)
    finally:
        os.close(fd)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="O_DIRECT and mincore as on Linux")
async def test_a_large_object_does_not_fill_the_page_cache(tmp_path):
    """Written buffered, all of a large upload stayed in the page cache (the kernel first had to find
    and fill a fresh page for every 4 KiB, the most expensive part of a 1 GiB upload on a VM); past
    DIRECT_FROM it goes to the disk directly. Only the buffered start may be cached."""
    store = LocalStore(tmp_path)
    size = local.DIRECT_FROM + 24 * MiB
    await store.put("big/object", pieces(os.urandom(size), 256 * 1024))
    assert cached_bytes(tmp_path / "big" / "object") <= local.DIRECT_FROM + MiB


async def test_a_filesystem_refusing_the_alignment_gets_buffered_writes(tmp_path, monkeypatch):
    """Some filesystems take O_DIRECT but want a larger alignment: the refused write (EINVAL) is
    made again buffered, and the object is complete. (Alignment 1 makes every direct write
    misaligned for the disk.)"""
    monkeypatch.setattr(local, "DIRECT_ALIGN", 1)
    store = LocalStore(tmp_path)
    data = os.urandom(local.DIRECT_FROM + 5 * MiB + 3)
    stored = await store.put("big/object", pieces(data, 100_003))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (tmp_path / "big" / "object").read_bytes() == data


async def test_a_small_put_takes_one_worker_thread_hop(tmp_path, monkeypatch):
    """An object smaller than one write batch is created, written, fsynced and renamed by a single
    call into a worker thread (each hand-off costs the event loop and a thread a wake-up; before,
    the temp file was created in a hop of its own)."""
    store = LocalStore(tmp_path)
    loop = asyncio.get_running_loop()
    hops = []
    run_in_executor = loop.run_in_executor

    def counted(executor, func, *args):
        if getattr(func, "__module__", "").startswith("storage."):  # not the loop's other users
            hops.append(func)
        return run_in_executor(executor, func, *args)

    monkeypatch.setattr(loop, "run_in_executor", counted)
    data = os.urandom(100_000)
    await store.put("ab/cd/small", pieces(data, 16 * 1024))
    assert hops == [store._finish]
    assert (tmp_path / "ab" / "cd" / "small").read_bytes() == data
    assert list(store.temp_dir.iterdir()) == []


_mkdirs: list[str] | None = None  # what os.mkdir was called with, while a test records it


def _record_mkdir(event: str, args: tuple) -> None:
    if event == "os.mkdir" and _mkdirs is not None:
        _mkdirs.append(os.fsdecode(args[0]))


@pytest.fixture
def mkdirs():
    global _mkdirs
    if not getattr(sys, "_storage_local_mkdir_hook", False):  # audit hooks cannot be removed
        sys.addaudithook(_record_mkdir)
        sys._storage_local_mkdir_hook = True  # type: ignore[attr-defined]
    _mkdirs = []
    try:
        yield _mkdirs
    finally:
        _mkdirs = None


async def test_a_shard_directory_made_by_someone_else_has_its_parent_fsynced_once(tmp_path, monkeypatch):
    """Another process (or put) may have just made the shard and not yet fsynced its parent: an object
    renamed into it would then vanish with the directory in a power loss although its row was
    committed. So a directory found rather than made gets its parent fsynced too, once."""
    store = LocalStore(tmp_path)
    (tmp_path / "ab" / "cd").mkdir(parents=True)  # as another worker process would, a moment earlier
    synced = []
    real_fsync = os.fsync

    def recording_fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    await store.put("ab/cd/first", chunks_of(b"1"))
    assert {str(tmp_path), str(tmp_path / "ab")} <= set(synced)  # the parents of ab and of ab/cd

    synced.clear()
    await store.put("ab/cd/second", chunks_of(b"2"))
    # now known: only the object (still under its temp name) and the shard it goes into
    assert [path for path in synced if not path.startswith(str(store.temp_dir))] == [str(tmp_path / "ab" / "cd")]


async def test_shard_directories_are_made_once_and_again_when_removed(tmp_path, mkdirs):
    """A put into a shard directory the store has already used calls no mkdir (before, every put
    tried os.mkdir on each level of its key); one removed underneath is made again."""
    store = LocalStore(tmp_path)
    mkdirs.clear()  # its temp directory
    await store.put("ab/cd/first", chunks_of(b"1"))
    assert mkdirs == [str(tmp_path / "ab"), str(tmp_path / "ab" / "cd")]

    mkdirs.clear()
    await store.put("ab/cd/second", chunks_of(b"2"))
    await store.put("ab/ef/third", chunks_of(b"3"))
    assert mkdirs == [str(tmp_path / "ab" / "ef")]

    mkdirs.clear()
    shutil.rmtree(tmp_path / "ab")
    await store.put("ab/cd/fourth", chunks_of(b"4"))
    assert (tmp_path / "ab" / "cd" / "fourth").read_bytes() == b"4"
    assert mkdirs == [str(tmp_path / "ab"), str(tmp_path / "ab" / "cd")]
    assert await keys(store) == ["ab/cd/fourth"]
    assert list(store.temp_dir.iterdir()) == []
