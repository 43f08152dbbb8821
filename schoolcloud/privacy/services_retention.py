"""Retention: each school's rules (retention_rules.py), what they would delete now (the dry run), and the
run that deletes exactly that. Services without HTTP; the page, the CLI and the daily job share them.

A run for one school, in this order: pupils who left (through the one erasure, accounts.services_users
.erase_account, so files, objects, shares and sessions go too), expired trash, expired public links, read
notifications, task records of erased teachers (only when the school set that rule; tasks/records.py),
and last the content of old audit events (privacy/audit.py ``prune``: the chain stays
verifiable). Each run is an audit event (``retention.applied``) with its counts.

A rule whose value deletes is applied only once an administrator of the school saved the rules with it
(``retention_rules.pending``): the defaults of a school that never saved its rules, and a rule an upgrade
adds, are a dry run until then, and the run tells the school's administrators (a notification).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from tortoise.expressions import Subquery

from schoolcloud.accounts.models import Role, School, User
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.accounts.services_base import record
from schoolcloud.files.context import FilesContext
from schoolcloud.files.models import Node
from schoolcloud.files.sharing_models import PublicLink
from schoolcloud.files.trash import expired_trash, purge_expired
from schoolcloud.privacy import audit, retention_rules
from schoolcloud.privacy.models import AccountRestriction
from schoolcloud.privacy.retention_models import RetentionPolicy
from schoolcloud.tasks import records as task_records
from schoolcloud.tasks.models import Notification, NotificationKind
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_

# A rule for leavers never empties a school of all its pupils: that is a botched school-year change
# (every class ended), not people who left. Below this many pupils the case is not told apart.
ALL_LEFT_MINIMUM = 2


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


async def rules_of(school_id: int) -> dict[str, int | None]:
    return (await rules_and_pending(school_id))[0]


async def rules_and_pending(school_id: int) -> tuple[dict[str, int | None], list[str]]:
    """The school's rules, and those of them not applied yet because no administrator of the school agreed
    to their value."""
    row = await RetentionPolicy.get_or_none(school_id=school_id)
    if row is None:
        values = retention_rules.defaults()
        return values, retention_rules.pending(values, None)
    values = {rule.name: getattr(row, rule.name) for rule in retention_rules.RULES}
    return values, retention_rules.pending(values, row.confirmed)


async def _all_pupils_leaving(school_id: int, left_before: datetime | None) -> bool:
    """Whether every pupil (at least ALL_LEFT_MINIMUM) counts as left (before ``left_before``, if given)."""
    pupils = User.filter(school_id=school_id, role=Role.PUPIL)
    total = await pupils.count()
    leaving = pupils.filter(left_at__not_isnull=True)
    if left_before is not None:
        leaving = leaving.filter(left_at__lt=left_before)
    return total >= ALL_LEFT_MINIMUM and await leaving.count() == total


def _everyone_left() -> AppError:
    return AppError("all_pupils_left", N_("Every pupil of the school is marked as left, so the rule for leavers "
                                          "would delete all pupil accounts. It deletes nobody until this is "
                                          "corrected: reactivate the pupils who are still at the school."),
                    status=409)


async def update_rules(actor: User, raw) -> dict[str, int | None]:
    """Save the school's rules (422 for values out of bounds, 409 for a leaver rule that would delete every
    pupil now); the change is audited with old and new values."""
    school_id = require_school_admin(actor)
    values = retention_rules.parse(raw)
    if await _all_pupils_leaving(school_id, now() - timedelta(days=values["leavers_days"])):
        raise _everyone_left()
    old, pending = await rules_and_pending(school_id)
    changed = {name: [old[name], value] for name, value in values.items() if old[name] != value}
    if not changed and not pending and await RetentionPolicy.exists(school_id=school_id):
        return values
    # Saving the form agrees to every rule on it, the unchanged ones included.
    confirmed = [rule.name for rule in retention_rules.RULES]
    row, _created = await RetentionPolicy.get_or_create(school_id=school_id, defaults=values)
    await row.update_from_dict({**values, "confirmed": confirmed, "updated_by": str(actor.public_id)}).save()
    await record("retention.rules_changed", actor, school_id=school_id, target_type="school", target_id=school_id,
                 details={"changed": changed, "confirmed": pending})
    return values


@dataclass
class Plan:
    """What a run for one school deletes; the dry run shows it, the run deletes exactly these."""

    school_id: int
    at: datetime
    rules: dict
    trash_days: int
    leavers: list[User] = field(default_factory=list)
    frozen_leavers: list[User] = field(default_factory=list)  # Art. 18: kept although due
    trash: list[Node] = field(default_factory=list)
    links: list[PublicLink] = field(default_factory=list)
    notifications: int = 0
    # (top-level node, day kept) of erased teachers' task records; empty while the rule is empty (kept)
    task_records: list[tuple[Node, datetime]] = field(default_factory=list)
    task_records_held: int = 0  # due, but their task still accepts work
    pending: list[str] = field(default_factory=list)  # rules shown but not applied (not agreed to yet)
    audit_events: int = 0
    refusals: list[AppError] = field(default_factory=list)

    def cutoff(self, name: str) -> datetime:
        days = self.trash_days if name == "trash_days" else self.rules[name]
        return self.at - timedelta(days=days)

    def counts(self) -> dict[str, int]:
        return {"leavers": len(self.leavers), "trash": len(self.trash), "links": len(self.links),
                "notifications": self.notifications, "task_records": len(self.task_records),
                "audit_events": self.audit_events}

    def applies(self, counted: str) -> bool:
        """Whether the run deletes what the count ``counted`` lists (its rule is agreed to)."""
        return retention_rules.COUNTED_BY[counted] not in self.pending

    def applied_counts(self) -> dict[str, int]:
        return {name: count if self.applies(name) else 0 for name, count in self.counts().items()}

    @property
    def keeps_task_records(self) -> bool:
        """No rule for task records: they stay as long as their task (the dry run says so)."""
        return self.rules["task_records_days"] is None

    def as_dict(self) -> dict:
        """For the command line and the JSON API: pseudonyms and ids, no names."""
        return {"school": self.school_id, "at": self.at.isoformat(), "rules": self.rules, "counts": self.counts(),
                "leavers": [{"user": str(u.public_id), "left_at": u.left_at.isoformat()} for u in self.leavers],
                "kept_frozen": [str(u.public_id) for u in self.frozen_leavers],
                "trash": [{"node": n.id, "space": n.space_id, "trashed_at": n.trashed_at.isoformat()}
                          for n in self.trash],
                "links": [{"link": link.id, "expires_at": link.expires_at.isoformat()} for link in self.links],
                "task_records": [{"node": n.id, "space": n.space_id, "kept_at": kept_at.isoformat()}
                                 for n, kept_at in self.task_records],
                "task_records_kept": "while_task_exists" if self.keeps_task_records else None,
                "task_records_held": self.task_records_held,
                "refused": [e.code for e in self.refusals], "pending": self.pending}


async def plan(files: FilesContext, school_id: int, at: datetime | None = None) -> Plan:
    """What the school's rules delete at ``at`` (default now). Deletes nothing."""
    from schoolcloud.files.trash import trash_days_for

    at = at or now()
    rules, pending = await rules_and_pending(school_id)
    result = Plan(school_id, at, rules, await trash_days_for(files, school_id), pending=pending)
    due = User.filter(school_id=school_id, role=Role.PUPIL, left_at__lt=result.cutoff("leavers_days")) \
        .order_by("left_at", "id")
    if await _all_pupils_leaving(school_id, None):
        result.refusals.append(_everyone_left())
    else:
        frozen = set(await AccountRestriction.filter(school_id=school_id).values_list("user_id", flat=True))
        for user in await due:
            (result.frozen_leavers if user.id in frozen else result.leavers).append(user)
    result.trash = list(await expired_trash(files, at, school_id=school_id))
    result.links = list(await PublicLink.filter(school_id=school_id, expires_at__lt=result.cutoff("links_days"))
                        .order_by("expires_at", "id"))
    result.notifications = await _notifications(result).count()
    if not result.keeps_task_records:
        result.task_records, result.task_records_held = await task_records.due(
            school_id, result.cutoff("task_records_days"), at)
    result.audit_events = await audit.count_prunable(school_id, result.cutoff("audit_days"))
    return result


def _notifications(p: Plan):
    # A subquery, not a join: DELETE with a join is not portable.
    users = Subquery(User.filter(school_id=p.school_id).values("id"))
    return Notification.filter(user_id__in=users, read_at__lt=p.cutoff("notifications_days"))


async def apply(files: FilesContext, p: Plan, *, actor: User | None = None) -> dict[str, int]:
    """Delete what the plan lists; returns the counts done. Something that changed since the plan (a
    leaver reactivated, a trash entry restored) is left alone."""
    from schoolcloud.accounts.services_users import erase_account

    done = dict.fromkeys(p.counts(), 0)
    failed = 0
    for user in p.leavers if p.applies("leavers") else ():
        current = await User.get_or_none(id=user.id, school_id=p.school_id, left_at__lt=p.cutoff("leavers_days"))
        if current is None or await AccountRestriction.exists(user_id=user.id):
            continue
        try:
            await erase_account(current, actor=actor, files=files, reason="retention")
        except AppError:  # erased concurrently, or an erasure of it is running: the next run sees it
            failed += 1
            continue
        done["leavers"] += 1
    if p.applies("trash"):
        still_due = {n.id for n in await expired_trash(files, p.at, school_id=p.school_id)}
        done["trash"] = await purge_expired(files, [n for n in p.trash if n.id in still_due], reason="retention")
    if p.applies("links"):
        done["links"] = await PublicLink.filter(id__in=[link.id for link in p.links],
                                                expires_at__lt=p.cutoff("links_days")).delete()
    if p.applies("notifications"):
        done["notifications"] = await _notifications(p).delete()
    if p.task_records and p.applies("task_records"):
        # Those still due now: a task deleted or given a new due date in between is left alone.
        still, _held = await task_records.due(p.school_id, p.cutoff("task_records_days"), p.at)
        still_ids = {node.id for node, _kept in still}
        gone = [node for node, _kept in p.task_records if node.id in still_ids]
        await task_records.purge(files, gone)
        done["task_records"] = len(gone)
    if p.applies("audit_events"):
        done["audit_events"] = await audit.prune(p.school_id, p.cutoff("audit_days"), actor=actor)
    if p.pending:
        await _tell_admins(p)
    await record("retention.applied", actor, school_id=p.school_id, target_type="school", target_id=p.school_id,
                 details={**done, "failed": failed, "refused": [e.code for e in p.refusals], "pending": p.pending})
    return done


async def _tell_admins(p: Plan) -> None:
    """One notification per administrator and set of pending rules (the key), linking to the rules."""
    tag = hashlib.sha256(",".join(sorted(p.pending)).encode()).hexdigest()[:16]
    admins = await User.filter(school_id=p.school_id, role=Role.SCHOOL_ADMIN, active=True).values_list("id", flat=True)
    if not admins:
        return
    await Notification.bulk_create([Notification(user_id=admin, kind=NotificationKind.RETENTION, created_at=p.at,
                                                 key=f"retention_pending:{tag}") for admin in admins],
                                   ignore_conflicts=True)


async def plan_for_admin(files: FilesContext, actor: User) -> Plan:
    return await plan(files, require_school_admin(actor))


async def apply_for_admin(files: FilesContext, actor: User) -> tuple[Plan, dict[str, int]]:
    """"Apply now" on the page: the same run as the daily one, for the admin's own school."""
    p = await plan(files, require_school_admin(actor))
    return p, await apply(files, p, actor=actor)


async def run(files: FilesContext, *, dry_run: bool, school_id: int | None = None, at: datetime | None = None):
    """Every school (or one), for the CLI and the daily job: yields (plan, counts done or None)."""
    schools = School.filter(id=school_id) if school_id is not None else School.all()
    for sid in await schools.order_by("id").values_list("id", flat=True):
        p = await plan(files, sid, at)
        yield p, (None if dry_run else await apply(files, p))
