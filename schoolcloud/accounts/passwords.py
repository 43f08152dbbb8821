"""Password hashing with argon2id: pupils with OWASP's minimum set, staff with RFC 9106's recommendation.

Parameters by role
    pupil                               m=19 MiB, t=2, p=1  (OWASP's minimum argon2id set), ~25 ms CPU
    teacher, school_admin, operator,
    carrier (everyone else)             m=64 MiB, t=3, p=4  (argon2-cffi's default, RFC 9106's low-memory
                                        recommendation), ~200 ms CPU
    generated one-time passwords        the pupil set, for every role (~74 bits of entropy: see below)

Why pupils get the lighter set (the lead's decision for issue 6, "login storm"):

- Online guessing is not what the hash cost defends against: the IdP's throttle (idp/throttle.py) allows
  5 failures per account and address in 15 minutes and 50 per account an hour, whatever the hash costs.
  The cost matters only offline, after the user table has leaked.
- Offline, OWASP counts m=19 MiB, t=2, p=1 as an adequate argon2id configuration, equivalent in its list
  to the heavier ones. A pupil account reaches that pupil's own files and tasks; a staff account reaches
  grades and the data of whole classes or schools, so staff keep the heavier set where the extra
  margin is worth a slower login.
- A school's first lesson brings 1,000 pupils to the login page within minutes. At ~200 ms of CPU per
  hash that is 200 CPU-seconds, longer than the storm itself on a 2-core instance (issue 6 measured p99
  21 s); at ~25 ms it is 25 CPU-seconds.
- Memory: each hash in progress holds its m. Checks run in worker threads, at most one per core of the
  instance at a time (``check_login``), so the hashing memory of an instance is bounded by
  cores x 19 MiB in a pupils' storm and cores x 64 MiB at worst.

Existing hashes move to their role's set at the next successful login (``check_login``): argon2's
``check_needs_rehash`` only compares the parameters written in the hash, so a login whose hash already
fits costs one hash, as before; only the first login after a change (an old default-cost pupil hash, a
role change) pays a second one. One-time passwords are never rehashed: they are replaced at that login.

An unknown account is "checked" against the pupil set (the common case), so a wrong login name takes as
long as a pupil's; the time can tell staff accounts from the rest, whose names schools publish anyway.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from schoolcloud import hashslots
from schoolcloud.accounts.models import Role, User

_staff_hasher = PasswordHasher()
# Generated one-time passwords carry ~74 bits of entropy (csv_import.initial_password), so guessing them
# offline is hopeless even with a fast hash; the light set keeps a 1000-pupil import within an HTTP request.
_pupil_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

MIN_LENGTH = 8
MAX_LENGTH = 256  # bounds the hashing work an attacker can ask for


def hasher_for(role: str) -> PasswordHasher:
    return _pupil_hasher if role == Role.PUPIL else _staff_hasher


def hash_password(password: str, role: str = Role.TEACHER) -> str:
    """Hash for a password a person chose, with the parameters of ``role`` (staff unless told)."""
    return hasher_for(role).hash(password)


def hash_one_time_password(password: str) -> str:
    """Hash for a generated one-time password (never for one a person chose)."""
    return _pupil_hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Verification reads the parameters from the hash itself. Without a hash (and for a password too
    long to be one) it hashes anyway, with the default set, as public-link passwords are hashed."""
    if not password_hash or len(password) > MAX_LENGTH:
        _staff_hasher.hash("timing-equaliser")
        return False
    try:
        return _staff_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, role: str) -> bool:
    """Whether the stored hash was made with other parameters than ``role`` gets (no hashing involved)."""
    try:
        return hasher_for(role).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@dataclass(frozen=True)
class LoginCheck:
    valid: bool
    new_hash: str | None = None  # the password hashed with the role's parameters, when the stored ones differ


def _check(password_hash: str | None, password: str, role: str, one_time: bool) -> LoginCheck:
    if not password_hash or len(password) > MAX_LENGTH:
        _pupil_hasher.hash("timing-equaliser")  # an unknown account takes as long as a pupil's
        return LoginCheck(False)
    if not verify_password(password_hash, password):
        return LoginCheck(False)
    if one_time or not needs_rehash(password_hash, role):
        return LoginCheck(True)
    return LoginCheck(True, hash_password(password, role))


_limiter: anyio.CapacityLimiter | None = None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


#: Threads of one process that may wait for one of the instance's shared hashing slots at once; further
#: checks wait in the process (first come, first served there too).
SHARED_WAITERS = 64


def _bound(processes: int) -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:  # made inside the event loop, as anyio requires
        _limiter = anyio.CapacityLimiter(SHARED_WAITERS if hashslots.shared() is not None
                                         else max(1, _cores() // max(1, processes)))
    return _limiter


async def _in_thread(processes: int, function, *args):
    """``function(*args)`` in a worker thread: under the instance's shared hashing slots where the
    launcher made them (schoolcloud.hashslots: one queue for all processes), else under this process's
    share of the cores."""
    slots = hashslots.shared()
    if slots is None:
        return await anyio.to_thread.run_sync(function, *args, limiter=_bound(processes))
    return await anyio.to_thread.run_sync(slots.run, function, *args, limiter=_bound(processes))


async def check_login(user: User | None, password: str, processes: int = 1) -> LoginCheck:
    """Check a login's password (and rehash it if its parameters do not fit the role) in a worker thread,
    so the event loop stays free and argon2 (which releases the GIL) can use every core.

    At most one check per core of the instance runs at a time: a storm then queues its checks instead of
    time-slicing dozens of them at once, which would starve the event loop of CPU and multiply the hashing
    memory in use. Under the launcher's supervisor the queue is the instance's (schoolcloud.hashslots),
    shared by its processes in arrival order; otherwise each process takes cores / ``processes`` (the
    instance's server processes, at least one)."""
    stored = user.password_hash if user is not None else None
    role = user.role if user is not None else Role.PUPIL
    one_time = user is not None and user.must_change_password
    return await _in_thread(processes, _check, stored, password, role, one_time)


async def check_password(password_hash: str | None, password: str, processes: int = 1) -> bool:
    """A plain check (no rehash) in a worker thread, under the same bound as ``check_login``."""
    return await _in_thread(processes, verify_password, password_hash, password)
