"""What only the S3 store has: bucket set-up, aborting stale multipart uploads, error mapping and
the part-size schedule. Runs against the session's SeaweedFS (tests/support/seaweedfs.py)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from storage import ObjectNotFound, StorageError, new_key
from storage.s3 import DEFAULT_PART_SIZE, MIN_PART_SIZE, S3Store, part_size_for
# The session fixture `seaweedfs`, registered as a plugin so that all modules share one server.
pytest_plugins = ["tests.support.seaweedfs"]


async def one(data: bytes):
    yield data


def make_store(server, bucket: str, **options) -> S3Store:
    return S3Store(server.endpoint, server.access_key, server.secret_key, bucket, **options)


async def test_ensure_bucket_creates_it_once(seaweedfs):
    async with make_store(seaweedfs, "s3-ensure-bucket", secure=False) as store:
        assert not await asyncio.to_thread(store.client.bucket_exists, store.bucket)
        await store.ensure_bucket()
        await store.ensure_bucket()  # idempotent
        assert await asyncio.to_thread(store.client.bucket_exists, store.bucket)


async def test_endpoint_as_url_decides_the_scheme(seaweedfs):
    # secure defaults to True; the http:// URL overrides it (how settings usually spell it).
    store = S3Store(f"http://{seaweedfs.endpoint}", seaweedfs.access_key, seaweedfs.secret_key,
                    "s3-url-endpoint")
    async with store:
        await store.ensure_bucket()
        stored = await store.put("k", one(b"over plain http"))
        assert (await store.stat("k")).size == stored.size
    with pytest.raises(ValueError):
        S3Store("ftp://example.org", "a", "b", "bucket")
    with pytest.raises(ValueError):
        S3Store("http://example.org/some/path", "a", "b", "bucket")


async def test_cleanup_temp_aborts_stale_multipart_uploads(seaweedfs):
    """What a crashed process leaves on S3: a started multipart upload with parts."""
    async with make_store(seaweedfs, "s3-cleanup", secure=False) as store:
        await store.ensure_bucket()
        client, key = store.client, new_key()

        def orphan() -> str:
            upload_id = client._create_multipart_upload(store.bucket, key, {})
            client._upload_part(store.bucket, key, os.urandom(MIN_PART_SIZE), None, upload_id, 1)
            return upload_id

        upload_id = await asyncio.to_thread(orphan)
        assert await asyncio.to_thread(store.incomplete_uploads) == [(key, upload_id)]
        assert await store.cleanup_temp(older_than=timedelta(hours=1)) == 0  # may be running
        assert await store.cleanup_temp(older_than=timedelta(0)) == 1
        assert await asyncio.to_thread(store.incomplete_uploads) == []
        assert not await store.exists(key)


class SlowParts:
    """Wraps the SDK's part upload of one store (the S3 server's side stays real): each part takes
    ``delay`` seconds longer; records how many run at once and which buffers they send from, and
    fails part ``fail`` if given."""

    def __init__(self, store: S3Store, delay: float, fail: int | None = None):
        self.upload_part = store.client._upload_part
        self.delay, self.fail = delay, fail
        self.running = self.most = 0
        self.buffers: set[int] = set()
        self.lock = threading.Lock()
        store.client._upload_part = self  # type: ignore[method-assign]

    def __call__(self, bucket, key, data, headers, upload_id, number):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.buffers.add(id(data.obj))
        try:
            time.sleep(self.delay)
            if number == self.fail:
                raise OSError("connection reset while sending the part")
            return self.upload_part(bucket, key, data, headers, upload_id, number)
        finally:
            with self.lock:
                self.running -= 1


async def test_two_parts_upload_at_once_from_two_buffers(seaweedfs):
    """The S3 server works on two parts at the same time (a slow part upload does not hold up the
    next one), and a put still keeps only two part buffers, whatever the number of parts."""
    data = os.urandom(5 * MIN_PART_SIZE + 3)
    async with make_store(seaweedfs, "s3-two-in-flight", secure=False) as store:
        await store.ensure_bucket()
        slow = SlowParts(store, delay=0.3)
        stored = await store.put("k", chunks(data, 64 * 1024))
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        assert await (await store.open("k")).read_all() == data
        assert slow.most == 2
        assert len(slow.buffers) == 2


@pytest.mark.parametrize("fail", [1, 2, 5])
async def test_a_failed_part_aborts_the_upload_with_the_other_part_in_flight(seaweedfs, fail):
    data = os.urandom(5 * MIN_PART_SIZE)
    async with make_store(seaweedfs, f"s3-failed-part-{fail}", secure=False) as store:
        await store.ensure_bucket()
        SlowParts(store, delay=0.2, fail=fail)
        with pytest.raises(StorageError, match="connection reset"):
            await store.put("k", chunks(data, 64 * 1024))
        await store.close()  # waits for the abort
        assert await asyncio.to_thread(store.incomplete_uploads) == []
        assert not await store.exists("k")


async def chunks(data: bytes, size: int):
    for offset in range(0, len(data), size):
        yield data[offset:offset + size]


async def test_wrong_credentials_are_a_storage_error_not_a_missing_object(seaweedfs):
    async with make_store(seaweedfs, "s3-contract-auth", secure=False) as good:
        await good.ensure_bucket()
        await good.put("there", one(b"x"))
    bad = S3Store(seaweedfs.endpoint, seaweedfs.access_key, "wrong-secret", "s3-contract-auth",
                  secure=False)
    async with bad:
        for call in (bad.stat, bad.open, bad.delete):
            with pytest.raises(StorageError) as raised:
                await call("there")
            assert not isinstance(raised.value, ObjectNotFound)
        with pytest.raises(StorageError):
            await bad.put(new_key(), one(b"x"))
        with pytest.raises(StorageError):
            [info async for info in bad.list()]


async def test_missing_bucket_is_a_storage_error(seaweedfs):
    async with make_store(seaweedfs, "s3-never-created", secure=False) as store:
        with pytest.raises(StorageError):
            await store.put(new_key(), one(b"x"))
        with pytest.raises(StorageError):
            [info async for info in store.list()]


def test_minio_admin_crypto_loads_only_when_used():
    """Importing the store leaves out pycryptodome (and cffi, pycparser), which minio imports for its
    admin API's crypto; that API's encrypt and decrypt still work, loading it then."""
    script = """if True:
        import io, sys
        import storage.s3
        print(sorted(name for name in ("Crypto", "cffi", "pycparser") if name in sys.modules))
        from minio.minioadmin import decrypt, encrypt

        class Response(io.BytesIO):
            def release_conn(self):
                pass

        print(decrypt(Response(encrypt(b"secret data", "password")), "password"), "Crypto" in sys.modules)
    """
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split("\n")[:2] == ["[]", "b'secret data' True"]


def test_part_sizes():
    assert part_size_for(1, DEFAULT_PART_SIZE) == DEFAULT_PART_SIZE
    assert part_size_for(1000, DEFAULT_PART_SIZE) == DEFAULT_PART_SIZE
    assert part_size_for(1001, DEFAULT_PART_SIZE) == 2 * DEFAULT_PART_SIZE
    # 10 000 parts reach far beyond any school's file (S3's own limit is 5 TiB per object).
    total = sum(part_size_for(n, DEFAULT_PART_SIZE) for n in range(1, 10_001))
    assert total > 4.5 * 1024**4
    with pytest.raises(ValueError):
        S3Store("127.0.0.1:1", "a", "b", "bucket", part_size=MIN_PART_SIZE - 1)


class CountedRequests:
    """The store's HTTP requests to S3, by method, counted at its urllib3 pool (the SDK's transport)."""

    def __init__(self, store: S3Store):
        self.methods: list[str] = []
        pool, urlopen = store._http, store._http.urlopen

        def counting(method, url, *args, **kwargs):
            self.methods.append(method)
            return urlopen(method, url, *args, **kwargs)

        pool.urlopen = counting


async def test_a_range_is_one_request(seaweedfs):
    """A download names its file's size as the end of the range: one GET, no stat before it."""
    async with make_store(seaweedfs, "s3-one-request", secure=False) as store:
        await store.ensure_bucket()
        data = os.urandom(20_000)
        await store.put("k", one(data))
        requests = CountedRequests(store)
        for start, end, expected in ((0, len(data), data), (10, 500, data[10:500]),
                                     (19_000, 30_000, data[19_000:])):
            requests.methods.clear()
            async with await store.open("k", start, end) as stream:
                assert (stream.length, stream.object_size) == (len(expected), len(data))
                assert await stream.read_all() == expected
            assert requests.methods == ["GET"], (start, end)


async def test_a_small_object_is_one_put_without_a_part_buffer(seaweedfs, monkeypatch):
    """An object up to one part goes up from the chunks as they came: one PUT and no part buffer (an
    anonymous map of 5 MiB, mapped and unmapped per upload, cost more than the rest of a small put)."""
    import mmap

    maps = []

    class CountedMap(mmap.mmap):
        def __new__(cls, *args, **kwargs):
            maps.append(args)
            return super().__new__(cls, *args, **kwargs)

    monkeypatch.setattr(mmap, "mmap", CountedMap)
    async with make_store(seaweedfs, "s3-small-put", secure=False) as store:
        await store.ensure_bucket()
        requests = CountedRequests(store)

        async def pieces(*parts: bytes):
            for part in parts:
                yield part

        for parts in ((b"x" * 16384,), (b"a" * 1000, bytearray(b"b" * 3000), b"c"), ()):
            requests.methods.clear()
            stored = await store.put("k", pieces(*parts))
            assert stored.size == sum(map(len, parts))
            assert await (await store.open("k")).read_all() == b"".join(parts)
            assert requests.methods[0] == "PUT" and len(requests.methods) == 2  # the PUT, the GET
        assert maps == []
        # past one part, the part buffers are used as before
        await store.put("big", pieces(os.urandom(DEFAULT_PART_SIZE), b"!"))
        assert len(maps) == 2


async def test_a_single_put_is_signed_with_the_hash_put_computed(seaweedfs, monkeypatch):
    """The SDK hashes every body it sends (SHA-256 over http, MD5 over https); a single PUT gives it the
    SHA-256 that ``put`` computed while the bytes came, so the body is hashed once (the signature covers
    that hash; AWS and MinIO check the body against it, SeaweedFS does not)."""
    import hashlib

    import minio.api

    hashed = []
    for name in ("sha256_hash", "md5sum_hash"):
        original = getattr(minio.api, name)
        monkeypatch.setattr(minio.api, name, lambda data, original=original: hashed.append(data) or original(data))
    async with make_store(seaweedfs, "s3-hash-once", secure=False) as store:
        await store.ensure_bucket()
        data = os.urandom(16384)
        stored = await store.put("k", one(data))
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        assert [piece for piece in hashed if piece] == []
        assert await (await store.open("k")).read_all() == data


async def test_parts_are_signed_with_their_hash_not_hashed_by_the_sdk(seaweedfs, monkeypatch):
    """Each part goes up with the SHA-256 we computed for it (signed; S3 and MinIO check the part against
    it): the SDK hashes no part itself, which over https meant MD5 for Content-MD5, twice as slow."""
    import minio.api

    hashed = []
    for name in ("sha256_hash", "md5sum_hash"):
        original = getattr(minio.api, name)
        monkeypatch.setattr(minio.api, name, lambda data, original=original: hashed.append(data) or original(data))
    data = os.urandom(2 * MIN_PART_SIZE + 5)
    async with make_store(seaweedfs, "s3-parts-hashed-once", secure=False) as store:
        await store.ensure_bucket()
        stored = await store.put("k", chunks(data, 64 * 1024))
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        # what the SDK still hashes: the small XML body of the completion
        assert [len(piece) for piece in hashed if piece and len(piece) > 64 * 1024] == []
        assert await (await store.open("k")).read_all() == data


async def test_a_large_put_holds_at_most_one_mib_of_its_chunks(seaweedfs):
    """Past HELD_BYTES the chunks go into the part buffers (anonymous maps) as they come: a large put
    keeps no part's worth of them, which the C heap would keep after they are freed."""
    import tracemalloc

    from storage.s3 import HELD_BYTES

    block = os.urandom(3 * MIN_PART_SIZE)
    async with make_store(seaweedfs, "s3-held-chunks", secure=False) as store:
        await store.ensure_bucket()

        async def source():
            for offset in range(0, len(block), 64 * 1024):
                yield block[offset:offset + 64 * 1024]  # a fresh bytes object each time

        tracing = tracemalloc.is_tracing()
        if not tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        try:
            stored = await store.put("k", source())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            if not tracing:
                tracemalloc.stop()
        assert stored.sha256 == hashlib.sha256(block).hexdigest()
        assert peak - before < HELD_BYTES + 512 * 1024
