"""Rules nobody agreed to delete nothing: a school that never saved its retention rules (so the defaults
would apply) and a rule an upgrade adds to saved rules are a dry run only, shown on the page, in the CLI
report and in the record of processing, and the school's administrators get a notification; once an
administrator saves the rules they apply."""

from __future__ import annotations

import pytest

from schoolcloud.accounts.models import Role, User
from schoolcloud.privacy import records
from schoolcloud.privacy import retention_rules
from schoolcloud.privacy import services_retention as retention
from schoolcloud.privacy.models import AuditEvent
from schoolcloud.privacy.retention_models import RetentionPolicy
from schoolcloud.tasks.models import Notification
from storage.local import LocalStore
from tests.support.data import logged_in, make_member, make_school
from tests.support.files import store_keys
from tests.test_privacy_records import settings_of, values
from tests.test_retention import _file_of, _leave

pytestmark = pytest.mark.postgres
ORIGINAL = ["leavers_days", "trash_days", "audit_days", "links_days", "notifications_days"]  # migration 0012


async def test_defaults_nobody_agreed_to_are_a_dry_run_until_an_admin_saves_them(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    old, staying = await make_member(school, Role.PUPIL), await make_member(school, Role.PUPIL)
    _node, key = await _file_of(app, old, "alt.txt")
    await _leave(old, 91)
    store = LocalStore(app.var_dir / "objects")
    assert not await RetentionPolicy.exists(school_id=school.id)

    dry = app.cli("retention", "apply", "--dry-run", "--school", str(school.id))
    assert "leavers 1" in dry.stdout and str(old.public_id) in dry.stdout  # shown what it would delete
    waiting = "not applied until an administrator saves the rules: leavers_days, audit_days, links_days, " \
              "notifications_days"
    assert waiting in dry.stdout
    run = app.cli("retention", "apply", "--school", str(school.id))
    assert f"school {school.id}: deleted: leavers 0" in run.stdout and waiting in run.stdout
    assert await User.filter(id=old.id).exists() and key in set(await store_keys(store))
    event = await AuditEvent.filter(action="retention.applied", school_id=school.id).first()
    assert event.details["leavers"] == 0 and event.details["pending"] == ORIGINAL[:1] + ORIGINAL[2:]
    notice = await Notification.get(user_id=admin.id, kind="retention")
    app.cli("retention", "apply", "--school", str(school.id))
    assert await Notification.filter(user_id=admin.id, kind="retention").count() == 1  # one per set of rules
    assert not await Notification.filter(user_id__in=[old.id, staying.id], kind="retention").exists()
    documented = values(await records.build(school, settings_of(app)), "retention", "en")
    assert "Pupils who left: delete their accounts after (days)" in documented["Not applied yet (not confirmed by the school)"]

    async with logged_in(app, admin, headers={"Accept-Language": "de"}) as http:
        page = await http.get("/notifications")
        assert 'href="/admin/retention"' in page.text
        assert "Löschregeln noch nicht angewandt: bitte prüfen und speichern" in page.text
        listed = (await http.get("/api/v1/notifications")).json()["items"]
        assert any(item["id"] == notice.id and item["kind"] == "retention" and item["task"] is None
                   for item in listed)
        page = await http.get("/admin/retention")
        assert "Noch nicht angewandte Regeln" in page.text and "(noch nicht angewandt)" in page.text
        assert "Jetzt löschen" not in page.text  # nothing the run would delete now
        form = {rule.name: "" if rule.default is None else str(rule.default) for rule in retention_rules.RULES}
        saved = await http.post("/admin/retention", data={**form, "csrf_token": http.csrf["X-CSRF-Token"]})
        assert saved.status_code == 303
        assert "Noch nicht angewandte Regeln" not in (await http.get("/admin/retention")).text
    changed = await AuditEvent.get(action="retention.rules_changed", school_id=school.id)
    assert changed.details == {"changed": {}, "confirmed": ORIGINAL[:1] + ORIGINAL[2:]}
    assert (await retention.rules_and_pending(school.id))[1] == []

    run = app.cli("retention", "apply", "--school", str(school.id))
    assert "leavers 1" in run.stdout and "not applied" not in run.stdout
    assert not await User.filter(id=old.id).exists() and key not in set(await store_keys(store))
    await store.close()


async def test_a_rule_added_by_an_upgrade_is_not_applied_to_saved_rules_until_saved_again(app):
    """Rules saved before an upgrade (the migration marks the five rules of the form as agreed) keep
    applying; a new rule with a value that deletes (here: as if the upgrade had given task records a
    default) is shown but waits for an administrator."""
    school = await make_school()
    await make_member(school, Role.SCHOOL_ADMIN)
    await RetentionPolicy.create(school=school, **{**retention_rules.defaults(), "task_records_days": 30},
                                 confirmed=ORIGINAL)
    assert (await retention.rules_and_pending(school.id))[1] == ["task_records_days"]
    run = app.cli("retention", "apply", "--school", str(school.id))
    assert "not applied until an administrator saves the rules: task_records_days" in run.stdout
    await RetentionPolicy.filter(school_id=school.id).update(task_records_days=None)
    assert (await retention.rules_and_pending(school.id))[1] == []  # empty keeps: nothing to agree to
