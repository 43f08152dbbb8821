"""One contract, every backend: the same tests run against LocalStore and against S3Store on a real
S3 server (SeaweedFS, started once per session by tests/support/seaweedfs.py).

After every test the ``store`` fixture checks that no temporary data is left (temp files of the
local store, incomplete multipart uploads on S3), so each failure-path test is checked twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tracemalloc
from datetime import timedelta
from typing import AsyncIterator

import anyio
import pytest

from storage import (
    InvalidKey,
    InvalidRange,
    ObjectNotFound,
    ObjectStore,
    ObjectTooLarge,
    hash_object,
    new_key,
)
from storage.encrypted import EncryptedStore, StaticKeyring
from storage.local import LocalStore
from storage.s3 import DEFAULT_PART_SIZE, S3Store

# The session fixture `seaweedfs`, registered as a plugin so that all modules share one server.
pytest_plugins = ["tests.support.seaweedfs"]

MiB = 1024 * 1024
HTTP_CHUNK = 64 * 1024  # what a request body typically arrives in
CONTRACT_BUCKET = "storage-contract"


async def chunks_of(data: bytes, size: int = HTTP_CHUNK) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


async def leftovers(store: ObjectStore) -> list:
    """Temporary data a failed write could have left: temp files or incomplete uploads."""
    if isinstance(store, EncryptedStore):
        store = store.inner
    if isinstance(store, LocalStore):
        return sorted(path.name for path in store.temp_dir.iterdir())
    assert isinstance(store, S3Store)
    return await asyncio.to_thread(store.incomplete_uploads)


async def keys(store: ObjectStore, prefix: str = "") -> list[str]:
    return [info.key async for info in store.list(prefix)]


async def assert_absent(store: ObjectStore, key: str) -> None:
    with pytest.raises(ObjectNotFound):
        await store.stat(key)
    assert not await store.exists(key)
    assert key not in await keys(store)


@pytest.fixture(params=["local", "s3", "local-encrypted", "s3-encrypted"])
async def store(request, tmp_path) -> AsyncIterator[ObjectStore]:
    if request.param.startswith("local"):
        backend: ObjectStore = LocalStore(tmp_path / "objects")
    else:
        # Looked up lazily, so that `-k local` runs never start SeaweedFS.
        server = request.getfixturevalue("seaweedfs")
        backend = S3Store(
            server.endpoint, server.access_key, server.secret_key, CONTRACT_BUCKET, secure=False
        )
        await backend.ensure_bucket()
        assert await keys(backend) == [], "the bucket must start empty"
    store = backend
    if request.param.endswith("-encrypted"):  # the same contract through the encrypting wrapper
        store = EncryptedStore(backend, StaticKeyring({7: os.urandom(32)}))
    try:
        yield store
        await store.close()  # waits for background cleanups
        assert await leftovers(backend) == []
    finally:
        if isinstance(backend, S3Store):  # one bucket for the session: empty it for the next test
            async for info in backend.list():
                await backend.delete(info.key)
            await backend.cleanup_temp(older_than=timedelta(0))
            await backend.close()


# -- round trips ------------------------------------------------------------------------------

ROUND_TRIPS = {
    "empty": (0, HTTP_CHUNK),
    "one-byte": (1, HTTP_CHUNK),
    "one-read-chunk": (MiB, HTTP_CHUNK),
    "odd-chunks": (3 * MiB + 7, 100_003),
    "exactly-one-part": (DEFAULT_PART_SIZE, HTTP_CHUNK),
    "one-part-and-a-byte": (DEFAULT_PART_SIZE + 1, HTTP_CHUNK),
    "multipart-12MiB": (12 * MiB, HTTP_CHUNK),
    "multipart-one-big-chunk": (12 * MiB, 12 * MiB),
    # four parts: each part buffer filled twice, the chunks crossing the parts' boundaries
    "multipart-odd-chunks": (3 * DEFAULT_PART_SIZE + 7, 100_003),
}


@pytest.mark.parametrize("size,chunk", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
async def test_round_trip(store, size, chunk):
    data = os.urandom(size)
    key = new_key("rt/")
    stored = await store.put(key, chunks_of(data, chunk))
    assert (stored.key, stored.size) == (key, size)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()

    info = await store.stat(key)
    assert (info.key, info.size) == (key, size)
    assert info.modified is not None and info.modified.tzinfo is not None
    assert await store.exists(key)
    assert await keys(store) == [key]

    async with await store.open(key) as stream:
        assert (stream.length, stream.object_size) == (size, size)
        received = [chunk async for chunk in stream]
    assert b"".join(received) == data
    assert all(0 < len(piece) <= stream.chunk_size for piece in received)
    assert await hash_object(store, key) == stored

    if isinstance(store, S3Store):
        # The multipart path really ran for objects over one part (ETag "<md5>-<parts>").
        etag = (await asyncio.to_thread(store.client.stat_object, store.bucket, key)).etag
        assert ("-" in etag) == (size > DEFAULT_PART_SIZE), etag


async def test_put_replaces_an_existing_object(store):
    key = new_key()
    await store.put(key, chunks_of(b"first version"))
    stored = await store.put(key, chunks_of(b"second"))
    assert stored.size == 6
    assert await (await store.open(key)).read_all() == b"second"
    assert await keys(store) == [key]


# -- ranges -----------------------------------------------------------------------------------

RANGE_SIZE = 3 * MiB + 5


@pytest.fixture
async def ranged(store):
    data = os.urandom(RANGE_SIZE)
    key = new_key()
    await store.put(key, chunks_of(data, MiB))
    return store, key, data


@pytest.mark.parametrize(
    "start,end",
    [
        (0, None),
        (1000, None),  # start only
        (10, 2 * MiB + 3),  # start and end, across read chunks
        (RANGE_SIZE - 1, RANGE_SIZE),  # the last byte
        (RANGE_SIZE - 1, None),
        (0, 1),  # the first byte
        (5, 5),  # empty range inside the object
        (RANGE_SIZE, None),  # start at the end: empty
        (100, RANGE_SIZE + 10_000),  # end beyond the object: clamped
    ],
)
async def test_range(ranged, start, end):
    store, key, data = ranged
    async with await store.open(key, start, end) as stream:
        expected = data[start:end]
        assert stream.length == len(expected)
        assert stream.object_size == RANGE_SIZE
        assert await stream.read_all() == expected


@pytest.mark.parametrize("start,end", [(RANGE_SIZE + 1, None), (-1, None), (10, 9), (-5, -1)])
async def test_invalid_range(ranged, start, end):
    store, key, _ = ranged
    with pytest.raises(InvalidRange):
        await store.open(key, start, end)


async def test_ranges_of_an_empty_object(store):
    key = new_key()
    await store.put(key, chunks_of(b""))
    assert await (await store.open(key, 0, 10)).read_all() == b""
    with pytest.raises(InvalidRange):
        await store.open(key, 1)


async def test_closing_a_stream_early_releases_it(store):
    key = new_key()
    data = os.urandom(3 * MiB)
    await store.put(key, chunks_of(data, MiB))
    for _ in range(3):  # more than once: the connection or file must have been handed back
        stream = await store.open(key)
        first = await stream.__anext__()
        assert first == data[: len(first)]
        await stream.aclose()
        assert [chunk async for chunk in stream] == []
    async with await store.open(key, MiB) as stream:
        await stream.__anext__()
    assert await (await store.open(key)).read_all() == data


# -- missing keys and deletion ----------------------------------------------------------------


async def test_missing_key(store):
    key = new_key()
    with pytest.raises(ObjectNotFound):
        await store.open(key)
    with pytest.raises(ObjectNotFound):
        await store.open(key, 1, 2)
    with pytest.raises(ObjectNotFound) as raised:
        await store.stat(key)
    assert raised.value.key == key
    assert not await store.exists(key)


async def test_delete_is_idempotent(store):
    key, other = new_key(), new_key()
    await store.put(key, chunks_of(b"bye"))
    await store.put(other, chunks_of(b"stays"))
    await store.delete(key)
    await assert_absent(store, key)
    await store.delete(key)
    await store.delete(new_key())  # never existed
    assert await keys(store) == [other]


# -- listing ----------------------------------------------------------------------------------

LISTED = ["p/a/1", "p/a/2", "p/ab", "p/b/1", "p-x", "q/1", "q0"]


async def sorted_keys(store: ObjectStore, prefix: str = "") -> list[str]:
    return sorted(await keys(store, prefix))


async def test_list_with_prefix(store):
    for key in reversed(LISTED):
        await store.put(key, chunks_of(key.encode()))
    everything = {info.key: info.size async for info in store.list()}
    assert everything == {key: len(key) for key in LISTED}
    stored = {info.key: info async for info in store.list_stored("p/")}  # sizes as stored: a wrapper adds
    assert sorted(stored) == await sorted_keys(store, "p/")
    assert all(info.size >= len(key) and info.modified is not None for key, info in stored.items())
    assert await sorted_keys(store, "p/a") == ["p/a/1", "p/a/2", "p/ab"]  # a plain string prefix
    assert await sorted_keys(store, "p/a/") == ["p/a/1", "p/a/2"]
    assert await sorted_keys(store, "p/") == ["p/a/1", "p/a/2", "p/ab", "p/b/1"]
    assert await sorted_keys(store, "p") == ["p-x", "p/a/1", "p/a/2", "p/ab", "p/b/1"]
    assert await sorted_keys(store, "q/1") == ["q/1"]
    assert await keys(store, "nothing/") == []
    with pytest.raises(InvalidKey):
        await keys(store, "../")


async def test_new_keys_are_listed_in_key_order(store):
    """Keys of one ``new_key(prefix)`` family come back sorted from every backend.

    In general the order is the backend's: S3 proper and the local store list in key order,
    SeaweedFS walks its directories depth-first ("p/a/1" before "p-x"). For new_key()'s fixed-width
    segments both orders agree, which a consistency check can rely on for merging with a sorted
    database query.
    """
    created = [new_key("files/") for _ in range(40)]
    for key in created:
        await store.put(key, chunks_of(b"."))
    assert await keys(store, "files/") == sorted(created)


# -- failures leave nothing behind ------------------------------------------------------------


@pytest.mark.parametrize("size", [100, 12 * MiB], ids=["small", "multipart"])
async def test_max_bytes_exceeded(store, size):
    consumed = 0

    async def source():
        nonlocal consumed
        for offset in range(0, size, HTTP_CHUNK):
            consumed += min(HTTP_CHUNK, size - offset)
            yield b"x" * min(HTTP_CHUNK, size - offset)

    key = new_key()
    with pytest.raises(ObjectTooLarge) as raised:
        await store.put(key, source(), max_bytes=size - 1)
    assert raised.value.max_bytes == size - 1
    assert consumed == size  # it stopped at the chunk that crossed the limit
    await assert_absent(store, key)
    assert await leftovers(store) == []

    stored = await store.put(key, source(), max_bytes=size)  # the limit itself is allowed
    assert stored.size == size


class SourceFailed(Exception):
    pass


@pytest.mark.parametrize("fail_after", [0, 100, 10 * MiB], ids=["at-once", "small", "multipart"])
async def test_failing_source_leaves_nothing(store, fail_after):
    async def source():
        for _ in range(fail_after // HTTP_CHUNK):
            yield os.urandom(HTTP_CHUNK)
        yield b"y" * (fail_after % HTTP_CHUNK)
        raise SourceFailed("client went away")

    key = new_key()
    with pytest.raises(SourceFailed):  # the source's own error, unwrapped
        await store.put(key, source())
    await assert_absent(store, key)
    assert await leftovers(store) == []


@pytest.mark.parametrize("cancel_after", [100, 10 * MiB], ids=["small", "multipart"])
async def test_cancelled_put_leaves_nothing(store, cancel_after):
    produced = 0
    reached = asyncio.Event()

    async def source():
        nonlocal produced
        while True:
            yield b"z" * HTTP_CHUNK
            produced += HTTP_CHUNK
            if produced >= cancel_after:
                reached.set()
                await asyncio.sleep(3600)  # a stalled client

    key = new_key()
    task = asyncio.create_task(store.put(key, source()))
    await asyncio.wait_for(reached.wait(), 30)
    await asyncio.sleep(0)  # a part upload is under way now (multipart case)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await store.close()  # cleanups that outlived the cancelled task are finished now
    await assert_absent(store, key)
    assert await leftovers(store) == []


@pytest.mark.parametrize("stall_after", [100, 10 * MiB], ids=["small", "multipart"])
async def test_put_cancelled_by_an_anyio_scope_leaves_nothing(store, stall_after):
    """Starlette runs handlers in anyio cancel scopes, which re-cancel at every await: the
    cleanup cannot be awaited to its end there, so it finishes in the background."""

    async def source():
        for _ in range(stall_after // HTTP_CHUNK + 1):
            yield b"s" * HTTP_CHUNK
        await asyncio.sleep(3600)

    key = new_key()
    with anyio.move_on_after(0.5) as scope:
        await store.put(key, source())
    assert scope.cancelled_caught
    await store.close()
    await assert_absent(store, key)
    assert await leftovers(store) == []


# -- keys -------------------------------------------------------------------------------------

BAD_KEYS = [
    "",
    "/abs",
    "a//b",
    "trailing/",
    "../x",
    "a/../b",
    "a/./b",
    ".hidden",
    ".tmp/x",
    "a/.tmp",
    "sp ace",
    "ümlaut",
    "back\\slash",
    "nul\x00",
    "new\nline",
    "x" * 1025,
    "a/" + "b" * 256,
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_invalid_keys_are_refused(store, key):
    with pytest.raises(InvalidKey):
        await store.put(key, chunks_of(b"data"))
    for call in (store.open, store.stat, store.delete, store.exists):
        with pytest.raises(InvalidKey):
            await call(key)
    assert await keys(store) == []


async def test_unusual_but_valid_keys(store):
    valid = ["a", "A-Z_0.9/x.y.z", "-dash", "_/_", "x" * 255, "/".join(["k"] * 300)]
    for key in valid:
        await store.put(key, chunks_of(key.encode()))
    assert await sorted_keys(store) == sorted(valid)
    for key in valid:
        assert await (await store.open(key)).read_all() == key.encode()


# -- concurrency and memory -------------------------------------------------------------------


async def test_concurrent_puts_of_different_keys(store):
    sizes = [0, 1, 1000, MiB, 3 * MiB + 1, DEFAULT_PART_SIZE + 5, 10 * MiB]
    blobs = {new_key("c/"): os.urandom(size) for size in sizes}
    results = await asyncio.gather(
        *(store.put(key, chunks_of(data)) for key, data in blobs.items())
    )
    for stored, (key, data) in zip(results, blobs.items()):
        assert (stored.key, stored.size) == (key, len(data))
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert await keys(store, "c/") == sorted(blobs)
    contents = await asyncio.gather(*(_read(store, key) for key in blobs))
    assert contents == list(blobs.values())


async def _read(store: ObjectStore, key: str) -> bytes:
    async with await store.open(key) as stream:
        return await stream.read_all()


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


async def test_streaming_64_mib_keeps_memory_bounded(store):
    """64 MiB through put and open: Python allocations and RSS stay within ~30 MiB."""
    size, limit = 64 * MiB, 30 * MiB
    block = os.urandom(MiB)
    expected = hashlib.sha256()
    for _ in range(size // MiB):
        expected.update(block)

    async def source():
        for _ in range(size // MiB):
            for offset in range(0, MiB, HTTP_CHUNK):
                yield block[offset : offset + HTTP_CHUNK]  # a fresh 64 KiB bytes each time

    key = new_key()
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    rss_before = _rss_kib("VmRSS") * 1024
    peak_rss_known = _reset_peak_rss()
    try:
        stored = await store.put(key, source())
        digest = hashlib.sha256()
        async with await store.open(key) as stream:
            async for chunk in stream:
                digest.update(chunk)
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        if not tracing:
            tracemalloc.stop()
    rss_growth = _rss_kib("VmHWM") * 1024 - rss_before if peak_rss_known else 0

    assert stored.size == size and stored.sha256 == expected.hexdigest()
    assert digest.hexdigest() == expected.hexdigest()
    assert python_peak < limit, f"Python allocations peaked at {python_peak / MiB:.1f} MiB"
    assert rss_growth < limit, f"RSS grew by {rss_growth / MiB:.1f} MiB"
