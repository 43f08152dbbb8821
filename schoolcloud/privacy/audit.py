"""Tamper-evident audit trail: each event's hash covers its content and the previous event's hash."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.transactions import in_transaction

from schoolcloud.privacy.models import AuditEvent

GENESIS = "0" * 64
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
                 target_id: str | int = "", details: dict | None = None, ip: str | None = None) -> AuditEvent:
    """Append an event. ``actor`` is a User (stored as its pseudonymous public id) or None."""
    actor_id = str(actor.public_id) if actor is not None else ""
    details = details or {}
    async with _lock:
        async with in_transaction() as conn:
            if conn.capabilities.dialect == "postgres":
                # Serialises writers across app instances so the chain never forks.
                await conn.execute_query("SELECT pg_advisory_xact_lock(4242001)")
            last = await AuditEvent.all().using_db(conn).order_by("-id").first()
            prev_hash = last.hash if last else GENESIS
            created_at = datetime.now(timezone.utc).replace(microsecond=0)
            fields = dict(school_id=school_id, actor=actor_id, action=action, target_type=target_type,
                          target_id=str(target_id), details=details, ip=truncate_ip(ip))
            digest = event_hash(prev_hash, created_at=created_at, **fields)
            return await AuditEvent.create(using_db=conn, prev_hash=prev_hash, hash=digest,
                                           created_at=created_at, **fields)


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
    async for event in _iterate():
        expected = event_hash(prev_hash, school_id=event.school_id, actor=event.actor, action=event.action,
                              target_type=event.target_type, target_id=event.target_id,
                              details=event.details, ip=event.ip, created_at=event.created_at)
        if event.prev_hash != prev_hash:
            return ChainCheck(False, count, f"event {event.id}: previous hash does not match (an event was removed)",
                              event.id, "removed")
        if event.hash != expected:
            return ChainCheck(False, count, f"event {event.id}: content does not match its hash (the event was changed)",
                              event.id, "changed")
        prev_hash = event.hash
        count += 1
    return ChainCheck(True, count)


async def _iterate(batch: int = 1000):
    last_id = 0
    while True:
        events = await AuditEvent.filter(id__gt=last_id).order_by("id").limit(batch)
        if not events:
            return
        for event in events:
            yield event
        last_id = events[-1].id

