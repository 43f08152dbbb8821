"""What only the local store has: crash safety of its temp-file-and-rename writes, temp cleanup,
and the limits of mapping keys onto a directory tree."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

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
