"""Objects as files under a root directory (the embedded default).

A key maps to the path ``root/<key>``. Writes go to ``root/.tmp/<random>.part`` (same filesystem,
so the final rename is atomic), are fsynced, renamed into place, and the directory is fsynced, so
after a crash an object is either complete or absent. A crash mid-write leaves only a ``.part``
file, which ``list()`` never shows and ``cleanup_temp()`` removes.

Limitation of the file-system mapping: a key cannot also be the "directory" of another key ("a/b"
and "a/b/c"); such a put raises ``StorageError``. Keys from ``storage.keys.new_key`` never clash.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat as stat_mode
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator

import aiofiles
import aiofiles.os

from storage.base import (
    DEFAULT_READ_CHUNK,
    Digest,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    ObjectStream,
    StorageError,
    StoredObject,
    resolve_range,
    settle,
)
from storage.keys import check_key, check_prefix, is_key_segment

log = logging.getLogger(__name__)

TEMP_DIR = ".tmp"
TEMP_SUFFIX = ".part"
#: Small chunks (an HTTP body arrives in ~64 KiB pieces) are gathered up to this size before one
#: write, so a worker thread is asked once per MiB rather than once per chunk.
DEFAULT_WRITE_BUFFER = 1024 * 1024

# What "this key is not there" looks like on a filesystem: the file, or a directory on the way to
# it, is missing, or something else than a regular file is in its place.
_MISSING = (FileNotFoundError, NotADirectoryError, IsADirectoryError)


class LocalStore(ObjectStore):
    def __init__(
        self,
        root: Path | str,
        *,
        write_buffer: int = DEFAULT_WRITE_BUFFER,
        read_chunk: int = DEFAULT_READ_CHUNK,
    ):
        super().__init__()
        self.root = Path(root).absolute()
        self.temp_dir = self.root / TEMP_DIR
        self._write_buffer = write_buffer
        self._read_chunk = read_chunk
        # Once, at start-up: a blocking mkdir here is cheaper than checking on every put.
        self.temp_dir.mkdir(parents=True, exist_ok=True)

    def path_for(self, key: str) -> Path:
        # check_key admits no "..", no leading "/" and no hidden names, so the path stays under
        # root and never points into the temp directory.
        return self.root / check_key(key)

    # -- writing ------------------------------------------------------------------------------

    async def put(
        self, key: str, chunks: AsyncIterator[bytes], *, max_bytes: int | None = None
    ) -> StoredObject:
        target = self.path_for(key)
        digest = Digest(key, max_bytes)
        temp = self.temp_dir / f"{uuid.uuid4().hex}{TEMP_SUFFIX}"
        # Every step that touches the file runs as a task awaited through shield(): if we are
        # cancelled meanwhile, the cleanup below can wait for the step to finish before closing
        # and unlinking (never close a file a worker thread is still writing to).
        step: asyncio.Future[Any] = asyncio.ensure_future(_open_exclusive(temp))
        opening = step
        try:
            file = await asyncio.shield(step)
            buffer = bytearray()
            async for chunk in chunks:
                if not chunk:
                    continue
                digest.feed(chunk)
                if not buffer and len(chunk) >= self._write_buffer:
                    data: bytes | bytearray = chunk  # big chunks go out as they are, uncopied
                else:
                    buffer += chunk
                    if len(buffer) < self._write_buffer:
                        continue
                    data, buffer = buffer, bytearray()
                step = asyncio.ensure_future(_write(file, data))
                await asyncio.shield(step)
            if buffer:
                step = asyncio.ensure_future(_write(file, buffer))
                await asyncio.shield(step)
            step = asyncio.ensure_future(self._commit(file, temp, target))
            await asyncio.shield(step)
        except BaseException:
            await self._background.run(self._discard(opening, step, temp))
            raise
        return digest.result()

    async def _commit(self, file: Any, temp: Path, target: Path) -> None:
        try:
            await file.flush()
            await asyncio.to_thread(os.fsync, file.fileno())
            await file.close()
            await asyncio.to_thread(self._publish, temp, target)
        except OSError as exc:
            raise StorageError(f"storing {target} failed: {exc}") from exc

    def _publish(self, temp: Path, target: Path) -> None:
        """Rename the finished temp file into place, durably (runs in a worker thread)."""
        created = self._make_parents(target.parent)
        os.replace(temp, target)
        _fsync_dir(target.parent)  # makes the new directory entry survive a power loss
        for directory in created:
            _fsync_dir(directory.parent)

    def _make_parents(self, directory: Path) -> list[Path]:
        """mkdir -p that reports which directories it created (their parents need an fsync)."""
        created = []
        current = self.root
        for part in directory.relative_to(self.root).parts:
            current = current / part
            try:
                os.mkdir(current)
                created.append(current)
            except FileExistsError:
                if not current.is_dir():
                    raise NotADirectoryError(f"{current} is an object, not a directory") from None
        return created

    async def _discard(
        self, opening: asyncio.Future[Any], step: asyncio.Future[Any], temp: Path
    ) -> None:
        """Undo a failed put: wait for the running step, close the file, remove the temp file.

        If the commit's rename already happened the object stays: it lives under the caller's
        fresh key with no database row pointing at it, which the consistency check removes;
        deleting here could remove data that a concurrent writer of the same key just stored.
        """
        try:
            await settle(step)
            await settle(opening)
            if not opening.cancelled() and opening.exception() is None:
                await opening.result().close()
            await asyncio.to_thread(temp.unlink, missing_ok=True)
        except Exception:
            log.warning("could not remove the temporary file %s", temp, exc_info=True)

    # -- reading ------------------------------------------------------------------------------

    async def open(self, key: str, start: int = 0, end: int | None = None) -> ObjectStream:
        path = self.path_for(key)
        try:
            file = await aiofiles.open(path, "rb")
        except _MISSING:
            raise ObjectNotFound(key) from None
        except OSError as exc:
            raise StorageError(f"opening {key!r} failed: {exc}") from exc
        try:
            size = os.fstat(file.fileno()).st_size
            start, end = resolve_range(start, end, size)
            if start:
                await file.seek(start)
        except BaseException:
            await file.close()
            raise
        return _LocalStream(file, key, start, end, size, self._background, self._read_chunk)

    async def stat(self, key: str) -> ObjectInfo:
        path = self.path_for(key)
        try:
            st = await aiofiles.os.stat(path)
        except _MISSING:
            raise ObjectNotFound(key) from None
        except OSError as exc:
            raise StorageError(f"stat of {key!r} failed: {exc}") from exc
        if not stat_mode.S_ISREG(st.st_mode):
            raise ObjectNotFound(key)
        return _info(key, st)

    # -- deleting and listing -----------------------------------------------------------------

    async def delete(self, key: str) -> None:
        # Empty shard directories stay: removing them would race with a put creating a file in
        # them, and there are at most 65536 of them.
        try:
            await aiofiles.os.remove(self.path_for(key))
        except _MISSING:
            pass
        except OSError as exc:
            raise StorageError(f"deleting {key!r} failed: {exc}") from exc

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        check_prefix(prefix)
        # Start in the deepest directory the prefix names completely: "ab/cd/12" -> "ab/cd".
        async for info in self._walk(prefix.rpartition("/")[0], prefix):
            yield info

    async def _walk(self, directory: str, prefix: str) -> AsyncIterator[ObjectInfo]:
        for name, st in await asyncio.to_thread(self._scan, directory):
            key = f"{directory}/{name}" if directory else name
            if st is None:  # a directory: descend only where keys can still match the prefix
                if (key + "/").startswith(prefix) or prefix.startswith(key + "/"):
                    async for info in self._walk(key, prefix):
                        yield info
            elif key.startswith(prefix):
                yield _info(key, st)

    def _scan(self, directory: str) -> list[tuple[str, os.stat_result | None]]:
        """One directory's entries, sorted so that a depth-first walk yields keys in order.

        Names starting with "." (the temp directory) and names no key could have are skipped.
        Sorting a directory as "name/" puts it where its keys belong: "a-b" < "a/..." < "a0".
        """
        entries: list[tuple[str, str, os.stat_result | None]] = []
        try:
            with os.scandir(self.root / directory) as scan:
                for entry in scan:
                    if not is_key_segment(entry.name):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        entries.append((entry.name + "/", entry.name, None))
                    elif entry.is_file(follow_symlinks=False):
                        try:
                            entries.append((entry.name, entry.name, entry.stat()))
                        except FileNotFoundError:
                            pass  # deleted while we looked
        except (FileNotFoundError, NotADirectoryError):
            return []
        entries.sort()
        return [(name, st) for _, name, st in entries]

    async def cleanup_temp(self, older_than: timedelta = timedelta(days=1)) -> int:
        return await asyncio.to_thread(self._cleanup_temp, older_than)

    def _cleanup_temp(self, older_than: timedelta) -> int:
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        with os.scandir(self.temp_dir) as scan:
            for entry in scan:
                try:
                    if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime <= cutoff:
                        os.unlink(entry.path)
                        removed += 1
                except FileNotFoundError:
                    pass
        return removed


class _LocalStream(ObjectStream):
    def __init__(self, file: Any, *args: Any):
        super().__init__(*args)
        self._file = file

    async def _read(self, size: int) -> bytes:
        try:
            return await self._file.read(size)
        except OSError as exc:
            raise StorageError(f"reading {self.key!r} failed: {exc}") from exc

    async def _close(self) -> None:
        await self._file.close()


async def _open_exclusive(path: Path) -> Any:
    try:
        return await aiofiles.open(path, "xb")
    except OSError as exc:
        raise StorageError(f"creating {path} failed: {exc}") from exc


async def _write(file: Any, data: bytes | bytearray) -> None:
    try:
        await file.write(data)
    except OSError as exc:
        raise StorageError(f"writing {file.name} failed: {exc}") from exc


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _info(key: str, st: os.stat_result) -> ObjectInfo:
    return ObjectInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, tz=timezone.utc))
