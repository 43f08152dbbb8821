"""The plan editor's JSON API through the real server: who may see and edit which plan, saves with the
base revision (a stale one is answered 409 and writes nothing), the comparison of versions, the status
flow towards the carrier, and the JSON export/import round trip."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plans import serialize
from plans.model import (Connectivity, CurriculumEntry, DeviceKind, DeviceStock, Evaluation, EvaluationCriterion,
                         FundingProgramme, Goal, Inventory, Land, Measure, PedagogicalConcept, Plan, Room,
                         RoomEquipment, SchoolProfile, SchoolType, SupportConcept, SupportLevel, TargetEquipment,
                         TargetItem, TrainingItem, TrainingPlan)
from schoolcloud.accounts.models import Role
from schoolcloud.planning.models import (Carrier, CarrierMember, CarrierSchool, PlanDocument, PlanRevision,
                                         PlanStatusChange)
from schoolcloud.privacy.models import AuditEvent
from tests.support.data import make_member, make_school
from tests.support.files import api_client


async def school_with_carrier(state: str = "NI"):
    school = await make_school(state=state)
    carrier = await Carrier.create(name=f"Landkreis {school.id}", state=state)
    await CarrierSchool.create(carrier=carrier, school=school)
    carrier_user = await make_member(None, Role.CARRIER)
    await CarrierMember.create(carrier=carrier, user=carrier_user)
    return school, carrier, carrier_user


async def new_plan(http, title="Medienkonzept 2026") -> dict:
    response = await http.post("/api/v1/plans", json={"title": title, "programme": "dp1-ni"})
    assert response.status_code == 201, response.text
    return response.json()


def complete(plan: dict) -> dict:
    """The plan with every section the NI rule pack requires filled in (the validator finds no error)."""
    full = Plan(
        id=plan["id"], title=plan["title"], programme=FundingProgramme(rule_pack_id="dp1-ni"),
        profile=SchoolProfile(school_number="1", name="Grundschule", school_type=SchoolType.GRUNDSCHULE, land=Land.NI,
                              pupils=400, classes=16, teachers=30, rooms=[Room(id="r1", name="Raum 1")]),
        goals=[Goal(id="g1", text="Tablets in jeder Klasse", indicator="Nutzung", due_year=2026)],
        inventory=Inventory(connectivity=Connectivity(kind="fibre", bandwidth_down_mbit=100),
                            rooms=[RoomEquipment(room_id="r1", wlan=True)],
                            devices=[DeviceStock(kind=DeviceKind.DESKTOP, count=10)]),
        pedagogy=PedagogicalConcept(entries=[CurriculumEntry(id="c1", subject="Deutsch", grade_levels=[3],
                                                             competence="kmk.3", content="Hörspiel")]),
        target=TargetEquipment(items=[TargetItem(id="t1", kind=DeviceKind.TABLET, quantity=30,
                                                 pedagogical_reason="Recherche")]),
        training=TrainingPlan(items=[TrainingItem(id="tr1", participants="alle", participant_count=30,
                                                  topic="Tablets", year=2024, hours=Decimal(6))]),
        support=SupportConcept(first_level=SupportLevel(provider="Schule", description="vor Ort", staff_fte=Decimal("0.2")),
                               second_level=SupportLevel(provider="Träger", description="IT", staff_fte=Decimal("0.1"))),
        measures=[Measure(id="m1", year=2023, category="wlan", description="AP", quantity=Decimal(10),
                          unit_price=Decimal(450))],
        evaluation=Evaluation(criteria=[EvaluationCriterion(id="e1", indicator="i", target="t", method="m",
                                                            due_year=2025)], update_process="jährlich"))
    return serialize.to_data(full)


def with_goal(plan: dict, goal: str) -> dict:
    return {**plan, "goals": [{"id": "g1", "text": goal}]}


@pytest.mark.postgres
async def test_who_may_see_and_edit_a_plan(app):
    school, _carrier, carrier_user = await school_with_carrier()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    invited = await make_member(school, Role.TEACHER)
    uninvited = await make_member(school, Role.TEACHER)
    pupil = await make_member(school, Role.PUPIL)
    other_school = await make_school(state="NI")
    other_admin = await make_member(other_school, Role.SCHOOL_ADMIN)
    other_carrier_user = (await school_with_carrier())[2]

    async with api_client(app.base_url, admin) as http:
        plan = await new_plan(http)
        pid = plan["id"]
        assert plan["status"] == "draft" and plan["revision"] == 1 and plan["may_edit"]
        invite = await http.post(f"/api/v1/plans/{pid}/editors", json={"user_id": invited.id})
        assert invite.status_code == 201, invite.text
        refused = await http.post(f"/api/v1/plans/{pid}/editors", json={"user_id": pupil.id})
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "not_a_teacher"
        foreign = await http.post(f"/api/v1/plans/{pid}/editors", json={"user_id": other_admin.id})
        assert foreign.status_code == 404

    async with api_client(app.base_url, pupil) as http:
        assert (await http.get("/api/v1/plans")).status_code == 403
        assert (await http.get(f"/api/v1/plans/{pid}")).status_code == 403
        assert (await http.post("/api/v1/plans", json={"title": "x", "programme": "dp1-ni"})).status_code == 403

    async with api_client(app.base_url, other_admin) as http:
        assert (await http.get(f"/api/v1/plans/{pid}")).status_code == 404
        assert (await http.put(f"/api/v1/plans/{pid}", json={"base_revision": 1, "plan": {}})).status_code == 404
        assert pid not in [p["id"] for p in (await http.get("/api/v1/plans")).json()["items"]]

    async with api_client(app.base_url, uninvited) as http:
        assert (await http.get(f"/api/v1/plans/{pid}")).status_code == 404
        assert (await http.get("/api/v1/plans")).json()["items"] == []
        assert (await http.post("/api/v1/plans", json={"title": "x", "programme": "dp1-ni"})).status_code == 403

    async with api_client(app.base_url, invited) as http:
        assert [p["id"] for p in (await http.get("/api/v1/plans")).json()["items"]] == [pid]
        current = (await http.get(f"/api/v1/plans/{pid}")).json()
        assert current["access"] == "editor" and current["may_edit"]
        saved = await http.put(f"/api/v1/plans/{pid}", json={"base_revision": 1,
                                                             "plan": with_goal(current["plan"], "Tablets")})
        assert saved.status_code == 200 and saved.json()["revision"] == 2, saved.text
        # Invitations and status steps belong to the school administrator.
        assert (await http.post(f"/api/v1/plans/{pid}/editors", json={"user_id": uninvited.id})).status_code == 403
        assert (await http.post(f"/api/v1/plans/{pid}/status", json={"action": "submit"})).status_code == 403

    async with api_client(app.base_url, carrier_user) as http:
        items = (await http.get("/api/v1/plans")).json()["items"]
        assert [p["id"] for p in items] == [pid]
        seen = (await http.get(f"/api/v1/plans/{pid}")).json()
        assert seen["access"] == "carrier" and not seen["may_edit"] and seen["plan"]["goals"][0]["text"] == "Tablets"
        write = await http.put(f"/api/v1/plans/{pid}", json={"base_revision": 2, "plan": {}})
        assert write.status_code == 403
        assert (await http.post("/api/v1/plans", json={"title": "x", "programme": "dp1-ni"})).status_code == 403

    async with api_client(app.base_url, other_carrier_user) as http:
        assert (await http.get("/api/v1/plans")).json()["items"] == []
        assert (await http.get(f"/api/v1/plans/{pid}")).status_code == 404

    async with api_client(app.base_url, admin) as http:
        removed = await http.delete(f"/api/v1/plans/{pid}/editors/{invited.id}")
        assert removed.status_code == 204
    async with api_client(app.base_url, invited) as http:
        assert (await http.get(f"/api/v1/plans/{pid}")).status_code == 404
    assert await AuditEvent.filter(action="plans.editor_add", target_id=str(pid)).exists()


@pytest.mark.postgres
async def test_save_with_a_stale_revision_is_a_conflict_and_writes_nothing(app):
    school = await make_school(state="NI")
    admin = await make_member(school, Role.SCHOOL_ADMIN, given_name="Ada", family_name="Admin")
    teacher = await make_member(school, Role.TEACHER, given_name="Tim", family_name="Teach")
    async with api_client(app.base_url, admin) as http:
        plan = await new_plan(http)
        pid = plan["id"]
        await http.post(f"/api/v1/plans/{pid}/editors", json={"user_id": teacher.id})
        first = await http.put(f"/api/v1/plans/{pid}", json={"base_revision": 1,
                                                             "plan": with_goal(plan["plan"], "WLAN")})
        assert first.status_code == 200 and first.json() == {**first.json(), "revision": 2, "changed": True}
        again = await http.put(f"/api/v1/plans/{pid}", json={"base_revision": 2,
                                                             "plan": with_goal(plan["plan"], "WLAN")})
        assert again.json()["revision"] == 2 and again.json()["changed"] is False  # nothing new, no version
        missing = await http.put(f"/api/v1/plans/{pid}", json={"plan": plan["plan"]})
        assert missing.status_code == 422 and missing.json()["error"]["field"] == "base_revision"
        broken = await http.put(f"/api/v1/plans/{pid}", json={"base_revision": 2, "plan": [1, 2]})
        assert broken.status_code == 422 and broken.json()["error"]["code"] == "invalid_plan"

    async with api_client(app.base_url, teacher) as http:
        # The teacher started from revision 1 and saves after the admin's revision 2.
        stale = await http.put(f"/api/v1/plans/{pid}", json={"base_revision": 1,
                                                             "plan": with_goal(plan["plan"], "Tablets")})
        assert stale.status_code == 409, stale.text
        error = stale.json()["error"]
        assert error["code"] == "conflict" and error["message_de"] and error["message_en"]
        assert error["conflict"]["current_revision"] == 2 and error["conflict"]["changed_by"] == ["Ada Admin"]
        [change] = error["conflict"]["changes"]
        assert change["path"] == "goals[id=g1]" and change["kind"] == "added" and change["new"]["text"] == "WLAN"
        rebased = await http.put(f"/api/v1/plans/{pid}", json={"base_revision": 2,
                                                               "plan": with_goal(plan["plan"], "Tablets")})
        assert rebased.status_code == 200 and rebased.json()["revision"] == 3
    stored = await PlanDocument.get(id=pid)
    assert stored.revision == 3 and '"text":"Tablets"' in stored.content
    assert await PlanRevision.filter(plan_id=pid).count() == 3


async def test_versions_can_be_compared(app):
    school = await make_school(state="NI")
    admin = await make_member(school, Role.SCHOOL_ADMIN, given_name="Ada", family_name="Admin")
    async with api_client(app.base_url, admin) as http:
        plan = await new_plan(http)
        pid, content = plan["id"], plan["plan"]
        v2 = {**content, "measures": [{"id": "m1", "description": "WLAN", "quantity": "10"},
                                      {"id": "m2", "description": "Tablets", "quantity": "30"}]}
        v3 = {**content, "measures": [{"id": "m2", "description": "Tablets", "quantity": "32"},
                                      {"id": "m3", "description": "Displays", "quantity": "12"}]}
        for base, body in ((1, v2), (2, v3)):
            saved = await http.put(f"/api/v1/plans/{pid}", json={"base_revision": base, "plan": body,
                                                                 "title": "Medienkonzept neu" if base == 2 else None})
            assert saved.status_code == 200, saved.text
        listed = (await http.get(f"/api/v1/plans/{pid}/revisions")).json()["items"]
        assert [r["number"] for r in listed] == [3, 2, 1] and {r["author"] for r in listed} == {"Ada Admin"}
        compared = await http.get(f"/api/v1/plans/{pid}/diff", params={"from": 2, "to": 3})
        assert compared.status_code == 200, compared.text
        changes = compared.json()["changes"]
        assert [(c["path"], c["kind"]) for c in changes] == [
            ("title", "changed"), ("measures[id=m1]", "removed"), ("measures[id=m2].quantity", "changed"),
            ("measures[id=m3]", "added")]
        assert (changes[0]["old"], changes[0]["new"]) == ("Medienkonzept 2026", "Medienkonzept neu")
        assert changes[1]["old"]["description"] == "WLAN" and changes[1]["new"] is None
        assert (changes[2]["old"], changes[2]["new"]) == ("30", "32")
        assert changes[3]["new"]["description"] == "Displays" and changes[3]["new"]["unit_price"] == "0"
        old = await http.get(f"/api/v1/plans/{pid}/revisions/2")
        assert old.json()["plan"]["measures"][0]["id"] == "m1"
        assert (await http.get(f"/api/v1/plans/{pid}/diff", params={"from": 1, "to": 9})).status_code == 404


@pytest.mark.postgres
async def test_status_flow_steps_allowed_and_refused(app):
    school, _carrier, carrier_user = await school_with_carrier()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    lonely_admin = await make_member(await make_school(state="NI"), Role.SCHOOL_ADMIN)

    async def step(http, pid, action, comment="", expect=200):
        response = await http.post(f"/api/v1/plans/{pid}/status", json={"action": action, "comment": comment})
        assert response.status_code == expect, (action, response.text)
        return response.json()

    async with api_client(app.base_url, lonely_admin) as http:
        lonely = await new_plan(http)
        no_carrier = await step(http, lonely["id"], "submit", expect=422)
        assert no_carrier["error"]["code"] == "no_carrier"

    async with api_client(app.base_url, admin) as http:
        plan = await new_plan(http)
        pid = plan["id"]
        assert [a["action"] for a in plan["actions"]] == ["submit"]
        await step(http, pid, "approve", expect=403)
        await step(http, pid, "withdraw", expect=409)
        incomplete = await step(http, pid, "submit", expect=422)  # a draft may be incomplete, a submission not
        assert incomplete["error"]["code"] == "plan_incomplete"
        assert (await http.put(f"/api/v1/plans/{pid}", json={"base_revision": 1,
                                                             "plan": complete(plan["plan"])})).status_code == 200
        assert (await step(http, pid, "submit"))["status"] == "submitted"
        locked = await http.put(f"/api/v1/plans/{pid}", json={"base_revision": 2, "plan": with_goal(plan["plan"], "x")})
        assert locked.status_code == 409 and locked.json()["error"]["code"] == "plan_locked"
        await step(http, pid, "nonsense", expect=422)

    async with api_client(app.base_url, carrier_user) as http:
        detail = (await http.get(f"/api/v1/plans/{pid}")).json()
        assert [a["action"] for a in detail["actions"]] == ["return", "approve"]
        assert (await step(http, pid, "return", expect=422))["error"]["code"] == "comment_required"
        await step(http, pid, "return", comment="Bitte die Fortbildungsplanung ergänzen.")
        await step(http, pid, "approve", expect=409)

    async with api_client(app.base_url, admin) as http:
        await step(http, pid, "reopen")
        saved = await http.put(f"/api/v1/plans/{pid}", json={"base_revision": 2,
                                                             "plan": with_goal(complete(plan["plan"]), "Fortbildung")})
        assert saved.status_code == 200
        await step(http, pid, "submit")

    async with api_client(app.base_url, carrier_user) as http:
        assert (await step(http, pid, "approve"))["status"] == "approved"
        history = (await http.get(f"/api/v1/plans/{pid}/history")).json()["items"]
    assert [(h["from"], h["to"]) for h in history] == [
        ("submitted", "approved"), ("draft", "submitted"), ("returned", "draft"), ("submitted", "returned"),
        ("draft", "submitted")]
    assert history[3]["comment"] == "Bitte die Fortbildungsplanung ergänzen."
    actions = await AuditEvent.filter(target_type="plan", target_id=str(pid)).order_by("id") \
        .values_list("action", flat=True)
    assert [a for a in actions if a != "plans.create"] == [
        "plans.submit", "plans.return", "plans.reopen", "plans.submit", "plans.approve"]
    assert await PlanStatusChange.filter(plan_id=pid).count() == 5


async def test_json_export_imports_as_the_same_plan(app):
    school = await make_school(state="NI")
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    async with api_client(app.base_url, admin) as http:
        plan = await new_plan(http, title="Medienkonzept Export")
        body = {**plan["plan"], "measures": [{"id": "m1", "description": "Beamer", "unit_price": 650.50,
                                              "quantity": "4", "year": 2026}]}
        saved = await http.put(f"/api/v1/plans/{plan['id']}", json={"base_revision": 1, "plan": body})
        assert saved.status_code == 200, saved.text
        exported = await http.get(f"/api/v1/plans/{plan['id']}/export.json")
        assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
        assert exported.json()["measures"][0]["unit_price"] == "650.5"  # a decimal string, never a float
        imported = await http.post("/api/v1/plans/import", content=exported.content,
                                   headers={"Content-Type": "application/json"})
        assert imported.status_code == 201, imported.text
        copy = imported.json()
        assert copy["id"] != plan["id"] and copy["title"] == "Medienkonzept Export"
        again = await http.get(f"/api/v1/plans/{copy['id']}/export.json")
        assert again.json() == exported.json()
        bad = await http.post("/api/v1/plans/import", content=b'{"measures": [{"quantity": "viele"}]}',
                              headers={"Content-Type": "application/json"})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "measures[0].quantity"
        assert "Zahl" in bad.json()["error"]["message_de"]
