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
import contextlib
import errno
import fcntl
import logging
import mmap
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
#: Chunks (an HTTP body arrives in 64 to 256 KiB pieces) are gathered up to this size before one
#: write, so a worker thread is asked once per MiB rather than once per chunk.
DEFAULT_WRITE_BUFFER = 1024 * 1024
#: How much written data may wait in the page cache before its writeback is started.
WRITEBACK_STEP = 8 * 1024 * 1024
#: An object that grows past this size is written on with direct I/O (O_DIRECT): its bytes go from an
#: aligned buffer to the disk without passing through the page cache. Buffered, every MiB first takes
#: 256 fresh page-cache pages that the kernel allocates and fills, and the whole object then stays in
#: the cache, pushing out what readers need; on the 1 GiB upload of bench/transfer.py that filling cost
#: the two worker threads 1.6-3 s of system CPU (the same work the baseline's cp does, at the same
#: cost), direct writes about 0.1 s. Small objects, the vast majority, stay buffered: one fsync writes
#: them, and a reader soon after finds them in the cache.
DIRECT_FROM = WRITEBACK_STEP
#: File offset, length and memory alignment of direct writes; 4096 suits 512- and 4096-byte sectors.
DIRECT_ALIGN = 4096
_O_DIRECT = getattr(os, "O_DIRECT", 0)  # not on macOS
_MAX_IOV = 1024  # writev's buffer limit on Linux (IOV_MAX)
_ADVISE = hasattr(os, "posix_fadvise")  # not on macOS
#: Shard directories a store remembers as existing (two levels of 256 each: 65,536 plus their 256
#: parents); past this the memory is emptied and filled again.
KNOWN_DIRECTORIES = 65_536 + 256

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
        self._root = str(self.root)
        self._temp = str(self.temp_dir)
        self._write_buffer = write_buffer
        self._read_chunk = read_chunk
        # Directories that exist and whose entries are durable, so that a put into one of them
        # makes no mkdir call. Filled by the puts; a directory removed underneath is noticed when
        # opening it for the rename fails, and made again.
        self._directories: set[str] = set()
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
        directory, _, name = check_key(key).rpartition("/")
        directory = f"{self._root}/{directory}" if directory else self._root
        digest = Digest(key, max_bytes)
        temp = _TempFile(self._temp, digest)
        loop = asyncio.get_running_loop()
        # The event loop only receives and counts; worker threads hash one batch and write it, at
        # the same time (two threads: on two cores neither waits for the other), while the next
        # batch arrives (at most two batches in memory). Each step runs as a future awaited through
        # shield(): if we are cancelled meanwhile, the cleanup below waits for the steps to finish
        # before closing and unlinking (never close a file a thread still writes). The first write
        # creates the temp file: an object smaller than one batch (most are) is created, written
        # and renamed in one thread hop at the end.
        hashing: asyncio.Future[Any] | None = None
        writing: asyncio.Future[Any] | None = None
        batch: list[bytes] = []
        batched = 0
        try:
            async for chunk in chunks:
                if not chunk:
                    continue
                digest.count(chunk)
                # kept until a thread has written it: a caller's reused buffer must not change
                batch.append(chunk if type(chunk) is bytes else bytes(chunk))
                batched += len(chunk)
                if batched >= self._write_buffer:
                    if writing is not None:
                        await asyncio.shield(writing)
                    if hashing is not None:
                        await asyncio.shield(hashing)
                    hashing = loop.run_in_executor(None, digest.hash_all, batch)
                    writing = loop.run_in_executor(None, temp.write, batch)
                    batch, batched = [], 0
            if writing is not None:
                await asyncio.shield(writing)
            if hashing is not None:
                await asyncio.shield(hashing)
            # last batch (hashed there too), fsync, rename: one thread hop
            writing = loop.run_in_executor(None, self._finish, temp, batch, directory, name)
            await asyncio.shield(writing)
        except BaseException:
            await self._background.run(self._discard((hashing, writing), temp))
            raise
        return digest.result()

    def _finish(self, temp: _TempFile, batch: list[bytes], directory: str, name: str) -> None:
        temp.digest.hash_all(batch)
        try:
            temp.write(batch)  # creates the file if no batch came before
            # Directories first: the file's fsync then makes their entries durable too on journaling
            # filesystems, which leaves the directory fsyncs (required by POSIX) little to do.
            created = [] if directory in self._directories else self._make_parents(directory)
            temp.commit()
            self._publish(temp, directory, name, created)
        except OSError as exc:
            raise StorageError(f"storing {directory}/{name} failed: {exc}") from exc

    def _publish(self, temp: _TempFile, directory: str, name: str, created: list[str]) -> None:
        """Rename the fsynced temp file into place, durably (runs in a worker thread)."""
        try:
            directory_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:  # a remembered directory was removed underneath
            self._directories.clear()
            created = self._make_parents(directory)
            directory_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.replace(temp.path, name, dst_dir_fd=directory_fd)
            os.fsync(directory_fd)  # makes the new directory entry survive a power loss
        finally:
            os.close(directory_fd)
        for made in created:
            _fsync_dir(os.path.dirname(made))
        # Only now, with their entries durable, may other puts skip these directories.
        if len(self._directories) >= KNOWN_DIRECTORIES:
            self._directories.clear()
        while directory != self._root and directory not in self._directories:
            self._directories.add(directory)
            directory = os.path.dirname(directory)

    def _make_parents(self, directory: str) -> list[str]:
        """mkdir -p that reports the directories whose parents need an fsync: those it created, and
        those it found but does not know yet (another put or process may have just created one and
        not fsynced its parent yet; an object renamed into it must not depend on that). Once known,
        a directory costs nothing more."""
        created = []
        current = self._root
        for part in directory[len(self._root) + 1 :].split("/") if directory != self._root else ():
            current = f"{current}/{part}"
            if current in self._directories:
                continue
            try:
                os.mkdir(current)
            except FileExistsError:
                if not os.path.isdir(current):
                    raise NotADirectoryError(f"{current} is an object, not a directory") from None
            created.append(current)
        return created

    async def _discard(self, steps: tuple[asyncio.Future[Any] | None, ...], temp: _TempFile) -> None:
        """Undo a failed put: wait for the running step, close the file, remove the temp file.

        If the commit's rename already happened the object stays: it lives under the caller's
        fresh key with no database row pointing at it, which the consistency check removes;
        deleting here could remove data that a concurrent writer of the same key just stored.
        """
        try:
            for step in steps:
                await settle(step)
            await asyncio.to_thread(temp.discard)
        except Exception:
            log.warning("could not remove the temporary file %s", temp.path, exc_info=True)

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


class _TempFile:
    """The temporary file of one put. Used from worker threads, one call at a time (the put awaits
    each call before the next), so it needs no lock; the hashing of a batch runs beside its write
    but touches only the digest.

    Written buffered up to ``DIRECT_FROM`` bytes, then with direct I/O: each batch is copied into an
    aligned buffer and its whole 4 KiB blocks are written from there, the rest (under 4 KiB) waits
    for the next batch; the last rest is written buffered before the fsync. Where the filesystem
    refuses direct I/O, the file stays buffered."""

    def __init__(self, temp_dir: str, digest: Digest):
        self.path = f"{temp_dir}/{uuid.uuid4().hex}{TEMP_SUFFIX}"
        self.digest = digest  # fed by the put, in order, alongside the writes
        self._fd: int | None = None
        self._written = 0  # bytes in the file (in direct mode: up to the aligned buffer's start)
        self._flushed = 0  # bytes already handed to the kernel's writeback
        self._buffer: mmap.mmap | None = None  # direct mode: the aligned staging buffer
        self._pending = 0  # bytes at the start of the buffer not written yet (under DIRECT_ALIGN)
        self._direct = False  # O_DIRECT is set on the file

    def _open(self) -> None:
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise StorageError(f"creating {self.path} failed: {exc}") from exc

    def write(self, batch: list[bytes]) -> None:
        if self._fd is None:
            self._open()
        assert self._fd is not None
        try:
            if self._buffer is not None:
                self._write_direct(batch)
                return
            self._write_all(batch)
            if self._written >= DIRECT_FROM and self._start_direct():
                return
        except OSError as exc:
            raise StorageError(f"writing {self.path} failed: {exc}") from exc
        if _ADVISE and self._written - self._flushed >= WRITEBACK_STEP:
            # Start writing the dirty pages to disk now (POSIX_FADV_DONTNEED starts writeback and
            # drops only pages that are already clean), so the fsync at the end has little left
            # to wait for; durability still comes from that fsync alone.
            os.posix_fadvise(self._fd, self._flushed, self._written - self._flushed, os.POSIX_FADV_DONTNEED)
            self._flushed = self._written

    def _write_all(self, batch: list[bytes]) -> None:
        assert self._fd is not None
        if len(batch) > _MAX_IOV:
            batch = [b"".join(batch)]
        pending: list[bytes | memoryview] = list(batch)
        while pending:
            done = os.writev(self._fd, pending)
            self._written += done
            while pending and done >= len(pending[0]):  # drop what went out; keep a partial rest
                done -= len(pending.pop(0))
            if done:
                pending[0] = memoryview(pending[0])[done:]

    def _start_direct(self) -> bool:
        """Switch to direct writes; False (and buffered on) where the file refuses O_DIRECT."""
        assert self._fd is not None
        if not _O_DIRECT:
            return False
        # The buffer starts at the last block boundary: the part of that block already written
        # buffered is read back (before O_DIRECT, which would refuse the unaligned read) and
        # written again with the rest of the block.
        pending = self._written % DIRECT_ALIGN
        head = os.pread(self._fd, pending, self._written - pending) if pending else b""
        try:
            fcntl.fcntl(self._fd, fcntl.F_SETFL, fcntl.fcntl(self._fd, fcntl.F_GETFL) | _O_DIRECT)
        except OSError:
            return False
        if _ADVISE and self._written > self._flushed:  # the buffered part's writeback starts now
            os.posix_fadvise(self._fd, self._flushed, self._written - self._flushed, os.POSIX_FADV_DONTNEED)
        self._direct = True
        self._buffer = mmap.mmap(-1, _aligned(2 * DEFAULT_WRITE_BUFFER))
        self._buffer[:pending] = head
        self._pending = pending
        self._written -= pending
        return True

    def _write_direct(self, batch: list[bytes]) -> None:
        assert self._fd is not None and self._buffer is not None
        end = self._pending + sum(len(chunk) for chunk in batch)
        if end > len(self._buffer):
            self._grow(end)
        buffer, position = self._buffer, self._pending
        for chunk in batch:
            buffer[position : position + len(chunk)] = chunk
            position += len(chunk)
        blocks = end - end % DIRECT_ALIGN
        with memoryview(buffer) as view:
            self._write_out(view[:blocks])
        buffer.move(0, blocks, end - blocks)
        self._pending = end - blocks

    def _write_out(self, data: memoryview) -> None:
        """Write ``data`` at ``_written``; leaves direct I/O for good if the filesystem refuses it
        there (some accept the flag but want another alignment)."""
        assert self._fd is not None
        done = 0
        while done < len(data):
            try:
                done += os.pwrite(self._fd, data[done:], self._written + done)
            except OSError as exc:
                if exc.errno != errno.EINVAL or not self._direct:
                    raise
                self._leave_direct()
        self._written += done

    def _leave_direct(self) -> None:
        assert self._fd is not None
        if self._direct:
            fcntl.fcntl(self._fd, fcntl.F_SETFL, fcntl.fcntl(self._fd, fcntl.F_GETFL) & ~_O_DIRECT)
            self._direct = False

    def _grow(self, size: int) -> None:
        assert self._buffer is not None
        bigger = mmap.mmap(-1, _aligned(size))
        bigger[: self._pending] = self._buffer[: self._pending]
        self._buffer.close()
        self._buffer = bigger

    def commit(self) -> None:
        assert self._fd is not None
        try:
            if self._buffer is not None:
                self._leave_direct()  # the rest is no whole block
                with memoryview(self._buffer) as view:
                    self._write_out(view[: self._pending])
            os.fsync(self._fd)
        finally:
            fd, self._fd = self._fd, None
            os.close(fd)
            self._release()

    def discard(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)
        self._release()
        with contextlib.suppress(FileNotFoundError):  # never created, or already renamed
            os.unlink(self.path)

    def _release(self) -> None:
        if self._buffer is not None:
            buffer, self._buffer = self._buffer, None
            try:
                buffer.close()
            except BufferError:  # a view of it is still held by a traceback: freed with that
                pass


def _aligned(size: int) -> int:
    return -(-size // DIRECT_ALIGN) * DIRECT_ALIGN


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _info(key: str, st: os.stat_result) -> ObjectInfo:
    return ObjectInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, tz=timezone.utc))
