"""The audit trail for school administrators: filter the events of their own school, export them as
CSV, and check the hash chain. Services without HTTP; pages and the JSON API share them."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from tortoise.expressions import Q

from schoolcloud.accounts.models import User
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.accounts.services_base import Page, page_bounds, record
from schoolcloud.privacy import audit
from schoolcloud.privacy.models import AuditEvent
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import N_

CSV_COLUMNS = ("id", "created_at", "action", "actor", "target_type", "target_id", "ip", "details", "hash")
CSV_BATCH = 1000
FILTER_FIELDS = ("from", "to", "kind", "actor", "target")


@dataclass
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    kind: str = ""  # an action ("files.trash") or a category ("files")
    actor: str = ""  # the actor's pseudonym (public id)
    target: str = ""  # a target id, e.g. a user's public id

    def query_dict(self, raw: dict) -> dict:
        """The filter as the query string that produced it (for pager and export links)."""
        return {name: raw.get(name, "") for name in FILTER_FIELDS if raw.get(name)}


def _moment(value: str, field: str, errors: list[AppError], *, end: bool) -> datetime | None:
    """A date (whole day; ``end`` means up to its end) or an ISO date-time; naive means UTC."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(), timezone.utc)
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
    except ValueError:
        errors.append(AppError("date_invalid", N_("Please enter a date as YYYY-MM-DD."), field=field))
        return None
    return moment


def parse_filter(raw) -> AuditFilter:
    """Check the filter fields of a query string; every bad field is named (422)."""
    errors: list[AppError] = []
    since = _moment(raw.get("from", ""), "from", errors, end=False)
    until = _moment(raw.get("to", ""), "to", errors, end=True)
    if since and until and since >= until:
        errors.append(AppError("range_invalid", N_("The end must not be before the start."), field="to"))
    kind = (raw.get("kind") or "").strip()
    if len(kind) > 64 or any(not (c.isalnum() or c in "._-") for c in kind):
        errors.append(AppError("kind_invalid", N_("Please choose one of the offered values."), field="kind"))
    actor = (raw.get("actor") or "").strip().lower()
    if actor:
        try:
            actor = str(uuid.UUID(actor))
        except ValueError:
            errors.append(AppError("pseudonym_invalid", N_("A pseudonym looks like "
                                                             "3f2b6c1e-8d4a-4e2f-9b1a-0c5d7e9f1a2b."), field="actor"))
    target = (raw.get("target") or "").strip()[:64]
    if errors:
        raise ValidationError(errors)
    return AuditFilter(since, until, kind, actor, target)


def _query(school_id: int, wanted: AuditFilter):
    # Events whose content the retention rule removed are links of the chain only, not events to show.
    query = AuditEvent.filter(school_id=school_id, pruned_by=None)
    if wanted.since:
        query = query.filter(created_at__gte=wanted.since)
    if wanted.until:
        query = query.filter(created_at__lt=wanted.until)
    if wanted.kind:
        query = query.filter(Q(action=wanted.kind) | Q(action__startswith=f"{wanted.kind}."))
    if wanted.actor:
        query = query.filter(actor=wanted.actor)
    if wanted.target:
        query = query.filter(target_id=wanted.target)
    return query


async def list_events(actor: User, wanted: AuditFilter, *, page=1, per_page=50) -> Page[AuditEvent]:
    """Events of the administrator's own school, newest first."""
    school_id = require_school_admin(actor)
    query = _query(school_id, wanted)
    page_no, size = page_bounds(page, per_page)
    total = await query.count()
    items = await query.order_by("-id").offset((page_no - 1) * size).limit(size)
    return Page(items, total, page_no, size)


async def kinds(actor: User) -> list[str]:
    """The actions that occur in the school's trail, for the filter's choices."""
    school_id = require_school_admin(actor)
    return sorted(set(await AuditEvent.filter(school_id=school_id, pruned_by=None).distinct().values_list("action", flat=True)))


def _cell(value) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def event_row(event: AuditEvent) -> list[str]:
    import json

    return [_cell(v) for v in (event.id, event.created_at.isoformat(), event.action, event.actor,
                               event.target_type, event.target_id, event.ip,
                               json.dumps(event.details, ensure_ascii=False, sort_keys=True), event.hash)]


async def export_csv(actor: User, wanted: AuditFilter):
    """The filtered events as CSV, oldest first, produced in batches (memory stays flat for long trails).
    The export itself is an audit event."""
    school_id = require_school_admin(actor)
    await record("audit.exported", actor, school_id=school_id, details={
        "from": wanted.since.isoformat() if wanted.since else "", "to": wanted.until.isoformat() if wanted.until else "",
        "kind": wanted.kind, "actor": wanted.actor, "target": wanted.target})
    query = _query(school_id, wanted)

    async def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        last_id = 0
        while True:
            batch = await query.filter(id__gt=last_id).order_by("id").limit(CSV_BATCH)
            for event in batch:
                writer.writerow(event_row(event))
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            if len(batch) < CSV_BATCH:
                return
            last_id = batch[-1].id

    return rows()


async def chain_status(actor: User) -> audit.ChainCheck:
    """Whether the instance's whole chain verifies (the events of all schools are links of one chain)."""
    require_school_admin(actor)
    return await audit.check_chain()
