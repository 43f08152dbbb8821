"""Encryption at rest: a wrapper around any object store (``EncryptedStore(inner, keyring)``).

Format of an encrypted object (version 1)::

    header  (36 bytes)  magic "\\x89SCENC\\r\\n" | version 1 | key id (uint32) | salt (16) | nonce prefix (7)
    chunk 0 ... chunk n-1: AES-256-GCM of 64 KiB of plaintext each (the last one 0..64 KiB) + 16-byte tag

Every object gets its own AES key, HKDF-SHA256(data key of its scope, salt): random nonces under one
long-lived school key would risk a collision after some hundred million objects; per-object keys make
that impossible and cost ~10 µs per object. The nonce of chunk i is prefix | i (uint32) | last-flag, and
every chunk authenticates the header and the object's storage key: chunks cannot be reordered, dropped,
truncated (the last chunk must carry the flag) or moved between objects without the read failing. A
range reads and decrypts only the chunks it touches. Only whole chunks are ever decrypted before bytes
are handed out, so a tampered object never yields wrong bytes, only ``ObjectCorrupted``.

Sizes: the stored size is a function of the plaintext size (``sealed_size``), so ``stat`` and ``list``
report the plaintext size after reading the 36-byte header (``list_stored`` skips that: stored sizes). Objects without the magic (written before
encryption was enabled) are read as they are, so enabling encryption needs no migration first.

The keyring (``Keyring``) maps key ids to 32-byte data keys and picks the key for new objects of a
*scope* (the web app: one per school; ``scoped(scope)`` returns a view that writes with that scope).
"""

from __future__ import annotations

import abc
import asyncio
import copy
import math
import os
import struct
from typing import Any, AsyncIterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.base import (
    DEFAULT_READ_CHUNK,
    Digest,
    InvalidRange,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    ObjectStream,
    StorageError,
    StoredObject,
    resolve_range,
)
from storage.keys import check_key

MAGIC = b"\x89SCENC\r\n"
VERSION = 1
CHUNK = 64 * 1024  # plaintext per chunk: small enough that a range wastes little, large for speed
TAG = 16
SEALED = CHUNK + TAG
HEADER = struct.Struct(">8sBI16s7s")  # magic, version, key id, salt, nonce prefix
_INFO = b"storage.encrypted object key, format 1"
_LIST_PEEKS = 16  # headers read at once while listing


class ObjectCorrupted(StorageError):
    """An encrypted object failed authentication: tampered, truncated, or under another key."""

    def __init__(self, key: str, detail: str):
        super().__init__(f"encrypted object {key!r} failed its integrity check ({detail}); "
                         "no bytes of the damaged part were returned")
        self.key = key


class KeyUnavailable(StorageError):
    """The keyring has no data key with this id (another database, or a wrong master key)."""


class ScopeGone(KeyUnavailable):
    """No key is made for a scope whose owner no longer exists (a school deleted meanwhile)."""


class Keyring(abc.ABC):
    """Where data keys come from: 32 random bytes each, identified by a positive uint32."""

    @abc.abstractmethod
    async def write_key(self, scope: str | None) -> tuple[int, bytes]:
        """``(key id, key)`` for new objects of ``scope`` (created on first use)."""

    @abc.abstractmethod
    async def read_key(self, key_id: int) -> bytes:
        """The key with this id; raises ``KeyUnavailable``."""


class StaticKeyring(Keyring):
    """Keys held in memory (tests, benchmarks, a single-key set-up): ``{key_id: key}``, the first for
    writing unless ``scopes`` maps a scope to another id."""

    def __init__(self, keys: dict[int, bytes], scopes: dict[str, int] | None = None):
        if not keys or any(len(k) != 32 for k in keys.values()):
            raise ValueError("StaticKeyring needs at least one key of 32 bytes")
        self.keys = dict(keys)
        self.scopes = dict(scopes or {})

    async def write_key(self, scope: str | None) -> tuple[int, bytes]:
        key_id = self.scopes.get(scope or "", next(iter(self.keys)))
        return key_id, self.keys[key_id]

    async def read_key(self, key_id: int) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise KeyUnavailable(f"no data key with id {key_id}") from None


def is_sealed(data: bytes) -> bool:
    """Whether a stored value (an object's first bytes, a sealed thumbnail) carries the header."""
    return bytes(data[:len(MAGIC)]) == MAGIC


def key_id_of(data: bytes) -> int | None:
    """The data key id a sealed value or an object's header names; None when not sealed."""
    if not is_sealed(data) or len(data) < HEADER.size:
        return None
    return HEADER.unpack(bytes(data[:HEADER.size]))[2]


def chunk_count(plain_size: int) -> int:
    return max(1, math.ceil(plain_size / CHUNK))


def sealed_size(plain_size: int) -> int:
    """Stored size of an encrypted object of ``plain_size`` bytes."""
    return HEADER.size + plain_size + TAG * chunk_count(plain_size)


def plain_size(key: str, stored: int) -> int:
    """Plaintext size of an encrypted object of ``stored`` bytes; ``ObjectCorrupted`` if none fits."""
    body = stored - HEADER.size
    chunks = math.ceil(body / SEALED) if body > 0 else 0
    size = body - TAG * chunks
    if body < TAG or chunk_count(size) != chunks:
        raise ObjectCorrupted(key, f"a stored size of {stored} bytes fits no encrypted object")
    return size


class _Cipher:
    """The AEAD of one object: its key derived from the data key and the header's salt."""

    def __init__(self, key: str, header: bytes, data_key: bytes):
        _, _, _, salt, self.prefix = HEADER.unpack(header)
        derived = HKDF(hashes.SHA256(), 32, salt, _INFO).derive(data_key)
        self.aead = AESGCM(derived)
        self.aad = header + key.encode()
        self.key = key

    def _nonce(self, index: int, last: bool) -> bytes:
        return self.prefix + struct.pack(">IB", index, last)

    def seal(self, index: int, last: bool, data: Any) -> bytes:
        if index > 0xFFFFFFFF:
            raise StorageError(f"object {self.key!r} is too large to encrypt (2^32 chunks)")
        return self.aead.encrypt(self._nonce(index, last), data, self.aad)

    def open(self, index: int, last: bool, sealed: Any) -> bytes:
        try:
            return self.aead.decrypt(self._nonce(index, last), sealed, self.aad)
        except InvalidTag:
            raise ObjectCorrupted(self.key, f"chunk {index} does not authenticate") from None


def _new_header(key_id: int) -> bytes:
    return HEADER.pack(MAGIC, VERSION, key_id, os.urandom(16), os.urandom(7))


class _Reader:
    """Exact-size reads over an inner stream's arbitrarily sized chunks."""

    def __init__(self, stream: ObjectStream, buffered: bytes = b""):
        self.stream = stream
        self._buf = buffered
        self._off = 0

    async def read(self, size: int) -> memoryview:
        """``size`` bytes, fewer only at the end of the stream."""
        while len(self._buf) - self._off < size:
            try:
                more = await self.stream.__anext__()
            except StopAsyncIteration:
                break
            self._buf = self._buf[self._off:] + more
            self._off = 0
        piece = memoryview(self._buf)[self._off:self._off + size]
        self._off += len(piece)
        return piece

    def take_buffer(self) -> bytes:
        rest = self._buf[self._off:]
        self._buf, self._off = b"", 0
        return rest


class _PlainStream(ObjectStream):
    """An object written before encryption was enabled, read in full: the peeked bytes, then the rest."""

    def __init__(self, reader: _Reader, *args: Any):
        super().__init__(*args)
        self._reader = reader

    async def _read(self, size: int) -> bytes:
        return bytes(await self._reader.read(size))

    async def _close(self) -> None:
        await self._reader.stream.aclose()


class _DecryptingStream(ObjectStream):
    """Plaintext ``[start, end)``: whole chunks are read and decrypted, then trimmed to the range."""

    def __init__(self, reader: _Reader, cipher: _Cipher, first_chunk: int, chunks: int, *args: Any):
        super().__init__(*args)
        self._reader = reader
        self._cipher = cipher
        self._index = first_chunk  # next chunk to decrypt
        self._chunks = chunks  # in the whole object
        self._position = self.start  # plaintext offset of the next byte to hand out
        self._plain = memoryview(b"")

    async def _next_chunk(self) -> None:
        index = self._index
        last = index == self._chunks - 1
        sealed = await self._reader.read(SEALED)
        if len(sealed) < TAG:
            raise ObjectCorrupted(self.key, f"chunk {index} is missing")
        plain = memoryview(self._cipher.open(index, last, sealed))
        self._plain = plain[self._position - index * CHUNK:]
        self._index += 1

    async def prime(self) -> None:
        """Decrypt the first chunk now, so that open() already fails on a damaged start (the web
        layer can then still answer with an error status)."""
        if self.length:
            await self._next_chunk()

    async def _read(self, size: int) -> bytes:
        out: list[memoryview] = []
        wanted = min(size, self.end - self._position)
        while wanted:
            if not self._plain:
                await self._next_chunk()
            piece = self._plain[:wanted]
            self._plain = self._plain[len(piece):]
            out.append(piece)
            wanted -= len(piece)
            self._position += len(piece)
        return b"".join(out)

    async def _close(self) -> None:
        await self._reader.stream.aclose()


class EncryptedStore(ObjectStore):
    """Encrypts what it writes to ``inner``; reads encrypted objects and, as they are, plain ones."""

    def __init__(self, inner: ObjectStore, keyring: Keyring, *, read_chunk: int = DEFAULT_READ_CHUNK):
        super().__init__()
        self.inner = inner
        self.keyring = keyring
        self.scope: str | None = None
        self._read_chunk = read_chunk

    def scoped(self, scope: str) -> EncryptedStore:
        """A view that writes new objects with the data key of ``scope`` (reads need no scope: the
        header names the key). It shares everything with this store; close this one, not the view."""
        view = copy.copy(self)
        view.scope = scope
        return view

    async def ensure_bucket(self) -> None:
        ensure = getattr(self.inner, "ensure_bucket", None)
        if ensure is not None:
            await ensure()

    # -- writing ------------------------------------------------------------------------------

    async def put(
        self, key: str, chunks: AsyncIterator[bytes], *, max_bytes: int | None = None
    ) -> StoredObject:
        check_key(key)
        key_id, data_key = await self.keyring.write_key(self.scope)
        header = _new_header(key_id)
        cipher = _Cipher(key, header, data_key)
        digest = Digest(key, max_bytes)  # size, hash and limit of the plaintext

        async def sealed() -> AsyncIterator[bytes]:
            yield header
            buffer = bytearray()
            index = 0
            async for chunk in chunks:
                if not chunk:
                    continue
                digest.feed(chunk)
                buffer += chunk
                if len(buffer) <= CHUNK:
                    continue
                # Seal every full chunk but keep at least one byte back: only the end of the
                # source tells which chunk is the last (it carries the flag and is never empty,
                # unless the whole object is).
                full = (len(buffer) - 1) // CHUNK
                view = memoryview(buffer)
                try:
                    for n in range(full):
                        yield cipher.seal(index, False, view[n * CHUNK:(n + 1) * CHUNK])
                        index += 1
                finally:
                    view.release()
                del buffer[: full * CHUNK]
            yield cipher.seal(index, True, bytes(buffer))

        await self.inner.put(key, sealed())
        return digest.result()

    # -- reading ------------------------------------------------------------------------------

    async def _peek(self, key: str) -> tuple[bytes, int]:
        """The first header-size bytes and the stored size."""
        async with await self.inner.open(key, 0, HEADER.size) as stream:
            head = await stream.read_all()
            return head, stream.object_size

    async def open(self, key: str, start: int = 0, end: int | None = None) -> ObjectStream:
        check_key(key)
        if start < 0 or (end is not None and end < start):
            raise InvalidRange(f"invalid range start={start} end={end}")
        first = start // CHUNK
        stored_end = None if end is None else HEADER.size + math.ceil(end / CHUNK) * SEALED
        if first == 0:
            # One request for the header and the chunks (every full read is this case).
            inner = await self.inner.open(key, 0, stored_end)
            reader = _Reader(inner)
            try:
                head = bytes(await reader.read(HEADER.size))
            except BaseException:
                await inner.aclose()
                raise
        else:
            head, _ = await self._peek(key)
            if not head.startswith(MAGIC):
                return await self.inner.open(key, start, end)
            inner = await self.inner.open(key, HEADER.size + first * SEALED, stored_end)
            reader = _Reader(inner)
        try:
            return await self._stream(key, head, reader, start, end, first)
        except BaseException:
            await inner.aclose()
            raise

    async def _stream(
        self, key: str, head: bytes, reader: _Reader, start: int, end: int | None, first: int
    ) -> ObjectStream:
        inner = reader.stream
        if not head.startswith(MAGIC):
            if start == 0 and end is None:
                # Plain object read in full: hand out the peeked bytes, then the rest.
                reader._buf = head + reader.take_buffer()
                return _PlainStream(reader, key, 0, inner.object_size, inner.object_size,
                                    self._background, self._read_chunk)
            await inner.aclose()
            return await self.inner.open(key, start, end)
        if len(head) < HEADER.size:
            raise ObjectCorrupted(key, "the header is truncated")
        _, version, key_id, _, _ = HEADER.unpack(head)
        if version != VERSION:
            raise ObjectCorrupted(key, f"unknown format version {version}")
        size = plain_size(key, inner.object_size)
        start, end = resolve_range(start, end, size)
        cipher = _Cipher(key, head, await self.keyring.read_key(key_id))
        stream = _DecryptingStream(reader, cipher, first, chunk_count(size), key, start, end, size,
                                   self._background, self._read_chunk)
        await stream.prime()
        return stream

    async def stat(self, key: str) -> ObjectInfo:
        head, stored = await self._peek(check_key(key))
        info = await self.inner.stat(key)
        if not head.startswith(MAGIC):
            return info
        return ObjectInfo(key, plain_size(key, stored), info.modified)

    async def exists(self, key: str) -> bool:
        return await self.inner.exists(key)

    # -- small values kept outside the store (thumbnails in the database) ----------------------------

    async def seal(self, name: str, data: bytes) -> bytes:
        """``data`` encrypted in the object format, bound to ``name`` (the associated data, as an
        object's key is): a sealed value copied under another name fails to open. With this view's
        scope key, like ``put``."""
        key_id, data_key = await self.keyring.write_key(self.scope)
        header = _new_header(key_id)
        cipher = _Cipher(name, header, data_key)
        count = chunk_count(len(data))
        view = memoryview(data)
        return header + b"".join(cipher.seal(i, i == count - 1, view[i * CHUNK:(i + 1) * CHUNK])
                                 for i in range(count))

    async def unseal(self, name: str, sealed: bytes) -> bytes:
        """The plaintext of ``seal(name, ...)``; ``ObjectCorrupted`` if it was changed or sealed under
        another name. A value without the magic (stored before encryption) is returned as it is."""
        if not is_sealed(sealed):
            return sealed
        head = bytes(sealed[:HEADER.size])
        if len(head) < HEADER.size:
            raise ObjectCorrupted(name, "the header is truncated")
        _, version, key_id, _, _ = HEADER.unpack(head)
        if version != VERSION:
            raise ObjectCorrupted(name, f"unknown format version {version}")
        count = chunk_count(plain_size(name, len(sealed)))
        cipher = _Cipher(name, head, await self.keyring.read_key(key_id))
        body = memoryview(sealed)[HEADER.size:]
        return b"".join(cipher.open(i, i == count - 1, body[i * SEALED:(i + 1) * SEALED]) for i in range(count))

    async def is_encrypted(self, key: str) -> bool:
        """Whether the object carries the header (False: written before encryption was enabled)."""
        head, _ = await self._peek(check_key(key))
        return is_sealed(head)

    async def key_id(self, key: str) -> int | None:
        """The id of the data key the object is encrypted with; None for a plain object."""
        head, _ = await self._peek(check_key(key))
        if is_sealed(head) and len(head) < HEADER.size:
            raise ObjectCorrupted(key, "the header is truncated")
        return key_id_of(head)

    # -- deleting and listing -----------------------------------------------------------------

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        # Plaintext sizes need each object's header: read a batch of them at once.
        batch: list[ObjectInfo] = []
        async for info in self.inner.list(prefix):
            batch.append(info)
            if len(batch) == _LIST_PEEKS:
                for found in await self._sizes(batch):
                    if found is not None:
                        yield found
                batch = []
        for found in await self._sizes(batch):
            if found is not None:
                yield found

    def list_stored(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        return self.inner.list(prefix)  # no header reads: one listing request per page, not a read per object

    async def _sizes(self, infos: list[ObjectInfo]) -> list[ObjectInfo | None]:
        async def one(info: ObjectInfo) -> ObjectInfo | None:
            try:
                head, stored = await self._peek(info.key)
            except ObjectNotFound:
                return None  # deleted since it was listed
            if not head.startswith(MAGIC):
                return info
            try:
                size = plain_size(info.key, stored)
            except ObjectCorrupted:
                size = stored  # listing is for consistency checks: show it, reading will fail
            return ObjectInfo(info.key, size, info.modified)

        return list(await asyncio.gather(*(one(info) for info in infos)))

    async def cleanup_temp(self, older_than: Any) -> int:
        return await self.inner.cleanup_temp(older_than)

    async def close(self) -> None:
        await super().close()
        await self.inner.close()
