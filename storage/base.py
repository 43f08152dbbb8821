"""The object-store contract shared by every backend.

An object store keeps immutable blobs under caller-chosen keys (see ``storage.keys``). Everything
streams: ``put`` consumes an async iterator of chunks and ``open`` yields chunks, so memory stays
bounded by a few chunk or part sizes whatever the object size.

Failure rule (design.md, "Data that must not be lost"): a ``put`` that does not return leaves
nothing behind under the key nor any half-written temporary data, whether the source iterator
raised, the size limit was hit, the backend failed or the calling task was cancelled. Cleanup that
needs I/O runs in a task of its own, so a cancelled caller cannot interrupt it half-way; ``close()``
waits for such cleanups. One exception: a cancellation that arrives while the final step (rename,
single PUT, multipart completion) is already under way lets that step finish, and the complete
object stays under the caller's fresh key without a database row, for the consistency check to
remove. Deleting it instead could remove bytes a concurrent writer of the same key just stored.

Ranges follow Python slices: ``open(key, start, end)`` yields bytes ``start`` (inclusive) to
``end`` (exclusive); ``end=None`` means "to the end"; an ``end`` past the object's size is clamped to
the size; ``start == size`` gives an empty stream; ``start > size``, a negative ``start`` or
``end < start`` raise ``InvalidRange``.
"""

from __future__ import annotations

import abc
import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, AsyncIterator, Coroutine

log = logging.getLogger(__name__)

#: Chunk size of ``open()`` streams: big enough to keep thread hand-offs rare, small enough to be
#: irrelevant for memory.
DEFAULT_READ_CHUNK = 1024 * 1024


class StorageError(Exception):
    """Any failure of the object store (backend unreachable, I/O error, refused request...)."""


class ObjectNotFound(StorageError):
    """No object under this key."""

    def __init__(self, key: str):
        super().__init__(f"no object under key {key!r}")
        self.key = key


class ObjectTooLarge(StorageError):
    """``put`` received more than ``max_bytes``; nothing was stored."""

    def __init__(self, key: str, max_bytes: int):
        super().__init__(f"object {key!r} exceeds the limit of {max_bytes} bytes")
        self.key = key
        self.max_bytes = max_bytes


class InvalidKey(StorageError, ValueError):
    """The key is not a safe object key (see ``storage.keys.check_key``)."""


class InvalidRange(StorageError, ValueError):
    """The requested byte range does not fit the object (see the module docstring)."""


@dataclass(frozen=True)
class StoredObject:
    """What ``put`` wrote: the caller records these in its database row."""

    key: str
    size: int
    sha256: str  # hex digest of the whole object, computed while streaming


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime | None = None  # timezone-aware UTC where the backend reports it


def resolve_range(start: int, end: int | None, size: int) -> tuple[int, int]:
    """Turn ``(start, end)`` into concrete ``[start, end)`` offsets for an object of ``size`` bytes."""
    if start < 0 or start > size or (end is not None and end < start):
        raise InvalidRange(f"invalid range start={start} end={end} for an object of {size} bytes")
    return start, size if end is None else min(end, size)


class Digest:
    """Counts, hashes and limits the bytes of one ``put`` as they stream past."""

    def __init__(self, key: str, max_bytes: int | None):
        if max_bytes is not None and max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        self.key = key
        self.max_bytes = max_bytes
        self.size = 0
        self._sha256 = hashlib.sha256()

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        """Account for ``chunk`` and hash it; raises ``ObjectTooLarge`` before the chunk is stored."""
        self.count(chunk)
        self.hash(chunk)

    def count(self, chunk: bytes | bytearray | memoryview) -> None:
        """Only the size and the limit; ``hash`` must then see the same chunks in the same order."""
        size = self.size + len(chunk)
        if self.max_bytes is not None and size > self.max_bytes:
            raise ObjectTooLarge(self.key, self.max_bytes)
        self.size = size

    def hash(self, chunk: bytes | bytearray | memoryview) -> None:
        # hashlib releases the GIL for buffers over 2 KiB, so a worker thread can hash while the
        # event loop receives the next chunks.
        self._sha256.update(chunk)

    def hash_all(self, chunks: list[bytes]) -> None:
        """``hash`` for each chunk in turn (a batch, in a worker thread)."""
        update = self._sha256.update
        for chunk in chunks:
            update(chunk)

    def result(self) -> StoredObject:
        return StoredObject(self.key, self.size, self._sha256.hexdigest())


class Background:
    """Cleanup tasks that must run to completion even when the task that started them is cancelled.

    ``run`` starts the coroutine as a task of its own and waits for it through ``asyncio.shield``:
    a cancellation of the caller (a client that went away mid-upload, an anyio cancel scope) then
    stops the waiting, not the cleanup. The store's ``close()`` waits for what is still running.
    Cleanup coroutines log their own failures: they run on error paths, where the original error
    is the one to report.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    async def run(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await asyncio.shield(task)

    async def wait(self) -> None:
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


async def settle(future: asyncio.Future[Any] | None) -> None:
    """Wait until an in-flight operation has finished, ignoring its outcome (used by cleanups)."""
    if future is not None:
        await asyncio.wait([future])
        if not future.cancelled():
            future.exception()  # mark as retrieved; the error that matters is reported elsewhere


class ObjectStream:
    """The bytes ``[start, end)`` of one object as an async iterator of chunks.

    Obtained from ``await store.open(...)``, which has already checked that the object exists and
    the range fits, so a web handler can pick its status code before sending anything. Use it as
    ``async with await store.open(key) as stream: async for chunk in stream: ...``; it also closes
    itself once fully read. Backends implement ``_read`` and ``_close``.
    """

    def __init__(
        self,
        key: str,
        start: int,
        end: int,
        object_size: int,
        background: Background,
        chunk_size: int = DEFAULT_READ_CHUNK,
    ):
        self.key = key
        self.start = start
        self.end = end
        self.object_size = object_size
        self.chunk_size = chunk_size
        self._remaining = end - start
        self._background = background
        self._inflight: asyncio.Future[bytes] | None = None
        self._closed = False

    @property
    def length(self) -> int:
        """How many bytes this stream yields in total."""
        return self.end - self.start

    async def _read(self, size: int) -> bytes:
        """Return up to ``size`` (> 0) bytes; fewer only at the end of the data."""
        raise NotImplementedError

    async def _close(self) -> None:
        raise NotImplementedError

    def __aiter__(self) -> ObjectStream:
        return self

    async def __anext__(self) -> bytes:
        if self._closed:
            raise StopAsyncIteration
        if self._remaining == 0:
            await self.aclose()
            raise StopAsyncIteration
        # Shielded, so that a cancelled reader does not abandon a read still running in a worker
        # thread; aclose() waits for it before closing the file or connection underneath.
        if self._inflight is None:
            self._inflight = asyncio.ensure_future(self._read(min(self.chunk_size, self._remaining)))
        chunk = await asyncio.shield(self._inflight)
        self._inflight = None
        if not chunk:
            await self.aclose()
            raise StorageError(f"object {self.key!r} ended {self._remaining} bytes early")
        self._remaining -= len(chunk)
        if self._remaining:
            # Read ahead one chunk while the caller sends this one: the disk or S3 and the client
            # then work at the same time, and memory stays bounded at two chunks.
            self._inflight = asyncio.ensure_future(self._read(min(self.chunk_size, self._remaining)))
        return chunk

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._background.run(self._close_after(self._inflight))

    async def _close_after(self, inflight: asyncio.Future[bytes] | None) -> None:
        await settle(inflight)
        try:
            await self._close()
        except Exception:
            log.warning("closing the stream of %r failed", self.key, exc_info=True)

    async def __aenter__(self) -> ObjectStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def read_all(self) -> bytes:
        """All remaining bytes at once: only for small objects (and tests)."""
        return b"".join([chunk async for chunk in self])


class ObjectStore(abc.ABC):
    """One interface, several backends (``LocalStore``, ``S3Store``). Keys: ``storage.keys``."""

    def __init__(self) -> None:
        self._background = Background()

    @abc.abstractmethod
    async def put(
        self, key: str, chunks: AsyncIterator[bytes], *, max_bytes: int | None = None
    ) -> StoredObject:
        """Store the bytes of ``chunks`` under ``key`` (replacing an existing object).

        Streams with bounded memory and computes size and sha256 on the way. Raises
        ``ObjectTooLarge`` as soon as more than ``max_bytes`` arrive. On any failure nothing is
        left behind (see the module docstring).
        """

    @abc.abstractmethod
    async def open(self, key: str, start: int = 0, end: int | None = None) -> ObjectStream:
        """Start reading ``[start, end)`` of the object; raises ``ObjectNotFound``/``InvalidRange``."""

    @abc.abstractmethod
    async def stat(self, key: str) -> ObjectInfo:
        """Size and modification time; raises ``ObjectNotFound``."""

    async def exists(self, key: str) -> bool:
        try:
            await self.stat(key)
        except ObjectNotFound:
            return False
        return True

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""

    @abc.abstractmethod
    def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        """Every object whose key starts with ``prefix`` (a plain string prefix).

        Meant for consistency checks (objects without a database row and the reverse), so it
        never shows temporary or incomplete data. Order: the local store and S3 proper list in
        key order; SeaweedFS walks its directories depth-first ("p/a/1" before "p-x"). Both agree
        for keys made by ``new_key`` under one prefix (fixed-width segments).
        """

    def list_stored(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        """Like ``list``, but each size is that of the bytes as stored, which a wrapper (encryption)
        may make larger than the content: for callers that need only keys and times (fsck), since it
        saves the wrapper a look into every object."""
        return self.list(prefix)

    @abc.abstractmethod
    async def cleanup_temp(self, older_than: timedelta) -> int:
        """Remove leftovers of interrupted writes older than ``older_than``; return how many.

        Leftovers exist only after a crash (kill -9, power loss), because a failing ``put`` cleans
        up after itself. Choose ``older_than`` well above the longest upload you expect: younger
        leftovers may belong to a ``put`` still running.
        """

    async def close(self) -> None:
        """Wait for pending cleanups and release connections. The store is unusable afterwards."""
        await self._background.wait()

    async def __aenter__(self) -> ObjectStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def hash_object(store: ObjectStore, key: str) -> StoredObject:
    """Read an object back and compute its size and sha256 (for consistency checks)."""
    digest = Digest(key, None)
    async with await store.open(key) as stream:
        async for chunk in stream:
            digest.feed(chunk)
    return digest.result()
