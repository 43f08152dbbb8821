"""Tamper-evident audit trail: each event's hash covers its content and the previous event's hash."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.transactions import in_transaction

from schoolcloud import rows
from schoolcloud.privacy.models import AuditEvent

GENESIS = "0" * 64
PRUNED = "audit.pruned"
_lock = asyncio.Lock()


def truncate_ip(ip: str | None) -> str:
    """Keep the network, drop the host: /24 for IPv4, /48 for IPv6."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def event_hash(prev_hash: str, *, school_id, actor, action, target_type, target_id, details, ip,
               created_at: datetime) -> str:
    canonical = json.dumps(
        [prev_hash, school_id, actor, action, target_type, target_id, details, ip, created_at.isoformat()],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def record(action: str, *, actor=None, school_id: int | None = None, target_type: str = "",
                 target_id: str | int = "", details: dict | None = None, ip: str | None = None,
                 together_with: Callable[[], Awaitable[object]] | None = None) -> AuditEvent:
    """Append an event. ``actor`` is a User (stored as its pseudonymous public id) or None.

    ``together_with``: writes that belong with the event (the session a login starts), made first in the
    event's transaction, so that both or neither are stored with one commit. They must not record events
    or open other transactions' locks themselves."""
    actor_id = str(actor.public_id) if actor is not None else ""
    async with _chain_end() as conn:
        if together_with is not None:
            await together_with()
        return await _append(conn, dict(school_id=school_id, actor=actor_id, action=action, target_type=target_type,
                                        target_id=str(target_id), details=details or {}, ip=truncate_ip(ip)))


@contextlib.asynccontextmanager
async def _chain_end():
    """A transaction that alone may append to the chain (in this process and, on PostgreSQL, on all)."""
    async with _lock:
        async with in_transaction() as conn:
            if conn.capabilities.dialect == "postgres":
                # Serialises writers across app instances so the chain never forks.
                await conn.execute_query("SELECT pg_advisory_xact_lock(4242001)")
            yield conn


async def _append(conn, fields: dict) -> AuditEvent:
    # Written by hand (see schoolcloud.rows): every login appends an event, under the chain's lock.
    last = await rows.fetch_one(f"SELECT hash FROM {AuditEvent._meta.db_table} ORDER BY id DESC LIMIT 1",
                                connection=conn)
    prev_hash = last["hash"] if last else GENESIS
    created_at = datetime.now(timezone.utc).replace(microsecond=0)
    digest = event_hash(prev_hash, created_at=created_at, **fields)
    return await rows.insert(conn, AuditEvent, prev_hash=prev_hash, hash=digest, created_at=created_at,
                             pruned_by=None, **fields)


def _prunable(school_id: int, before: datetime):
    # ``audit.pruned`` events stay: each vouches for the events it emptied (see check_chain).
    return AuditEvent.filter(school_id=school_id, created_at__lt=before, pruned_by=None).exclude(action=PRUNED)


async def count_prunable(school_id: int, before: datetime) -> int:
    return await _prunable(school_id, before).count()


async def prune(school_id: int, before: datetime, *, actor=None, reason: str = "retention") -> int:
    """Remove the content of the school's events older than ``before``; returns how many.

    The chain is one for the whole instance, so rows of other schools sit between a school's events and
    none can simply be deleted. The row stays with what the chain needs (ids, school, time, action,
    hashes); actor, target, details and address are emptied. One new ``audit.pruned`` event records how
    many rows it emptied and the sha256 over their hashes, so `audit verify` can tell an emptied row from a
    hidden one. All in one transaction: either every row is emptied and the event is there, or nothing."""
    actor_id = str(actor.public_id) if actor is not None else ""
    async with _chain_end() as conn:
        rows = await _prunable(school_id, before).using_db(conn).order_by("id").values_list("id", "hash")
        if not rows:
            return 0
        summary = hashlib.sha256("".join(h for _, h in rows).encode()).hexdigest()
        event = await _append(conn, dict(
            school_id=school_id, actor=actor_id, action=PRUNED, target_type="", target_id="", ip="",
            details={"count": len(rows), "digest": summary, "before": before.isoformat(), "first_id": rows[0][0],
                     "last_id": rows[-1][0], "reason": reason}))
        ids = [row_id for row_id, _ in rows]
        for start in range(0, len(ids), 500):
            await AuditEvent.filter(id__in=ids[start:start + 500]).using_db(conn).update(
                pruned_by=event.id, actor="", target_type="", target_id="", details={}, ip="")
        return len(rows)


async def verify() -> tuple[bool, int, str]:
    """Walk the chain; return (intact, events checked, description of the first break)."""
    result = await check_chain()
    return result.intact, result.checked, result.problem


@dataclass
class ChainCheck:
    intact: bool
    checked: int
    problem: str = ""  # English, for the command line
    event_id: int | None = None  # the first event that does not fit
    reason: str = ""  # "changed" | "removed"


async def check_chain() -> ChainCheck:
    prev_hash = GENESIS
    count = 0
    emptied: dict[int, int] = {}  # audit.pruned event id -> first row it emptied, as met on the walk
    gone = _DeletedSchools()
    vouched: set[int] = set()
    async for event in _iterate():
        if event.prev_hash != prev_hash:
            return ChainCheck(False, count, f"event {event.id}: previous hash does not match (an event was removed)",
                              event.id, "removed")
        if event.pruned_by is not None:
            # Its content is gone by rule: only the link counts here; the pruning event vouches for it.
            emptied.setdefault(event.pruned_by, event.id)
        else:
            expected = event_hash(prev_hash, school_id=event.school_id, actor=event.actor, action=event.action,
                                  target_type=event.target_type, target_id=event.target_id,
                                  details=event.details, ip=event.ip, created_at=event.created_at)
            if event.hash != expected and not await gone.explains(event, prev_hash):
                return ChainCheck(False, count, f"event {event.id}: content does not match its hash (the event was changed)",
                                  event.id, "changed")
            if event.action == PRUNED:
                if not await _vouches(event):
                    return ChainCheck(False, count, f"event {event.id}: the events it emptied by retention rule do not "
                                      "match (an event was emptied or removed without the rule)", event.id, "removed")
                vouched.add(event.id)
        prev_hash = event.hash
        count += 1
    unvouched = [first for pruned_by, first in emptied.items() if pruned_by not in vouched]
    if unvouched:
        return ChainCheck(False, count, f"event {min(unvouched)}: emptied without a retention run that vouches for "
                          "it (the event was changed)", min(unvouched), "changed")
    return ChainCheck(True, count)


class _DeletedSchools:
    """Deleting a school sets ``school_id`` of its events to NULL (the foreign key), but their hashes
    cover the old id. An event without a school whose hash fits one of the deleted schools' ids is
    intact. Those ids are the numeric targets of ``school`` events whose school no longer exists."""

    def __init__(self) -> None:
        self.ids: list[int] | None = None

    async def explains(self, event: AuditEvent, prev_hash: str) -> bool:
        if event.school_id is not None:
            return False
        if self.ids is None:
            from schoolcloud.accounts.models import School

            named = {int(t) for t in await AuditEvent.filter(target_type="school").distinct()
                     .values_list("target_id", flat=True) if t.isdigit()}
            self.ids = sorted(named - set(await School.filter(id__in=list(named)).values_list("id", flat=True)))
        return any(event.hash == event_hash(prev_hash, school_id=school_id, actor=event.actor, action=event.action,
                                            target_type=event.target_type, target_id=event.target_id,
                                            details=event.details, ip=event.ip, created_at=event.created_at)
                   for school_id in self.ids)


async def _vouches(event: AuditEvent) -> bool:
    """The rows an ``audit.pruned`` event emptied are exactly those it counted and hashed. Read from the
    database here (not from the walk), so a pruning that commits while the walk runs is seen whole."""
    hashes = await AuditEvent.filter(pruned_by=event.id).order_by("id").values_list("hash", flat=True)
    return (len(hashes) == event.details.get("count")
            and hashlib.sha256("".join(hashes).encode()).hexdigest() == event.details.get("digest"))


async def _iterate(batch: int = 1000):
    last_id = 0
    while True:
        events = await AuditEvent.filter(id__gt=last_id).order_by("id").limit(batch)
        if not events:
            return
        for event in events:
            yield event
        last_id = events[-1].id

