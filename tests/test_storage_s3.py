"""What only the S3 store has: bucket set-up, aborting stale multipart uploads, error mapping and
the part-size schedule. Runs against the session's SeaweedFS (tests/support/seaweedfs.py)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import ssl
import subprocess
import sys
import threading
import time
import tracemalloc
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
    """The store's HTTP requests to S3, by method, counted at its two transports: the SDK's urllib3 pool
    (also in ``sdk``) and the event loop's pool of storage.s3_transport."""

    def __init__(self, store: S3Store):
        self.methods: list[str] = []
        self.sdk: list[str] = []
        pool, urlopen = store._http, store._http.urlopen

        def counting(method, url, *args, **kwargs):
            self.methods.append(method)
            self.sdk.append(method)
            return urlopen(method, url, *args, **kwargs)

        async def counting_on_the_loop(method, *args):
            self.methods.append(method)
            return await request(method, *args)

        pool.urlopen = counting
        if hasattr(store, "_pool"):  # (absent before the event loop's transport: to check the tests)
            request = store._pool.request
            store._pool.request = counting_on_the_loop

    def clear(self) -> None:
        self.methods.clear()
        self.sdk.clear()


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


class TracedPeak:
    """How far the Python memory in use rose at most within the block (tracemalloc)."""

    def __enter__(self):
        self.tracing = tracemalloc.is_tracing()
        if not self.tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self.before, _ = tracemalloc.get_traced_memory()
        return self

    def __exit__(self, *exc_info):
        _, peak = tracemalloc.get_traced_memory()
        self.rise = peak - self.before
        if not self.tracing:
            tracemalloc.stop()


async def test_a_large_put_holds_at_most_one_mib_of_its_chunks(seaweedfs):
    """Past HELD_BYTES the chunks go into the part buffers (anonymous maps) as they come: a large put
    keeps no part's worth of them, which the C heap would keep after they are freed."""
    from storage.s3 import HELD_BYTES

    block = os.urandom(3 * MIN_PART_SIZE)
    async with make_store(seaweedfs, "s3-held-chunks", secure=False) as store:
        await store.ensure_bucket()

        async def source():
            for offset in range(0, len(block), 64 * 1024):
                yield block[offset:offset + 64 * 1024]  # a fresh bytes object each time

        with TracedPeak() as memory:
            stored = await store.put("k", source())
        assert stored.sha256 == hashlib.sha256(block).hexdigest()
        assert memory.rise < HELD_BYTES + 512 * 1024


class CountedThreads:
    """Calls the event loop hands to worker threads (``asyncio.to_thread`` and the like), counted at its
    ``run_in_executor`` for the test's duration."""

    def __init__(self, monkeypatch):
        self.calls = 0
        loop = asyncio.get_running_loop()
        run_in_executor = loop.run_in_executor

        def counting(executor, fn, *args):
            self.calls += 1
            return run_in_executor(executor, fn, *args)

        monkeypatch.setattr(loop, "run_in_executor", counting)


async def test_a_single_put_goes_on_the_event_loop_not_through_the_sdk(seaweedfs, monkeypatch):
    """A urllib3 request in a worker thread cost about 1 ms CPU more than the request: an object that
    goes up in one PUT (up to one part) is sent on the event loop, with no worker thread at all."""
    threads = CountedThreads(monkeypatch)
    async with make_store(seaweedfs, "s3-put-on-the-loop", secure=False) as store:
        await store.ensure_bucket()  # through the SDK, which also learns the bucket's region
        requests = CountedRequests(store)
        threads.calls = 0
        for size in (0, 16384, 1024 * 1024, MIN_PART_SIZE):
            data = os.urandom(size)
            stored = await store.put(f"k{size}", chunks(data, 64 * 1024) if data else one(b""))
            assert stored.sha256 == hashlib.sha256(data).hexdigest()
            assert (requests.methods, requests.sdk, threads.calls) == (["PUT"], [], 0), size
            requests.clear()
            assert await (await store.open(f"k{size}")).read_all() == data
            requests.clear()
            threads.calls = 0
        # the connection went back to the pool and served the next PUTs
        assert len(store._pool.idle[seaweedfs.endpoint]) == 1


class Relay:
    """A TCP relay between a store and the real S3 server that can act as a server closing its kept
    connections (``drop_kept``: a connection that has answered once is closed when the next request
    comes, as a server's keep-alive time-out racing the request) and hold S3's answers back (``hold``)."""

    def __init__(self, upstream, tls: ssl.SSLContext | None = None):
        self.tls = tls  # to answer over TLS
        self.access_key, self.secret_key = upstream.access_key, upstream.secret_key
        self.host, port = upstream.endpoint.rsplit(":", 1)
        self.port = int(port)
        self.connections = 0
        self.drop_kept = False
        self.dropped = 0
        self.answers = asyncio.Event()
        self.answers.set()
        self.request_seen = asyncio.Event()
        self.tasks = set()

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.endpoint = "127.0.0.1:%d" % self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info):
        self.server.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks)

    async def _serve(self, client_reader, client_writer):
        self.connections += 1
        self.tasks.add(asyncio.current_task())
        server_reader, server_writer = await asyncio.open_connection(self.host, self.port)
        answered = False

        async def to_server():
            nonlocal answered
            while data := await client_reader.read(65536):
                if answered and self.drop_kept:
                    self.dropped += 1
                    break
                self.request_seen.set()
                server_writer.write(data)
            server_writer.close()
            client_writer.close()

        async def to_client():
            nonlocal answered
            while data := await server_reader.read(65536):
                await self.answers.wait()
                answered = True
                client_writer.write(data)
            client_writer.close()

        try:
            await asyncio.gather(to_server(), to_client())
        except (OSError, asyncio.CancelledError):
            pass  # a connection closed either way, or the relay shutting down
        finally:
            server_writer.close()
            client_writer.close()


async def test_a_kept_connection_the_server_closed_is_replaced(seaweedfs):
    async with make_store(seaweedfs, "s3-kept-closed", secure=False) as store:
        await store.ensure_bucket()
    async with Relay(seaweedfs) as relay:
        async with make_store(relay, "s3-kept-closed", secure=False, region="us-east-1") as store:
            await store.put("a", one(b"first"))
            assert relay.connections == 1
            relay.drop_kept = True  # the kept connection breaks only as the next request is sent
            await store.put("b", one(b"second"))
            assert (relay.dropped, relay.connections) == (1, 2)
            assert await (await store.open("b")).read_all() == b"second"


async def test_a_cancelled_request_does_not_return_its_connection(seaweedfs):
    """A PUT cancelled while S3 answers (its client went away) closes its connection: the answer, if it
    still came, would be read as the next request's."""
    async with make_store(seaweedfs, "s3-cancelled", secure=False) as store:
        await store.ensure_bucket()
    async with Relay(seaweedfs) as relay:
        async with make_store(relay, "s3-cancelled", secure=False, region="us-east-1") as store:
            await store.put("warm", one(b"warm"))
            relay.answers.clear()
            relay.request_seen.clear()
            headers = {"Content-Type": "application/octet-stream",
                       "x-amz-content-sha256": hashlib.sha256(b"x" * 1000).hexdigest()}
            request = asyncio.ensure_future(store._request("PUT", "a", headers, b"x" * 1000))
            await relay.request_seen.wait()
            await asyncio.sleep(0.2)  # S3's answer waits in the relay
            request.cancel()
            with pytest.raises(asyncio.CancelledError):
                await request
            assert store._pool.idle[relay.endpoint] == []
            relay.answers.set()
            await store.put("b", one(b"second"))
            assert relay.connections == 2  # a fresh one for "b"
            assert await (await store.open("b")).read_all() == b"second"


async def test_an_error_answer_to_a_put_names_the_s3_error(seaweedfs):
    """S3's XML error answer to a PUT on the event loop becomes a StorageError naming its code, as the
    SDK's S3Error did. (With the region given, the store asks S3 nothing before the PUT; SeaweedFS
    creates a missing bucket on a PUT, so wrong credentials make the error.)"""
    async with make_store(seaweedfs, "s3-put-error", secure=False) as good:
        await good.ensure_bucket()
    bad = S3Store(seaweedfs.endpoint, seaweedfs.access_key, "wrong-secret", "s3-put-error",
                  secure=False, region="us-east-1")
    async with bad:
        with pytest.raises(StorageError, match=r"^S3 SignatureDoesNotMatch: .*\(s3-put-error/k\)") as raised:
            await bad.put("k", one(b"x"))
        assert not isinstance(raised.value, ObjectNotFound)
        assert bad._pool.idle[seaweedfs.endpoint] != []  # the error answer was read whole


async def test_open_reads_on_the_event_loop_not_through_the_sdk(seaweedfs, monkeypatch):
    """The GETs of ``open`` (whole objects, ranges, bodies larger than a read chunk) go on the event loop
    too, with no worker thread."""
    threads = CountedThreads(monkeypatch)
    data = os.urandom(3 * 1024 * 1024 + 5)
    async with make_store(seaweedfs, "s3-get-on-the-loop", secure=False, read_chunk=64 * 1024) as store:
        await store.ensure_bucket()
        await store.put("small", one(data[:5000]))
        await store.put("large", chunks(data, 64 * 1024))
        requests = CountedRequests(store)
        threads.calls = 0
        for key, start, end, expected in (("small", 0, None, data[:5000]), ("small", 10, 20, data[10:20]),
                                          ("large", 0, None, data), ("large", 7, len(data), data[7:]),
                                          ("large", 100_000, 2_000_000, data[100_000:2_000_000])):
            async with await store.open(key, start, end) as stream:
                assert await stream.read_all() == expected
            assert (requests.methods, requests.sdk, threads.calls) == (["GET"], [], 0), (key, start, end)
            requests.clear()
        assert len(store._pool.idle[seaweedfs.endpoint]) == 1


async def test_a_stream_closed_half_way_does_not_return_its_connection(seaweedfs):
    data = os.urandom(4 * 1024 * 1024)
    async with make_store(seaweedfs, "s3-half-read", secure=False, read_chunk=64 * 1024) as store:
        await store.ensure_bucket()
        await store.put("k", chunks(data, 64 * 1024))
        idle = store._pool.idle[seaweedfs.endpoint]
        async with await store.open("k") as stream:
            assert idle == []  # the put's connection serves the GET
            assert await anext(stream) == data[:64 * 1024]
        assert idle == []  # closed: the rest of the body would be read as the next answer
        async with await store.open("k", 5, 10) as stream:
            assert await stream.read_all() == data[5:10]
        assert len(idle) == 1


async def test_a_large_body_is_read_with_bounded_memory(seaweedfs):
    """Reading from S3 pauses while about one read chunk waits unread: a stream read slowly holds no
    more than that, whatever the object's size."""
    data = os.urandom(24 * 1024 * 1024)
    async with make_store(seaweedfs, "s3-bounded-read", secure=False, read_chunk=64 * 1024) as store:
        await store.ensure_bucket()
        await store.put("k", chunks(data, 1024 * 1024))
        del data
        with TracedPeak() as memory:
            async with await store.open("k") as stream:
                await asyncio.sleep(0.5)  # S3 sends what it may meanwhile
                async for _ in stream:
                    await asyncio.sleep(0)
        assert memory.rise < 3 * 1024 * 1024


def self_signed_certificate(directory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files (certificate, key)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "schoolcloud test S3")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = f"{directory}/s3.pem", f"{directory}/s3.key"
    with open(cert_path, "wb") as file:
        file.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as file:
        file.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # cert_check=False
async def test_tls_checks_the_certificate_as_configured(seaweedfs, tmp_path, monkeypatch):
    """Over https the event loop's requests check S3's certificate against the same CAs as the SDK's
    (SSL_CERT_FILE, else certifi's), or not at all with cert_check=False."""
    async with make_store(seaweedfs, "s3-over-tls", secure=False) as store:
        await store.ensure_bucket()
    cert, key = self_signed_certificate(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    async with Relay(seaweedfs, tls) as relay:
        endpoint = f"https://{relay.endpoint}"
        for cert_check, ca_file, works in ((True, None, False), (False, None, True), (True, cert, True)):
            if ca_file:
                monkeypatch.setenv("SSL_CERT_FILE", ca_file)
            store = S3Store(endpoint, seaweedfs.access_key, seaweedfs.secret_key, "s3-over-tls",
                            region="us-east-1", cert_check=cert_check)
            async with store:
                if not works:
                    with pytest.raises(StorageError, match="CERTIFICATE_VERIFY_FAILED"):
                        await store.put("k", one(b"x"))
                    continue
                await store.put("k", one(b"over TLS"))
                assert await (await store.open("k")).read_all() == b"over TLS"
                assert (await store.stat("k")).size == 8  # the SDK's requests too
