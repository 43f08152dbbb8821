"""Retention: a leaver older than the rule is erased through the one erasure (objects gone, fsck clean), a
newer one kept; the dry run deletes nothing and lists what the run then deletes; old audit events lose
their content while `audit verify` still passes and tampering still shows; refused rules; another
school's data untouched."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from tortoise import connections

from schoolcloud.accounts.models import Role, User
from schoolcloud.config import load_settings
from schoolcloud.files.context import open_context
from schoolcloud.files.models import FileVersion, Node
from schoolcloud.jobs.models import PeriodicRun
from schoolcloud.privacy import audit, records
from schoolcloud.privacy import retention_rules
from schoolcloud.privacy import services_retention as retention
from schoolcloud.privacy.models import AuditEvent
from schoolcloud.privacy.retention_models import RetentionPolicy
from storage.local import LocalStore
from tests.support.data import logged_in, make_member, make_school
from tests.support.files import personal_root, store_keys, upload
from tests.test_jobs import until
from tests.test_privacy_erasure import fsck_problems
from tests.test_privacy_records import settings_of, values


def ago(days: int) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


async def _file_of(app, user: User, name: str) -> tuple[int, str]:
    """Upload a file into the user's personal space; returns (node id, object key)."""
    async with logged_in(app, user) as http:
        http.headers.update(http.csrf)
        node = (await upload(http, await personal_root(http), name, name.encode() * 10)).json()
    key = await FileVersion.filter(node_id=node["id"]).first().values_list("object_key", flat=True)
    return node["id"], key


async def _leave(user: User, days_ago: int) -> None:
    await User.filter(id=user.id).update(left_at=ago(days_ago), active=False)


async def agree(school) -> None:
    """The school's administrators saved the default rules (a rule nobody agreed to deletes nothing)."""
    await RetentionPolicy.create(school=school, **retention_rules.defaults(),
                                 confirmed=[rule.name for rule in retention_rules.RULES])


def _listed(output: str) -> list[str]:
    """The entry lines of a CLI report (without the heading, which says dry run or deleted)."""
    return [line for line in output.splitlines() if line.startswith("  ")]


@pytest.mark.postgres
async def test_leavers_and_trash_dry_run_then_run(app):
    school, other = await make_school(), await make_school()
    await agree(school)
    await agree(other)
    await make_member(school, Role.SCHOOL_ADMIN)
    old, recent, staying = [await make_member(school, Role.PUPIL) for _ in range(3)]
    elsewhere = await make_member(other, Role.PUPIL)
    old_node, old_key = await _file_of(app, old, "alt.txt")
    recent_node, recent_key = await _file_of(app, recent, "neu.txt")
    gone_node, gone_key = await _file_of(app, staying, "papierkorb.txt")
    other_node, other_key = await _file_of(app, elsewhere, "andere.txt")
    async with logged_in(app, staying) as http:
        assert (await http.delete(f"/api/v1/files/nodes/{gone_node}", headers=http.csrf)).status_code == 200
    await Node.filter(id=gone_node).update(trashed_at=ago(31))  # TRASH_DAYS is 30
    await _leave(old, 91)
    await _leave(recent, 89)
    await _leave(elsewhere, 400)
    store = LocalStore(app.var_dir / "objects")
    before = fsck_problems(app)

    dry = app.cli("retention", "apply", "--dry-run", "--school", str(school.id))
    assert f"school {school.id}: dry run, nothing deleted: leavers 1, trash 1, links 0" in dry.stdout
    listed = _listed(dry.stdout)
    assert any(str(old.public_id) in line for line in listed)
    assert not any(str(recent.public_id) in line for line in listed)
    assert any(f"trash node {gone_node} " in line for line in listed)
    assert await User.filter(id=old.id).exists() and await Node.filter(id=gone_node).exists()
    assert {old_key, gone_key} <= set(await store_keys(store))

    done = app.cli("retention", "apply", "--school", str(school.id))
    assert f"school {school.id}: deleted: leavers 1, trash 1, links 0" in done.stdout
    assert _listed(done.stdout) == listed  # exactly what the dry run listed
    assert not await User.filter(id=old.id).exists() and not await Node.filter(id__in=[old_node, gone_node]).exists()
    keys = set(await store_keys(store))
    assert old_key not in keys and gone_key not in keys
    assert {recent_key, other_key} <= keys  # the newer leaver and the other school's old leaver stay
    assert await User.filter(id__in=[recent.id, staying.id, elsewhere.id]).count() == 3
    after = fsck_problems(app)
    assert after["orphans"] <= before["orphans"] and after["missing"] <= before["missing"]
    deleted = await AuditEvent.get(action="user.deleted", target_id=str(old.public_id))
    assert deleted.actor == "" and deleted.details["reason"] == "retention" and deleted.details["objects"] == 1
    assert await AuditEvent.filter(action="retention.applied", school_id=school.id).count() == 1
    again = app.cli("retention", "apply", "--school", str(school.id))
    assert "leavers 0, trash 0" in again.stdout


@pytest.mark.postgres
async def test_old_audit_events_lose_their_content_and_the_chain_still_verifies(app):
    school, other = await make_school(), await make_school()
    await agree(school)
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    ours = [await audit.record("user.updated", actor=admin, school_id=school.id, target_type="user",
                               target_id=str(uuid.uuid4()), details={"fields": ["email"]}, ip="10.1.2.3")
            for _ in range(3)]
    theirs = await audit.record("user.updated", actor=admin, school_id=other.id, target_id="x", ip="10.1.2.3")
    settings = load_settings({k: v for k, v in app.env.items() if k.startswith("SCHOOLCLOUD_")})
    later = datetime.now(timezone.utc) + timedelta(days=366)  # the rule: 365 days
    async with open_context(settings) as files:
        plan = await retention.plan(files, school.id, later)
        prunable = await AuditEvent.filter(school_id=school.id, pruned_by=None).exclude(action=audit.PRUNED).count()
        assert plan.audit_events == prunable >= 3
        assert await AuditEvent.filter(id=ours[0].id, actor=str(admin.public_id)).exists()  # the plan deleted nothing
        done = await retention.apply(files, plan)
    assert done["audit_events"] == plan.audit_events
    for event in await AuditEvent.filter(id__in=[e.id for e in ours]):
        assert (event.actor, event.target_id, event.details, event.ip) == ("", "", {}, "")
        assert event.pruned_by is not None
    kept = await AuditEvent.get(id=theirs.id)
    assert kept.pruned_by is None and kept.actor == str(admin.public_id) and kept.ip == "10.1.2.0/24"
    assert app.cli("audit", "verify").returncode == 0

    async with logged_in(app, admin) as http:
        shown = (await http.get("/api/v1/privacy/audit-events", params={"kind": "user.updated"})).json()
        assert shown["total"] == 0  # emptied events are not listed

    # Hiding a live event as "emptied by retention" shows, and so does changing the pruning record.
    pruning = await AuditEvent.get(action=audit.PRUNED, school_id=school.id)
    conn = connections.get("default")
    mark = "$1" if conn.capabilities.dialect == "postgres" else "?"
    mark2 = "$2" if conn.capabilities.dialect == "postgres" else "?"
    await conn.execute_query(f"UPDATE audit_event SET pruned_by = {mark} WHERE id = {mark2}", [pruning.id, theirs.id])
    try:
        broken = app.cli("audit", "verify", check=False)
        assert broken.returncode == 1 and f"event {pruning.id}" in broken.stdout
    finally:
        await conn.execute_query(f"UPDATE audit_event SET pruned_by = NULL WHERE id = {mark}", [theirs.id])
    await conn.execute_query(f"UPDATE audit_event SET pruned_by = NULL WHERE id = {mark}", [ours[1].id])
    try:
        broken = app.cli("audit", "verify", check=False)
        assert broken.returncode == 1 and f"event {ours[1].id}" in broken.stdout  # content gone, hash no longer fits
    finally:
        await conn.execute_query(f"UPDATE audit_event SET pruned_by = {mark} WHERE id = {mark2}", [pruning.id, ours[1].id])
    assert app.cli("audit", "verify").returncode == 0


async def test_rules_out_of_bounds_or_deleting_every_pupil_are_refused(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    pupils = [await make_member(school, Role.PUPIL) for _ in range(2)]
    good = {"leavers_days": "120", "trash_days": "", "audit_days": "400", "links_days": "30",
            "notifications_days": "60"}
    async with logged_in(app, admin, headers={"Accept-Language": "en"}) as http:
        page = await http.get("/admin/retention")
        assert page.status_code == 200 and 'value="90"' in page.text  # the defaults
        token = http.csrf["X-CSRF-Token"]
        bad = await http.post("/admin/retention", data={**good, "audit_days": "0", "leavers_days": "x",
                                                        "csrf_token": token})
        assert bad.status_code == 422
        assert "Please enter a number of days from 90 to 3650." in bad.text
        assert "Please enter a whole number of days." in bad.text
        assert not await RetentionPolicy.exists(school_id=school.id)
        saved = await http.post("/admin/retention", data={**good, "csrf_token": token})
        assert saved.status_code == 303
        assert await retention.rules_of(school.id) == {"leavers_days": 120, "trash_days": None, "audit_days": 400,
                                                        "links_days": 30, "notifications_days": 60,
                                                        "task_records_days": None}
        changed = await AuditEvent.get(action="retention.rules_changed", school_id=school.id)
        assert changed.details["changed"]["leavers_days"] == [90, 120]
        documented = values(await records.build(school, settings_of(app)), "retention", "en")  # Art. 30 record
        assert documented["Accounts of pupils who left"] == "120 days after leaving"
        assert documented["Content of audit events"] == "after 400 days" and documented["Trash"] == "30 days"

        for pupil in pupils:  # a botched school-year change: every pupil counts as left
            await _leave(pupil, 200)
        refused = await http.post("/admin/retention", data={**good, "leavers_days": "150", "csrf_token": token},
                                  headers={"Accept-Language": "de"})
        assert refused.status_code == 409
        assert "würde alle Schülerkonten löschen" in refused.text
        assert (await retention.rules_of(school.id))["leavers_days"] == 120
        run = app.cli("retention", "apply", "--school", str(school.id))
        assert "leavers 0" in run.stdout and "refused all_pupils_left" in run.stdout
        assert await User.filter(id__in=[p.id for p in pupils]).count() == 2


@pytest.mark.postgres
async def test_a_schools_trash_rule_overrides_trash_days(app):
    longer, usual = await make_school(), await make_school()
    await RetentionPolicy.create(school=longer, **{**retention_rules.defaults(), "trash_days": 60})
    keeper, other = await make_member(longer, Role.TEACHER), await make_member(usual, Role.TEACHER)
    nodes = {}
    for user in (keeper, other):
        node, _key = await _file_of(app, user, "weg.txt")
        async with logged_in(app, user) as http:
            assert (await http.delete(f"/api/v1/files/nodes/{node}", headers=http.csrf)).status_code == 200
            nodes[user.id] = node
            if user is keeper:
                assert (await http.get("/api/v1/files/trash")).json()["trash_days"] == 60
    await Node.filter(id__in=list(nodes.values())).update(trashed_at=ago(40))
    app.cli("purge-trash")
    assert await Node.filter(id=nodes[keeper.id]).exists()  # 40 < 60 days: the school's rule keeps it
    assert not await Node.filter(id=nodes[other.id]).exists()  # 40 > TRASH_DAYS (30)
    await Node.filter(id=nodes[keeper.id]).update(trashed_at=ago(61))
    app.cli("purge-trash")
    assert not await Node.filter(id=nodes[keeper.id]).exists()


@pytest.mark.postgres
async def test_the_running_app_applies_retention_daily(app):
    school = await make_school()
    await agree(school)
    old, staying = await make_member(school, Role.PUPIL), await make_member(school, Role.PUPIL)
    await _leave(old, 91)
    before = await until(lambda: PeriodicRun.get_or_none(name="privacy.retention"), 60, "the schedule")
    await PeriodicRun.filter(name="privacy.retention").update(next_run_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    row = await until(lambda: PeriodicRun.filter(name="privacy.retention", runs__gt=before.runs).first(), 60, "the run")
    assert row.last_status == "done" and row.last_result["leavers"] >= 1, row.last_result
    assert not await User.filter(id=old.id).exists() and await User.filter(id=staying.id).exists()
    assert await AuditEvent.filter(action="retention.applied", school_id=school.id).exists()
