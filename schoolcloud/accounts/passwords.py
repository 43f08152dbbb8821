"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendations)."""

from __future__ import annotations

import os

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Generated one-time passwords carry ~74 bits of entropy (csv_import.initial_password), so guessing them
# offline is hopeless even with a fast hash; OWASP's minimum argon2id set (19 MiB, t=2, p=1) costs ~20 ms
# instead of ~160 ms, which keeps a 1000-pupil import within an HTTP request. Verification reads the
# parameters from the hash, and a password the user chooses later gets the full default set.
_one_time_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

MIN_LENGTH = 8
MAX_LENGTH = 256  # bounds the hashing work an attacker can ask for


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def hash_one_time_password(password: str) -> str:
    """Hash for a generated one-time password (never for one a person chose)."""
    return _one_time_hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash or len(password) > MAX_LENGTH:
        # Hash anyway so that unknown accounts take as long as known ones.
        _hasher.hash("timing-equaliser")
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


_limiter: anyio.CapacityLimiter | None = None


async def check_password(password_hash: str | None, password: str) -> bool:
    """verify_password in a worker thread, at most one per CPU core at a time: a login storm then queues
    its checks (~0.2 s of CPU each) instead of time-slicing dozens of them at once, which would starve
    the event loop, and with it every other request, of CPU."""
    global _limiter
    if _limiter is None:  # made inside the event loop, as anyio requires
        _limiter = anyio.CapacityLimiter(os.cpu_count() or 1)
    return await anyio.to_thread.run_sync(verify_password, password_hash, password, limiter=_limiter)
