"""What the encrypting wrapper adds to the object-store contract (which test_storage_contract.py runs
against it too): ranges across chunk borders, tampering and truncation detected, no plaintext in the
stored bytes, plain objects from before encryption still readable, keys per scope."""

from __future__ import annotations

import hashlib
import os
import random
from datetime import timedelta
from typing import AsyncIterator

import pytest

from storage import InvalidRange, ObjectStore, new_key
from storage.encrypted import (
    CHUNK,
    HEADER,
    MAGIC,
    SEALED,
    EncryptedStore,
    KeyUnavailable,
    ObjectCorrupted,
    TAG as TAG_SIZE,
    StaticKeyring,
    is_sealed,
    key_id_of,
    sealed_size,
)
from storage.local import LocalStore
from storage.s3 import S3Store
from tests.test_storage_contract import chunks_of

pytest_plugins = ["tests.support.seaweedfs"]

KEY_A, KEY_B = os.urandom(32), os.urandom(32)


@pytest.fixture(params=["local", "s3"])
async def store(request, tmp_path) -> AsyncIterator[EncryptedStore]:
    if request.param == "local":
        inner: ObjectStore = LocalStore(tmp_path / "objects")
    else:
        server = request.getfixturevalue("seaweedfs")
        inner = S3Store(server.endpoint, server.access_key, server.secret_key, "storage-encrypted",
                        secure=False)
        await inner.ensure_bucket()
    encrypted = EncryptedStore(inner, StaticKeyring({1: KEY_A, 2: KEY_B}, scopes={"school:2": 2}))
    try:
        yield encrypted
    finally:
        if isinstance(inner, S3Store):
            async for info in inner.list():
                await inner.delete(info.key)
            await inner.cleanup_temp(older_than=timedelta(0))
        await encrypted.close()


async def raw(store: EncryptedStore, key: str) -> bytes:
    return await (await store.inner.open(key)).read_all()


async def replace_raw(store: EncryptedStore, key: str, data: bytes) -> None:
    await store.inner.put(key, chunks_of(data))


async def read(store: ObjectStore, key: str, start: int = 0, end: int | None = None) -> bytes:
    async with await store.open(key, start, end) as stream:
        return await stream.read_all()


async def test_stored_bytes_hold_no_plaintext(store):
    text = b"Klassenarbeit Mathematik 7b, Noten: " * 4000  # repetitive, so any leak would show
    key = new_key("files/")
    stored = await store.put(key, chunks_of(text, 10_000))
    assert (stored.size, stored.sha256) == (len(text), hashlib.sha256(text).hexdigest())
    ciphertext = await raw(store, key)
    assert ciphertext.startswith(MAGIC) and len(ciphertext) == sealed_size(len(text))
    assert b"Klassenarbeit" not in ciphertext and b"Noten" not in ciphertext
    assert await read(store, key) == text
    assert (await store.stat(key)).size == len(text)
    assert await store.is_encrypted(key)


async def test_ranges_across_chunk_borders(store):
    size = 5 * CHUNK + 123
    data = os.urandom(size)
    key = new_key()
    await store.put(key, chunks_of(data, 50_000))
    borders = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 4 * CHUNK + 7, 5 * CHUNK, size - 1, size]
    ranges = [(a, b) for a in borders for b in borders if a <= b]
    rng = random.Random(6)
    ranges += [tuple(sorted((rng.randrange(size + 1), rng.randrange(size + 1)))) for _ in range(20)]
    for start, end in ranges:
        assert await read(store, key, start, end) == data[start:end], (start, end)
    assert await read(store, key, 3 * CHUNK + 5) == data[3 * CHUNK + 5:]
    with pytest.raises(InvalidRange):
        await store.open(key, size + 1)


async def test_a_tampered_chunk_fails_and_never_yields_its_bytes(store):
    data = os.urandom(3 * CHUNK + 10)
    key = new_key()
    await store.put(key, chunks_of(data))
    stored = bytearray(await raw(store, key))
    stored[HEADER.size + SEALED + 100] ^= 1  # one bit in chunk 1
    await replace_raw(store, key, bytes(stored))

    assert await read(store, key, 0, CHUNK) == data[:CHUNK]  # chunk 0 is intact
    assert await read(store, key, 2 * CHUNK, 2 * CHUNK + 5) == data[2 * CHUNK: 2 * CHUNK + 5]
    with pytest.raises(ObjectCorrupted, match="chunk 1"):
        await store.open(key, CHUNK + 3, CHUNK + 4)  # the first needed chunk is checked in open()
    received = b""
    with pytest.raises(ObjectCorrupted):
        async with await store.open(key) as stream:
            async for piece in stream:
                received += piece
    assert data.startswith(received) and len(received) <= CHUNK


@pytest.mark.parametrize("damage", ["truncate-at-chunk", "truncate-mid-chunk", "drop-middle-chunk",
                                    "swap-chunks", "header-key-id", "moved-to-other-key", "append"])
async def test_structural_damage_is_detected(store, damage):
    data = os.urandom(3 * CHUNK + 10)
    key = new_key()
    await store.put(key, chunks_of(data))
    stored = await raw(store, key)
    head, body = stored[: HEADER.size], stored[HEADER.size:]
    chunks = [body[i: i + SEALED] for i in range(0, len(body), SEALED)]
    if damage == "truncate-at-chunk":
        stored = head + b"".join(chunks[:3])
    elif damage == "truncate-mid-chunk":
        stored = stored[:-5]
    elif damage == "drop-middle-chunk":
        stored = head + chunks[0] + chunks[2] + chunks[3]
    elif damage == "swap-chunks":
        stored = head + chunks[1] + chunks[0] + chunks[2] + chunks[3]
    elif damage == "header-key-id":
        stored = head[:9] + (2).to_bytes(4, "big") + head[13:] + body
    elif damage == "append":
        stored = stored + chunks[0]
    if damage == "moved-to-other-key":
        key = new_key()
    await replace_raw(store, key, stored)
    with pytest.raises(ObjectCorrupted):
        await read(store, key)


async def test_wrong_or_unknown_data_key(store):
    data = b"secret" * 1000
    key = new_key()
    await store.put(key, chunks_of(data))
    wrong = EncryptedStore(store.inner, StaticKeyring({1: KEY_B}))
    with pytest.raises(ObjectCorrupted):
        await read(wrong, key)
    unknown = EncryptedStore(store.inner, StaticKeyring({9: KEY_A}))
    with pytest.raises(KeyUnavailable):
        await read(unknown, key)


async def test_plain_objects_from_before_encryption_stay_readable(store):
    data = os.urandom(2 * CHUNK + 99)
    key = new_key()
    await store.inner.put(key, chunks_of(data))  # written without encryption
    assert not await store.is_encrypted(key)
    assert await read(store, key) == data
    assert await read(store, key, 5, CHUNK + 9) == data[5: CHUNK + 9]
    assert await read(store, key, CHUNK + 1) == data[CHUNK + 1:]
    assert (await store.stat(key)).size == len(data)
    empty = new_key()
    await store.inner.put(empty, chunks_of(b""))
    assert await read(store, empty) == b""
    sizes = {info.key: info.size async for info in store.list()}
    assert sizes == {key: len(data), empty: 0}


async def test_scoped_views_write_with_their_scope_key(store):
    key_default, key_school = new_key(), new_key()
    await store.put(key_default, chunks_of(b"a"))
    await store.scoped("school:2").put(key_school, chunks_of(b"b"))
    ids = [HEADER.unpack((await raw(store, k))[: HEADER.size])[2] for k in (key_default, key_school)]
    assert ids == [1, 2]
    only_b = EncryptedStore(store.inner, StaticKeyring({2: KEY_B}))
    assert await read(only_b, key_school) == b"b"  # any view reads any object: the header names the key
    with pytest.raises(KeyUnavailable):
        await read(only_b, key_default)


@pytest.mark.parametrize("size", [0, 1, 5000, CHUNK, 2 * CHUNK + 1])
async def test_sealed_values_open_only_under_their_name(store, size):
    data = os.urandom(size)
    sealed = await store.scoped("school:2").seal("preview/7", data)
    assert is_sealed(sealed) and key_id_of(sealed) == 2 and len(sealed) == sealed_size(size)
    # Plaintext must not show through; below 16 bytes a random match somewhere in the sealed bytes is
    # likely by chance (one byte: about 1 in 5), so only longer values can be checked this way.
    assert len(data) < 16 or data[:64] not in sealed
    assert await store.unseal("preview/7", sealed) == data
    with pytest.raises(ObjectCorrupted):
        await store.unseal("preview/8", sealed)  # moved to another version
    damaged = bytearray(sealed)
    damaged[-1] ^= 1
    with pytest.raises(ObjectCorrupted):
        await store.unseal("preview/7", bytes(damaged))
    with pytest.raises(ObjectCorrupted):
        await store.unseal("preview/7", sealed[:-TAG_SIZE])  # a chunk cut off
    assert await store.unseal("preview/7", b"RIFF plain from before") == b"RIFF plain from before"


async def test_key_id_names_the_data_key_of_an_object(store):
    plain, school = new_key(), new_key()
    await store.inner.put(plain, chunks_of(b"plain"))
    await store.scoped("school:2").put(school, chunks_of(b"b"))
    assert await store.key_id(plain) is None and await store.key_id(school) == 2
