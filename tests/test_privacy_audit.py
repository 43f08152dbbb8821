"""The audit trail for school administrators: filtering (own school only), CSV export, truncated IP
addresses, and a tampered row shown by `schoolcloud audit verify` and on the admin page."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from tortoise import connections

from schoolcloud.accounts.models import Role
from schoolcloud.privacy import audit
from schoolcloud.privacy.models import AuditEvent
from tests.support.data import logged_in, make_member, make_school

API = "/api/v1/privacy/audit-events"


@pytest.fixture(scope="module")
async def schools(app):
    """Two schools, each with an admin; school A has a pupil and some events of its own."""
    a, b = await make_school(), await make_school()
    admin_a = await make_member(a, Role.SCHOOL_ADMIN)
    admin_b = await make_member(b, Role.SCHOOL_ADMIN)
    pupil = await make_member(a, Role.PUPIL)
    await audit.record("files.trash", actor=pupil, school_id=a.id, target_type="file_node", target_id=7,
                       ip="192.168.17.42")
    await audit.record("files.share_create", actor=pupil, school_id=a.id, target_type="file_node", target_id=8)
    await audit.record("user.updated", actor=admin_a, school_id=a.id, target_type="user",
                       target_id=pupil.public_id, details={"fields": ["=HYPERLINK(\"x\")"]})
    await audit.record("files.trash", actor=admin_b, school_id=b.id, target_type="file_node", target_id=9)
    return {"a": a, "b": b, "admin_a": admin_a, "admin_b": admin_b, "pupil": pupil}


@pytest.mark.postgres
async def test_admin_sees_only_own_school_and_filters(app, schools):
    pupil = schools["pupil"]
    async with logged_in(app, schools["admin_a"]) as http:
        everything = (await http.get(API, params={"per_page": 200})).json()
        assert everything["items"], everything
        assert {e["action"] for e in everything["items"]} >= {"files.trash", "files.share_create", "user.updated"}
        b_events = await AuditEvent.filter(school_id=schools["b"].id).values_list("id", flat=True)
        assert not {e["id"] for e in everything["items"]} & set(b_events)

        files = (await http.get(API, params={"kind": "files"})).json()
        assert {e["action"] for e in files["items"]} == {"files.trash", "files.share_create"}
        trash = (await http.get(API, params={"kind": "files.trash"})).json()
        assert [e["action"] for e in trash["items"]] == ["files.trash"]
        assert trash["items"][0]["ip"] == "192.168.17.0/24"

        by_pupil = (await http.get(API, params={"actor": str(pupil.public_id).upper()})).json()
        assert by_pupil["total"] == 2 and {e["actor"] for e in by_pupil["items"]} == {str(pupil.public_id)}
        about_pupil = (await http.get(API, params={"target": str(pupil.public_id)})).json()
        assert [e["action"] for e in about_pupil["items"]] == ["user.updated"]

        today = datetime.now(timezone.utc).date()
        in_range = (await http.get(API, params={"from": today.isoformat(), "to": today.isoformat(),
                                                "kind": "files"})).json()
        assert in_range["total"] == 2
        tomorrow = (today + timedelta(days=1)).isoformat()
        assert (await http.get(API, params={"from": tomorrow})).json()["total"] == 0
        yesterday = (today - timedelta(days=1)).isoformat()
        assert (await http.get(API, params={"to": yesterday, "kind": "files"})).json()["total"] == 0


@pytest.mark.postgres
async def test_bad_filters_are_named(app, schools):
    async with logged_in(app, schools["admin_a"]) as http:
        response = await http.get(API, params={"from": "31.12.2026", "actor": "not-a-uuid", "kind": "x'; --"})
        assert response.status_code == 422
        fields = {f["field"]: f for f in response.json()["error"]["fields"]}
        assert set(fields) == {"from", "actor", "kind"}
        assert fields["from"]["message_de"] and fields["from"]["message_en"] != fields["from"]["message_de"]
        reversed_range = await http.get(API, params={"from": "2026-05-02", "to": "2026-05-01"})
        assert reversed_range.status_code == 422 and reversed_range.json()["error"]["fields"][0]["field"] == "to"
        page = await http.get("/admin/audit", params={"from": "gestern"})
        assert page.status_code == 422 and 'aria-invalid="true"' in page.text


@pytest.mark.postgres
async def test_other_roles_and_schools_are_refused(app, schools):
    async with logged_in(app, schools["pupil"]) as http:
        assert (await http.get(API)).status_code == 403
        assert (await http.get(f"{API}.csv")).status_code == 403
        assert (await http.get("/api/v1/privacy/audit-chain")).status_code == 403
        assert (await http.get("/admin/audit")).status_code == 403
    async with logged_in(app, schools["admin_b"]) as http:
        # The other school's admin filtering for school A's pupil finds nothing.
        found = (await http.get(API, params={"actor": str(schools["pupil"].public_id)})).json()
        assert found["total"] == 0
        exported = await http.get(f"{API}.csv", params={"actor": str(schools["pupil"].public_id)})
        assert list(csv.reader(io.StringIO(exported.text)))[1:] == []


@pytest.mark.postgres
async def test_csv_export(app, schools):
    admin = schools["admin_a"]
    async with logged_in(app, admin) as http:
        response = await http.get(f"{API}.csv", params={"kind": "user"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(response.text)))
        updated = [r for r in rows if r["action"] == "user.updated"]
        assert len(updated) == 1 and updated[0]["target_id"] == str(schools["pupil"].public_id)
        assert all(r["action"].startswith("user.") for r in rows)
        assert [int(r["id"]) for r in rows] == sorted(int(r["id"]) for r in rows)  # oldest first
        # Formulas are neutralised; the details column is JSON otherwise.
        assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row.values())
        exported = await AuditEvent.filter(school_id=schools["a"].id, action="audit.exported").order_by("-id").first()
        assert exported is not None and exported.actor == str(admin.public_id)
        assert exported.details["kind"] == "user"


@pytest.mark.postgres
async def test_login_ip_is_stored_truncated(app, schools):
    user = await make_member(schools["a"], Role.TEACHER)
    async with logged_in(app, user):
        pass
    login = await AuditEvent.filter(action="login", actor=str(user.public_id)).first()
    assert login is not None and login.ip == "127.0.0.0/24"
    assert all(ip.endswith(("/24", "/48")) or ip == ""
               for ip in await AuditEvent.all().values_list("ip", flat=True))


async def _sql_update_action(event_id: int, action: str) -> None:
    conn = connections.get("default")
    placeholder = "$1" if conn.capabilities.dialect == "postgres" else "?"
    other = "$2" if conn.capabilities.dialect == "postgres" else "?"
    await conn.execute_query(f"UPDATE audit_event SET action = {placeholder} WHERE id = {other}", [action, event_id])


@pytest.mark.postgres
async def test_tampered_row_is_named_by_verify_and_on_the_page(app, schools):
    victim = await audit.record("user.deleted", actor=schools["admin_a"], school_id=schools["a"].id,
                                target_type="user", target_id=str(uuid.uuid4()))
    await audit.record("test.after", school_id=schools["a"].id)
    async with logged_in(app, schools["admin_a"]) as http:
        page = await http.get("/admin/audit")
        assert 'id="chain-status" data-intact="true"' in page.text
        await _sql_update_action(victim.id, "user.updated")  # someone hides a deletion
        try:
            result = app.cli("audit", "verify", check=False)
            assert result.returncode == 1
            assert f"event {victim.id}" in result.stdout and "changed" in result.stdout

            chain = (await http.get("/api/v1/privacy/audit-chain")).json()
            assert chain["intact"] is False and chain["event_id"] == victim.id and chain["reason"] == "changed"
            page = await http.get("/admin/audit")
            assert page.status_code == 200
            assert 'data-intact="false"' in page.text and f"Ereignis {victim.id} " in page.text
        finally:
            await _sql_update_action(victim.id, "user.deleted")
        assert app.cli("audit", "verify", check=False).returncode == 0
        assert (await http.get("/api/v1/privacy/audit-chain")).json()["intact"] is True


@pytest.mark.postgres
async def test_the_chain_still_verifies_after_a_school_is_deleted(app):
    from schoolcloud.accounts import services_schools

    operator = await make_member(None, Role.OPERATOR)
    school = await services_schools.create_school(operator, name="Schule, die schließt")
    event = await audit.record("user.updated", actor=operator, school_id=school.id, target_type="user", target_id="x")
    await school.delete()
    assert (await AuditEvent.get(id=event.id)).school_id is None  # the foreign key let go of it
    assert app.cli("audit", "verify").returncode == 0  # its hash still fits the deleted school's id
    await _sql_update_action(event.id, "user.created")
    try:
        assert app.cli("audit", "verify", check=False).returncode == 1
    finally:
        await _sql_update_action(event.id, "user.updated")
