"""`schoolcloud fsck`: do the database and the object store agree?

Finds
- orphan objects: in the store, but no version, tus part or data export row points at them (left by a crash between
  "bytes stored" and "row committed", or by a delete that failed after its rows were gone);
- missing objects: a version or tus part row points at a key the store does not have;
- usage drift: a space's ``used_bytes`` differs from the sum of its versions' sizes;
- data keys of encryption at rest whose school no longer exists (``keyring.school_of``).

``--repair`` deletes orphan objects older than the grace period (younger ones may belong to an upload
that is about to commit its row), removes leftovers of interrupted writes, marks versions whose object
is missing (``missing_at``; the row stays, and is unmarked should the object come back, e.g. from a
backup), terminates tus uploads with missing parts, and corrects usage. As a guard against pointing
fsck at the wrong bucket or database, it refuses to delete when most objects look orphaned, unless
``force``. A data key of a deleted school is deleted only when no object that stays in the store and no
thumbnail is encrypted with it (each remaining object's header is read for that, only when there is
such a key); otherwise it is kept and named.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from schoolcloud.files.content import discard
from schoolcloud.files.context import FilesContext
from schoolcloud.accounts.models import School
from schoolcloud.files.keyring import school_of
from schoolcloud.files.models import DataKey, FileVersion, Node, Space, TusPart, TusUpload
from schoolcloud.files.tus import expire_uploads, terminate_upload
from schoolcloud.privacy import audit
from storage import ObjectNotFound, StorageError
from storage.encrypted import EncryptedStore, key_id_of

log = logging.getLogger(__name__)
SAFETY_MIN_OBJECTS = 20


@dataclass
class Report:
    objects: int = 0
    orphans: list[str] = field(default_factory=list)  # older than the grace period
    young_orphans: list[str] = field(default_factory=list)  # may be uploads in flight
    missing_versions: list[int] = field(default_factory=list)  # not yet marked
    marked_versions: list[int] = field(default_factory=list)  # marked missing earlier, still missing
    reappeared_versions: list[int] = field(default_factory=list)
    missing_parts: list[str] = field(default_factory=list)  # tus upload ids
    usage_drift: dict[int, tuple[int, int]] = field(default_factory=dict)  # space: (recorded, actual)
    unowned_keys: dict[int, str] = field(default_factory=dict)  # data key id: scope, of a deleted school
    kept_keys: list[int] = field(default_factory=list)  # of those, still used by an object (repair)
    removed_keys: int = 0
    repaired: bool = False
    refused: str = ""
    removed_orphans: int = 0
    removed_temp: int = 0
    expired_uploads: int = 0

    @property
    def problems(self) -> int:
        return (len(self.orphans) + len(self.missing_versions) + len(self.reappeared_versions)
                + len(self.missing_parts) + len(self.usage_drift) + len(self.unowned_keys))

    @property
    def clean(self) -> bool:
        return self.problems == 0

    def lines(self) -> list[str]:
        out = [f"objects in store: {self.objects}"]

        def some(items) -> str:
            shown = ", ".join(str(i) for i in items[:20])
            return shown + (f", ... ({len(items) - 20} more)" if len(items) > 20 else "")

        if self.orphans:
            out.append(f"objects without rows: {len(self.orphans)}: {some(self.orphans)}")
        if self.young_orphans:
            out.append(f"recent objects without rows (uploads in flight?), left alone: {len(self.young_orphans)}")
        if self.missing_versions:
            out.append(f"versions without objects: {len(self.missing_versions)}: {some(self.missing_versions)}")
        if self.marked_versions:
            out.append(f"versions marked missing earlier: {len(self.marked_versions)}: {some(self.marked_versions)}")
        if self.reappeared_versions:
            out.append(f"versions whose object is back: {len(self.reappeared_versions)}")
        if self.missing_parts:
            out.append(f"resumable uploads with missing parts: {len(self.missing_parts)}")
        for space_id, (recorded, actual) in sorted(self.usage_drift.items()):
            out.append(f"space {space_id}: usage recorded {recorded} bytes, versions hold {actual} bytes")
        if self.unowned_keys:
            out.append(f"data keys of deleted schools: {len(self.unowned_keys)}: "
                       + some([f"{key_id} ({scope})" for key_id, scope in sorted(self.unowned_keys.items())]))
        if self.kept_keys:
            out.append(f"data keys of deleted schools kept, objects are still encrypted with them: "
                       f"{some(self.kept_keys)}")
        if self.refused:
            out.append(f"REPAIR REFUSED: {self.refused}")
        elif self.repaired:
            out.append(f"repaired: {self.removed_orphans} orphan objects deleted, {self.removed_temp} temporary "
                       f"leftovers removed, {len(self.missing_versions)} versions marked missing, "
                       f"{len(self.missing_parts)} broken uploads terminated, {len(self.usage_drift)} usage "
                       f"figures corrected, {self.expired_uploads} expired uploads removed, {self.removed_keys} "
                       "data keys of deleted schools deleted")
        out.append("clean" if self.clean or (self.repaired and not self.refused) else
                   f"problems: {self.problems}")
        return out


async def _referenced() -> tuple[dict[str, int], dict[str, str], set[int]]:
    versions: dict[str, int] = {}
    marked: set[int] = set()
    last = 0
    while True:
        rows = await FileVersion.filter(id__gt=last).order_by("id").limit(5000) \
            .values_list("id", "object_key", "missing_at")
        if not rows:
            break
        for version_id, key, missing_at in rows:
            versions[key] = version_id
            if missing_at is not None:
                marked.add(version_id)
        last = rows[-1][0]
    parts = dict(await TusPart.all().values_list("object_key", "upload_id"))
    return versions, parts, marked


async def _held_elsewhere(keys=None) -> set[str]:
    """Objects other domains point at: data export archives (privacy). ``keys``: only among these."""
    from schoolcloud.privacy.models import DataExport

    query = DataExport.exclude(object_key="") if keys is None else DataExport.filter(object_key__in=keys)
    return set(await query.values_list("object_key", flat=True))


async def check(ctx: FilesContext, now: datetime, *, repair: bool = False, grace: timedelta | None = None,
                force: bool = False) -> Report:
    grace = ctx.limits.fsck_grace if grace is None else grace
    report = Report()
    versions, parts, marked = await _referenced()
    held = await _held_elsewhere()
    seen: set[str] = set()
    async for info in ctx.store.list_stored(""):  # keys and times are enough: no look into each object
        report.objects += 1
        seen.add(info.key)
        if info.key in versions or info.key in parts or info.key in held:
            continue
        if info.modified is not None and now - info.modified < grace:
            report.young_orphans.append(info.key)
        else:
            report.orphans.append(info.key)
    # A row committed while we listed is not an orphan: look again before calling it one.
    if report.orphans:
        still = set()
        for start in range(0, len(report.orphans), 500):
            chunk = report.orphans[start:start + 500]
            still |= set(await FileVersion.filter(object_key__in=chunk).values_list("object_key", flat=True))
            still |= set(await TusPart.filter(object_key__in=chunk).values_list("object_key", flat=True))
            still |= await _held_elsewhere(chunk)
        report.orphans = [k for k in report.orphans if k not in still]
    for key, version_id in versions.items():
        if key in seen:
            if version_id in marked:
                report.reappeared_versions.append(version_id)
        elif version_id in marked:
            report.marked_versions.append(version_id)
        elif await FileVersion.filter(id=version_id).exists() and not await ctx.store.exists(key):
            report.missing_versions.append(version_id)
    for key, upload_id in parts.items():
        if key not in seen and await TusPart.filter(object_key=key).exists() and not await ctx.store.exists(key):
            if upload_id not in report.missing_parts:
                report.missing_parts.append(upload_id)
    report.usage_drift = await _usage_drift()
    report.unowned_keys = await _unowned_keys()

    if repair:
        total = report.objects
        if not force and total >= SAFETY_MIN_OBJECTS and len(report.orphans) > total // 2:
            report.refused = (f"{len(report.orphans)} of {total} objects have no row: is this the right "
                              "database and store? Use --force if it is.")
            return report
        await _repair(ctx, report, now, grace, seen - set(report.orphans))
    return report


async def _unowned_keys() -> dict[int, str]:
    """Data keys (also retired ones) of schools that no longer exist."""
    keys = {key_id: scope for key_id, scope in await DataKey.all().values_list("id", "scope")
            if school_of(scope) is not None}
    schools = set(await School.filter(id__in={school_of(scope) for scope in keys.values()})
                  .values_list("id", flat=True))
    return {key_id: scope for key_id, scope in keys.items() if school_of(scope) not in schools}


async def _remove_unowned_keys(ctx: FilesContext, report: Report, remaining: set[str]) -> None:
    """Delete the unowned data keys that no remaining object and no thumbnail is encrypted with. Reads
    the header of every remaining object (16 at a time): only run when there is such a key."""
    from schoolcloud.files.encryption import _thumbnails

    candidates = set(report.unowned_keys)
    used: set[int] = set()
    if not isinstance(ctx.store, EncryptedStore):  # no master key: the headers cannot be told apart
        report.kept_keys = sorted(candidates)
        return
    store = ctx.store

    async def key_of(key: str) -> set[int]:
        try:
            return {await store.key_id(key)} & candidates
        except ObjectNotFound:
            return set()
        except StorageError:  # unreadable (a damaged header): it may be under any of them
            return candidates

    remaining_keys = sorted(remaining)
    for start in range(0, len(remaining_keys), 16):
        for found in await asyncio.gather(*(key_of(k) for k in remaining_keys[start:start + 16])):
            used |= found
    async for _, _, _, data in _thumbnails():
        used |= {key_id_of(bytes(data))} & candidates
    report.kept_keys = sorted(used)
    unused = candidates - used
    if unused:
        report.removed_keys = await DataKey.filter(id__in=unused).delete()


async def _usage_drift() -> dict[int, tuple[int, int]]:
    drift = {}
    actual = {}
    rows = await FileVersion.all().annotate(total=Sum("size")).group_by("node__space_id") \
        .values_list("node__space_id", "total")
    for space_id, total in rows:
        actual[space_id] = int(total or 0)
    for space_id, used in await Space.all().values_list("id", "used_bytes"):
        if used != actual.get(space_id, 0):
            drift[space_id] = (used, actual.get(space_id, 0))
    return drift


async def _repair(ctx: FilesContext, report: Report, now: datetime, grace: timedelta, remaining: set[str]) -> None:
    """``remaining``: the objects that stay in the store (all listed but the orphans removed here)."""
    await discard(ctx, *report.orphans)
    report.removed_orphans = len(report.orphans)
    report.removed_temp = await ctx.store.cleanup_temp(grace)
    if report.missing_versions:
        await FileVersion.filter(id__in=report.missing_versions).update(missing_at=now)
    if report.reappeared_versions:
        await FileVersion.filter(id__in=report.reappeared_versions).update(missing_at=None)
    for upload_id in report.missing_parts:
        upload = await TusUpload.get_or_none(id=upload_id)
        if upload is not None:
            await terminate_upload(ctx, upload)
    # Usage is recomputed now (not from the report) in case uploads finished meanwhile; each space is
    # set in its own statement from a sum taken in that statement's transaction.
    for space_id in report.usage_drift:
        async with in_transaction() as conn:
            node_ids = await Node.filter(space_id=space_id).using_db(conn).values_list("id", flat=True)
            total = 0
            for start in range(0, len(node_ids), 500):
                total += sum(await FileVersion.filter(node_id__in=node_ids[start:start + 500])
                             .using_db(conn).values_list("size", flat=True))
            await Space.filter(id=space_id).using_db(conn).update(used_bytes=total)
    report.expired_uploads = await expire_uploads(ctx, now)
    if report.unowned_keys:
        await _remove_unowned_keys(ctx, report, remaining)
    report.repaired = True
    await audit.record("files.fsck_repair", details={
        "orphans_removed": report.removed_orphans, "versions_marked": len(report.missing_versions),
        "uploads_terminated": len(report.missing_parts), "usage_corrected": len(report.usage_drift),
        "data_keys_deleted": report.removed_keys})
