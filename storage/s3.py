"""Objects in an S3 bucket (MinIO, SeaweedFS, Garage, Ceph RGW, AWS...) through the ``minio`` SDK.

The SDK is synchronous (urllib3), so its calls run in a worker thread, except the hot ones: the single
PUT of an object up to one part (most files) and the GETs of ``open``, which the SDK builds and signs
and ``storage.s3_transport`` sends on the event loop (a urllib3 request in a worker thread cost about
1 ms CPU more than the request itself). The SDK's public ``put_object`` wants a blocking file-like
source and uploads parts from a thread pool of its own; to stream an async iterator with bounded
memory, ``put`` drives the multipart API itself through the SDK's low-level methods
(``_create_multipart_upload``, ``_upload_part``, ...; pinned SDK version, see pyproject.toml) with two
part buffers (5 MiB each, S3's minimum): a full part goes up at once, and the next part fills the
buffer of the oldest upload as soon as that one is through. So up to two parts upload at the same
time (the S3 server works on both, as with the SDK's own parallel parts) while memory stays at two
part sizes; receiving waits while both are under way. The buffers are anonymous memory maps,
allocated once per put and filled again and again; the SDK sends a view of the filled part (hashing
and sending it without a copy). Objects smaller than one part go up in a single PUT. A failed or
cancelled put aborts its multipart upload, so no incomplete upload keeps parts around;
``cleanup_temp`` aborts the ones a crashed process left.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import itertools
import logging
import mmap
import os
import ssl
import sys
import types
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator, Callable, NamedTuple
from urllib.parse import urlsplit

import certifi
import urllib3


def _defer_minio_crypto() -> None:
    """minio/__init__ imports MinioAdmin (the admin API of MinIO servers), whose minio.crypto imports
    pycryptodome, which loads cffi and has pycparser parse C declarations: about 3.5 MB in every server
    process, for an API this store never calls. A stand-in for minio.crypto, until minio is imported,
    loads the real module at the first call of its encrypt or decrypt."""
    if "minio" in sys.modules or "minio.crypto" in sys.modules:
        return
    stand_in = types.ModuleType("minio.crypto", _defer_minio_crypto.__doc__)

    def real() -> types.ModuleType:
        if sys.modules.get("minio.crypto") is stand_in:
            del sys.modules["minio.crypto"]
        return importlib.import_module("minio.crypto")

    stand_in.encrypt = lambda *args, **kwargs: real().encrypt(*args, **kwargs)  # type: ignore[attr-defined]
    stand_in.decrypt = lambda *args, **kwargs: real().decrypt(*args, **kwargs)  # type: ignore[attr-defined]
    sys.modules["minio.crypto"] = stand_in


_defer_minio_crypto()

from minio import Minio  # noqa: E402
from minio.datatypes import Part  # noqa: E402
from minio.error import MinioException, S3Error  # noqa: E402
from minio.signer import sign_v4_s3  # noqa: E402

from storage.base import (  # noqa: E402
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
from storage.keys import check_key, check_prefix  # noqa: E402
from storage.s3_transport import Pool, Response  # noqa: E402

log = logging.getLogger(__name__)

MIN_PART_SIZE = 5 * 1024 * 1024  # S3's minimum for every part but the last
#: S3's minimum: an upload in flight holds two parts.
DEFAULT_PART_SIZE = MIN_PART_SIZE
MAX_PARTS = 10_000  # S3's limit per multipart upload
#: A put keeps its first chunks as they came up to this size, and sends an object no larger in one PUT
#: from them. Not a whole part: the request body's chunks are blocks of the C heap, which keeps what is
#: freed (memory.TRIM_THRESHOLD), so holding a part's worth of them left every process that had stored
#: a large file 5 MiB larger, on top of the part buffers while it did.
HELD_BYTES = 1024 * 1024
_NOT_FOUND = {"NoSuchKey", "NotFound"}
_LIST_BATCH = 1000  # objects fetched per worker-thread hop while listing
_PAYLOAD_SHA256 = "x-amz-content-sha256"


class _Client(Minio):
    """The SDK's client, taking a request's payload hash from the caller when it has one.

    The SDK hashes every body it sends: SHA-256 for the signature over http, MD5 (Content-MD5) over
    https. A single PUT sends an object whose SHA-256 ``put`` has just computed anyway; given as the
    signed ``x-amz-content-sha256`` (which S3 and MinIO check the body against, over https too), the
    body is not hashed a second time.
    """

    def _build_headers(self, host: str, headers: Any = None, body: Any = None, creds: Any = None) -> Any:
        given = headers.get(_PAYLOAD_SHA256) if headers else None
        if given is None or creds is None:
            return super()._build_headers(host, headers, body, creds)
        built, date = super()._build_headers(host, headers, None, creds)  # no body: nothing hashed
        if body:
            built["Content-Length"] = str(len(body))
        built[_PAYLOAD_SHA256] = given
        return built, date


def part_size_for(number: int, base: int) -> int:
    """Size of part ``number`` (1-based): ``base``, doubled after every 1000 parts.

    Object sizes are unknown in advance; a fixed 5 MiB would cap objects at 48 GiB (10 000
    parts). Doubling keeps small and medium uploads at ``base`` (memory 2 parts) and lets the
    rare huge one grow beyond (up to about 4.9 TiB with 5 MiB parts).
    """
    return base * 2 ** ((number - 1) // 1000)


class S3Store(ObjectStore):
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        region: str | None = None,
        secure: bool = True,
        *,
        part_size: int = DEFAULT_PART_SIZE,
        read_chunk: int = DEFAULT_READ_CHUNK,
        cert_check: bool = True,
        max_connections: int = 32,
    ):
        """``endpoint`` is ``host:port``, or a URL whose scheme then decides ``secure``."""
        super().__init__()
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        if "://" in endpoint:
            url = urlsplit(endpoint)
            if url.scheme not in ("http", "https") or url.path.strip("/"):
                raise ValueError(f"S3 endpoint must be http(s)://host[:port], not {endpoint!r}")
            endpoint, secure = url.netloc, url.scheme == "https"
        self.bucket = bucket
        self.region = region
        self._part_size = part_size
        self._read_chunk = read_chunk
        # Our own connection pool (settings as the SDK's default) so that close() can release it,
        # and big enough for the worker threads that may use it at once.
        timeout = timedelta(minutes=5).total_seconds()
        ca_file = os.environ.get("SSL_CERT_FILE") or certifi.where()
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            maxsize=max_connections,
            cert_reqs="CERT_REQUIRED" if cert_check else "CERT_NONE",
            ca_certs=ca_file,
            retries=urllib3.Retry(total=5, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        )
        # The single PUT and the GETs of open go through this pool on the event loop instead (see
        # storage.s3_transport), with the same time-outs, retries, size and certificate checks.
        context = None
        if secure:
            context = ssl.create_default_context(cafile=ca_file)
            if not cert_check:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        self._pool = Pool(secure=secure, timeout=timeout, max_idle=max_connections, ssl_context=context)
        self.client = _Client(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=self._http,
        )

    async def _call(self, fn: Callable[..., Any], *args: Any, key: str | None = None) -> Any:
        """Run one blocking SDK call in a worker thread and translate its errors."""
        try:
            return await asyncio.to_thread(fn, *args)
        except S3Error as exc:
            error = self._s3_error(exc, key)
            raise error from (None if isinstance(error, ObjectNotFound) else exc)
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageError(f"S3 request failed: {exc}") from exc

    def _s3_error(self, exc: S3Error, key: str | None) -> StorageError:
        if key is not None and exc.code in _NOT_FOUND:
            return ObjectNotFound(key)
        return StorageError(f"S3 {exc.code}: {exc.message} ({self.bucket}/{key or ''})")

    async def _request(
        self, method: str, key: str, headers: dict[str, str], body: bytes | memoryview | None = None
    ) -> Response:
        """One request on the event loop (storage.s3_transport), built and signed by the SDK as its
        ``_url_open`` does (private methods of the pinned SDK version, as elsewhere in this module);
        an answer other than 200/204/206 is raised as ``_call`` raises the SDK's errors."""
        client = self.client
        region = client._base_url.region or client._region_map.get(self.bucket)
        if region is None:  # once per bucket: the SDK asks S3 for the bucket's region
            region = await self._call(client._get_region, self.bucket)
        creds = client._provider.retrieve() if client._provider else None
        url = client._base_url.build(method=method, region=region, bucket_name=self.bucket, object_name=key)
        headers, date = client._build_headers(url.netloc, headers, body, creds)
        if creds:
            headers = sign_v4_s3(
                method=method, url=url, region=region, headers=headers, credentials=creds,
                content_sha256=headers.get(_PAYLOAD_SHA256), date=date,
            )
        try:
            response = await self._pool.request(
                method, url.netloc, f"{url.path}?{url.query}" if url.query else url.path, headers, body
            )
            if response.status in (200, 204, 206):
                return response
            data = await response.read_all()  # S3 errors are small XML documents
            response.release()
        except OSError as exc:
            raise StorageError(f"S3 request failed: {exc}") from exc
        error = _answer_error(response, data, key)
        if error is None:
            raise StorageError(f"S3 answered HTTP {response.status} ({self.bucket}/{key})")
        if error.code == "NoSuchBucket":
            client._region_map.pop(self.bucket, None)  # as the SDK does: the bucket may come back elsewhere
        failure = self._s3_error(error, key)
        raise failure from (None if isinstance(failure, ObjectNotFound) else error)

    async def ensure_bucket(self) -> None:
        """Create the bucket unless it exists (call once at start-up)."""
        if await self._call(self.client.bucket_exists, self.bucket):
            return
        try:
            await self._call(self.client.make_bucket, self.bucket, self.region)
        except StorageError as exc:
            # Someone else (another replica starting at the same time) was quicker.
            code = getattr(exc.__cause__, "code", None)
            if code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    # -- writing ------------------------------------------------------------------------------

    async def put(
        self, key: str, chunks: AsyncIterator[bytes], *, max_bytes: int | None = None
    ) -> StoredObject:
        check_key(key)
        digest = Digest(key, max_bytes)
        upload = _MultipartUpload(self, key)
        # The first chunks wait as they are until they make more than HELD_BYTES: an object up to that
        # size (most files) goes up from them in one PUT, without a part buffer (mapping and unmapping
        # one costs more than the rest of storing a small file; see _part_buffer).
        first: list[bytes] = []
        part: mmap.mmap | None = None
        filled = 0
        try:
            async for chunk in chunks:
                if not chunk:
                    continue
                digest.feed(chunk)
                if part is None:
                    if filled + len(chunk) <= HELD_BYTES:
                        first.append(chunk if type(chunk) is bytes else bytes(chunk))
                        filled += len(chunk)
                        continue
                    part, at = _part_buffer(upload.next_part_size), 0
                    for waiting in first:
                        part[at:at + len(waiting)] = waiting
                        at += len(waiting)
                    first.clear()
                view = memoryview(chunk)
                while view:
                    # A full part is only sent once more data shows up: if the stream ends
                    # exactly here, an object of one part's size still goes up as a single PUT.
                    if filled == len(part):
                        part = await upload.send(part, filled)
                        filled = 0
                    take = min(len(part) - filled, len(view))
                    part[filled:filled + take] = view[:take]
                    filled += take
                    view = view[take:]
            if part is None:
                data = first[0] if len(first) == 1 else b"".join(first)
                await upload.put_single(data, digest.result().sha256)
            elif upload.started:
                await upload.send(part, filled)
                await upload.complete()
            else:
                await upload.put_single(memoryview(part)[:filled], digest.result().sha256)
        except BaseException:
            await self._background.run(upload.abort())
            raise
        return digest.result()

    # -- reading ------------------------------------------------------------------------------

    async def open(self, key: str, start: int = 0, end: int | None = None) -> ObjectStream:
        check_key(key)
        if start == 0 and end is None:
            # The whole object: one GET, whose Content-Length tells the size.
            answer = await self._get(key, 0, 0)
            length = _content_length(answer)
            return _S3Stream(answer, key, 0, length, length, self._background, self._read_chunk)
        if start < 0 or (end is not None and end <= start):
            return await self._open_checked(key, start, end)
        # A range in one GET, no stat first (a download names its file's size as the end): the answer's
        # Content-Range tells the object's size, and the range is then checked and clamped as on disk.
        try:
            answer = await self._get(key, start, 0 if end is None else end - start)
        except StorageError as exc:
            if getattr(exc.__cause__, "code", None) != "InvalidRange":
                raise
            # S3 refuses a range starting at or past the end (also any range of an empty object)
            return await self._open_checked(key, start, end)
        size = _range_total(answer.response)
        if size is None:  # a server that ignored the range
            answer.release()
            return await self._open_checked(key, start, end)
        start, end = resolve_range(start, end, size)
        if _content_length(answer) != end - start:
            answer.release()
            raise StorageError(f"S3 returned a range of the wrong length for {key!r}")
        return _S3Stream(answer, key, start, end, size, self._background, self._read_chunk)

    async def _open_checked(self, key: str, start: int, end: int | None) -> ObjectStream:
        """A range after a stat, so that it is checked and clamped the same way as on disk (S3 answers
        416 for some ranges, and length 0 means "to the end" in the SDK)."""
        size = (await self.stat(key)).size
        start, end = resolve_range(start, end, size)
        if start == end:
            return _S3Stream(_Answer(None, b""), key, start, end, size, self._background, self._read_chunk)
        answer = await self._get(key, start, end - start)
        if _content_length(answer) != end - start:
            answer.release()
            raise StorageError(f"S3 returned a range of the wrong length for {key!r}")
        return _S3Stream(answer, key, start, end, size, self._background, self._read_chunk)

    async def _get(self, key: str, offset: int, length: int) -> _Answer:
        """A GET on the event loop (``length`` 0: to the end; the Range header as the SDK's get_object
        makes it). A body of up to one read chunk (most files) is read at once and the connection
        handed back; a larger one is read as the stream is."""
        headers = {}
        if offset or length:
            headers["Range"] = f"bytes={offset}-{offset + length - 1 if length else ''}"
        response = await self._request("GET", key, headers)
        value = response.headers.get("content-length")
        if value is None or not value.isdigit() or int(value) > self._read_chunk:
            return _Answer(response, None)
        try:
            body = await response.read(int(value))
        except OSError as exc:
            raise StorageError(f"reading {key!r} from S3 failed: {exc}") from exc
        finally:
            response.release()
        return _Answer(response, body)

    async def stat(self, key: str) -> ObjectInfo:
        check_key(key)
        obj = await self._call(self.client.stat_object, self.bucket, key, key=key)
        return ObjectInfo(key, obj.size, obj.last_modified)

    # -- deleting and listing -----------------------------------------------------------------

    async def delete(self, key: str) -> None:
        check_key(key)
        try:
            await self._call(self.client.remove_object, self.bucket, key, key=key)
        except ObjectNotFound:
            pass  # S3 itself answers 204 for a missing key; some servers say NoSuchKey

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        check_prefix(prefix)
        # The SDK's iterator fetches pages lazily; pull a batch per thread hop, not one object.
        objects = self.client.list_objects(self.bucket, prefix=prefix or None, recursive=True)
        while batch := await self._call(lambda: [*itertools.islice(objects, _LIST_BATCH)]):
            for obj in batch:
                if obj.is_dir or obj.object_name.endswith("/"):
                    continue  # directory markers some servers (SeaweedFS) keep
                yield ObjectInfo(obj.object_name, obj.size, obj.last_modified)

    async def cleanup_temp(self, older_than: timedelta = timedelta(days=1)) -> int:
        """Abort incomplete multipart uploads started before ``older_than`` ago."""
        cutoff = datetime.now(timezone.utc) - older_than
        stale = await self._call(self._stale_uploads, cutoff)
        for key, upload_id in stale:
            await self._call(self.client._abort_multipart_upload, self.bucket, key, upload_id)
        return len(stale)

    def incomplete_uploads(self) -> list[tuple[str, str]]:
        """``(key, upload_id)`` of every incomplete multipart upload (blocking; for checks)."""
        return self._stale_uploads(None)

    def _stale_uploads(self, cutoff: datetime | None) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        key_marker = upload_id_marker = None
        while True:
            result = self.client._list_multipart_uploads(
                self.bucket, key_marker=key_marker, upload_id_marker=upload_id_marker
            )
            for upload in result.uploads:
                started = upload.initiated_time
                if cutoff is None or (started is not None and started <= cutoff):
                    found.append((upload.object_name, upload.upload_id))
            if not result.is_truncated or not result.uploads:
                return found
            # minio 7.2.20 drops NextUploadIdMarker (it stores it under a misspelt attribute),
            # so continue after the last upload seen.
            key_marker = result.next_key_marker or result.uploads[-1].object_name
            upload_id_marker = result.uploads[-1].upload_id

    async def close(self) -> None:
        await super().close()
        self._http.clear()
        self._pool.close()


def _part_buffer(size: int) -> mmap.mmap:
    """A part's buffer: an anonymous map, whose pages the kernel provides (zeroed) only where written, so
    that a small object costs only its own size; unmapped when dropped. (A bytearray of the part's size
    would be zeroed, all of it, by Python; one grown chunk by chunk was reallocated in the C heap, which
    kept the freed steps: about 8 MiB per process that had uploaded.)"""
    return mmap.mmap(-1, size)


class _MultipartUpload:
    """The S3 side of one ``put``: at most two part uploads in flight, abortable at any point.

    Each request runs as a task awaited through ``shield``, so a cancelled put can still wait for
    the requests under way (in ``abort``) before aborting: an abort racing a part upload could leave
    that part behind.
    """

    def __init__(self, store: S3Store, key: str):
        self.store = store
        self.key = key
        self.upload_id: str | None = None
        self.parts: list[Part] = []
        self.sent = 0  # parts handed to upload tasks
        self.completed = False
        self.step: asyncio.Future[Any] | None = None  # creation, single PUT or completion
        #: part uploads under way, oldest first, each with the buffer it sends from
        self.inflight: list[tuple[asyncio.Future[None], mmap.mmap]] = []

    @property
    def started(self) -> bool:
        return self.sent > 0

    @property
    def next_part_size(self) -> int:
        return part_size_for(self.sent + 1, self.store._part_size)

    async def _run(self, coro: Any) -> Any:
        self.step = asyncio.ensure_future(coro)
        return await asyncio.shield(self.step)

    async def send(self, part: mmap.mmap, length: int) -> mmap.mmap:
        """Start uploading the first ``length`` bytes of ``part`` as the next part; return the buffer
        to fill next: a new one beside the first part, later the oldest upload's once it is through
        (which also surfaces its error and bounds memory at two buffers)."""
        if self.upload_id is None:
            await self._run(self._create())
        self.sent += 1
        if self.sent > MAX_PARTS:
            raise StorageError(f"object {self.key!r} needs more than {MAX_PARTS} parts")
        upload = asyncio.ensure_future(self._upload_part(memoryview(part)[:length], self.sent))
        self.inflight.append((upload, part))
        size = self.next_part_size
        if len(self.inflight) < 2:
            return _part_buffer(size)
        spare = await self._finish_oldest()
        return spare if len(spare) == size else _part_buffer(size)

    async def _finish_oldest(self) -> mmap.mmap:
        """Wait for the oldest part upload (surfacing its error); return the buffer it sent from."""
        upload, buffer = self.inflight[0]
        await asyncio.shield(upload)
        self.inflight.pop(0)
        return buffer

    async def _wait_inflight(self) -> None:
        while self.inflight:
            await self._finish_oldest()

    async def _create(self) -> None:
        store = self.store
        headers = {"Content-Type": "application/octet-stream"}
        # Set inside the task, so that abort() knows the id even if put() was cancelled while
        # waiting for it.
        self.upload_id = await store._call(
            store.client._create_multipart_upload, store.bucket, self.key, headers
        )

    async def _upload_part(self, data: memoryview, number: int) -> None:
        etag = await self.store._call(self._send_part, data, number)
        self.parts.append(Part(number, etag))

    def _send_part(self, data: memoryview, number: int) -> str:
        """In a worker thread: the part signed with its SHA-256, hashed here, so that the SDK hashes
        nothing: over https it would compute MD5 for Content-MD5 (about half SHA-256's speed with the
        CPU's SHA instructions), while a signed SHA-256 lets S3 check the part just as well."""
        store = self.store
        headers = {_PAYLOAD_SHA256: hashlib.sha256(data).hexdigest()}
        return store.client._upload_part(
            store.bucket, self.key, data, headers, self.upload_id, number
        )

    async def complete(self) -> None:
        await self._wait_inflight()
        await self._run(self._complete())

    async def _complete(self) -> None:
        store = self.store
        await store._call(
            store.client._complete_multipart_upload,
            store.bucket,
            self.key,
            self.upload_id,
            sorted(self.parts, key=lambda part: part.part_number),
        )
        self.completed = True

    async def put_single(self, data: bytes | memoryview, sha256: str) -> None:
        """The whole object in one PUT; ``sha256`` (of ``data``, hashed while it came) signs it."""
        headers = {"Content-Type": "application/octet-stream", _PAYLOAD_SHA256: sha256}
        await self._run(self._put_single(data, headers))

    async def _put_single(self, data: bytes | memoryview, headers: dict[str, str]) -> None:
        response = await self.store._request("PUT", self.key, headers, data)
        try:
            await response.read_all()  # (empty: the answer is its head)
        except OSError as exc:
            raise StorageError(f"S3 request failed: {exc}") from exc
        finally:
            response.release()

    async def abort(self) -> None:
        """Undo a failed put: wait for the request in flight, then abort the multipart upload.

        A single PUT or a completion that went through before the failure leaves the object: it
        sits under the caller's fresh key with no row pointing at it, for the consistency check.
        """
        await settle(self.step)
        for upload, _ in self.inflight:
            await settle(upload)
        if self.upload_id is None or self.completed:
            return
        store = self.store
        try:
            await store._call(
                store.client._abort_multipart_upload, store.bucket, self.key, self.upload_id
            )
        except Exception:
            log.warning("aborting the multipart upload of %r failed", self.key, exc_info=True)


class _Answer(NamedTuple):
    """A GET's response; with its whole body when that was small enough to be read at once."""

    response: Response | None
    body: bytes | None

    def release(self) -> None:
        """Hand the connection back: reused if the whole answer arrived, else closed (draining the
        rest of a large object just to reuse a connection would cost more than a new one)."""
        if self.response is not None:
            self.response.release()


class _S3Stream(ObjectStream):
    def __init__(self, answer: _Answer, *args: Any):
        super().__init__(*args)
        self._answer = answer
        self._body = answer.body
        self._offset = 0

    async def _read(self, size: int) -> bytes:
        if self._body is not None:
            piece = self._body[self._offset:self._offset + size]
            self._offset += len(piece)
            return piece
        try:
            return await self._answer.response.read(size)  # type: ignore[union-attr]
        except OSError as exc:
            raise StorageError(f"reading {self.key!r} from S3 failed: {exc}") from exc

    async def _close(self) -> None:
        self._body = None
        self._answer.release()


def _answer_error(response: Response, data: bytes, key: str) -> S3Error | None:
    """The SDK's error for an S3 error answer (as ``Minio._url_open`` makes it), None if unknown."""
    if data and "application/xml" in response.headers.get("content-type", "").split(";"):
        try:
            return S3Error.fromxml(types.SimpleNamespace(data=data, headers=response.headers))
        except Exception:  # noqa: BLE001 - not S3's XML: the status decides
            pass
    code, message = {
        403: ("AccessDenied", "Access denied"),
        404: ("NoSuchKey", "Object does not exist"),
        405: ("MethodNotAllowed", "The specified method is not allowed against this resource"),
        409: ("NoSuchBucket", "Bucket does not exist"),
        501: ("MethodNotAllowed", "The specified method is not allowed against this resource"),
    }.get(response.status, (None, None))
    if code is None:
        return None
    return S3Error(None, code, message, key, response.headers.get("x-amz-request-id"), None, None, key)


def _content_length(answer: _Answer) -> int:
    value = answer.response.headers.get("content-length")
    if value is None:
        answer.release(complete=False)
        raise StorageError("S3 response without Content-Length")
    return int(value)


def _range_total(response: Any) -> int | None:
    """The object's size from a ranged answer's ``Content-Range: bytes a-b/size``."""
    if response.status != 206:
        return None
    _, _, total = (response.headers.get("content-range") or "").rpartition("/")
    return int(total) if total.isdigit() else None
