"""The plan editor's pages through the real server: the list and a new plan, the steps with their
forms (no JavaScript: the Save button), unreadable values kept and explained, the autosave endpoint,
versions and their comparison, the carrier's view and the operators' carrier pages."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from plans import serialize
from plans.model import FundingProgramme, Measure, Plan

from schoolcloud.accounts.models import Role, User
from schoolcloud.planning.models import Carrier, CarrierMember, CarrierSchool, PlanDocument
from tests.support.data import make_member, make_school
from tests.support.files import api_client

STEPS = ("profile", "inventory", "pedagogy", "target", "training", "support", "measures", "evaluation")


def base_revision(html: str) -> str:
    return re.search(r'name="base_revision" value="(\d+)"', html).group(1)


async def create_plan_through_page(http) -> int:
    created = await http.post("/plans/new", data={"title": "Medienkonzept 2026", "programme": "dp1-ni"})
    assert created.status_code == 303, created.text
    assert re.fullmatch(r"/plans/\d+/steps/profile", created.headers["location"])
    return int(created.headers["location"].split("/")[2])


async def test_admin_writes_a_plan_step_by_step_without_javascript(app):
    school = await make_school(state="NI", school_number="12345")
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    async with api_client(app.base_url, admin) as http:
        listing = await http.get("/plans")
        assert listing.status_code == 200 and 'action="/plans/new"' in listing.text
        pid = await create_plan_through_page(http)
        for key in STEPS:
            page = await http.get(f"/plans/{pid}/steps/{key}")
            assert page.status_code == 200, (key, page.text[:500])
            assert 'aria-current="step"' in page.text and 'id="plan-panel"' in page.text
        profile = await http.get(f"/plans/{pid}/steps/profile")
        assert 'value="12345"' in profile.text  # the school number comes from the school
        # The programme's open values are named beside the field where a plan may supply them.
        params = re.search(r'<textarea id="f-programme-parameters"[^>]*>', profile.text).group(0)
        assert 'aria-describedby="f-programme-parameters-hint finding-' in params and "per_pupil_amount" in profile.text
        saved = await http.post(f"/plans/{pid}/steps/profile", data={
            "base_revision": base_revision(profile.text), "title": "Medienkonzept 2026",
            "programme.rule_pack_id": "dp1-ni", "profile.name": "Grundschule am See", "profile.school_type": "grundschule",
            "profile.land": "NI", "profile.pupils": "1.200", "profile.classes": "zwölf",
            "profile.rooms.0.id": "", "profile.rooms.0.name": "Raum 101", "profile.rooms.0.kind": "classroom",
            "goals.0.id": "", "goals.0.text": "Jede Klasse arbeitet mit Tablets.", "goals.0.due_year": "2027",
            "then": "stay"})
        # "zwölf" cannot be read: the page says so at the field, the rest is saved.
        assert saved.status_code == 200, saved.text[:800]
        assert 'aria-invalid="true"' in saved.text and "f-profile-classes-error" in saved.text
        assert 'value="zwölf"' in saved.text
        stored = (await http.get(f"/api/v1/plans/{pid}")).json()
        assert stored["revision"] == 2
        assert stored["plan"]["profile"]["pupils"] == 1200 and stored["plan"]["profile"]["classes"] == 0
        assert stored["plan"]["profile"]["rooms"][0]["name"] == "Raum 101" and stored["plan"]["profile"]["rooms"][0]["id"]
        assert [g["text"] for g in stored["plan"]["goals"]] == ["Jede Klasse arbeitet mit Tablets."]

        measures = await http.get(f"/plans/{pid}/steps/measures")
        room_id = stored["plan"]["profile"]["rooms"][0]["id"]
        assert f'value="{room_id}"' in measures.text  # rooms are offered by name
        moved = await http.post(f"/plans/{pid}/steps/measures", data={
            "base_revision": base_revision(measures.text), "measures.0.id": "", "measures.0.year": "2026",
            "measures.0.category": "mobile_devices", "measures.0.description": "Tablets", "measures.0.quantity": "30",
            "measures.0.unit_price": "450,00", "measures.0.room_id": room_id, "then": "next"})
        assert moved.status_code == 303 and moved.headers["location"] == f"/plans/{pid}/steps/evaluation"
        stored = (await http.get(f"/api/v1/plans/{pid}")).json()
        [measure] = stored["plan"]["measures"]
        assert (measure["quantity"], measure["unit_price"], measure["year"]) == ("30", "450.00", 2026)
        assert stored["figures"]["money"]["total"] == "13500.00"

        # Removing the row, and a new empty row left empty, leaves no measures.
        measures = await http.get(f"/plans/{pid}/steps/measures")
        assert "13\u202f500,00 €" in measures.text  # the figures beside the form
        await http.post(f"/plans/{pid}/steps/measures", data={
            "base_revision": base_revision(measures.text), "measures.0.id": measure["id"],
            "measures.0._remove": "1", "measures.0.quantity": "30", "measures.1.id": "", "measures.1.quantity": "0",
            "measures.1.unit_price": "0", "measures.1.description": ""})
        assert (await http.get(f"/api/v1/plans/{pid}")).json()["plan"]["measures"] == []

        overview = await http.get(f"/plans/{pid}")
        assert overview.status_code == 200 and "/plans/%d/export/json" % pid in overview.text
        exported = await http.get(f"/plans/{pid}/export/json")
        assert exported.status_code == 200 and exported.json()["profile"]["name"] == "Grundschule am See"
        versions = await http.get(f"/plans/{pid}/versions", params={"from": 1, "to": 2})
        assert versions.status_code == 200
        assert "Grundschule am See" in versions.text and "Raum 101" in versions.text


async def test_findings_are_tied_to_their_fields(app):
    admin = await make_member(await make_school(state="NI"), Role.SCHOOL_ADMIN)
    async with api_client(app.base_url, admin) as http:
        pid = await create_plan_through_page(http)
        answer = await http.post(f"/api/v1/plans/{pid}/steps/measures", data={
            "base_revision": "1", "measures.0.id": "", "measures.0.year": "2026", "measures.0.category": "wlan",
            "measures.0.description": "Access Points", "measures.0.quantity": "4", "measures.0.unit_price": "-450"})
        assert answer.status_code == 200, answer.text  # a draft may be wrong; the validator says so
        mark = answer.json()["marks"]["measures[0].unit_price"]
        assert mark["invalid"] and mark["ids"]
        page = await http.get(f"/plans/{pid}/steps/measures")
        field = re.search(r'<input id="f-measures-0-unit_price"[^>]*>', page.text).group(0)
        assert 'aria-invalid="true"' in field
        finding_id = re.search(r'aria-describedby="([^"]+)"', field).group(1).split()[0]
        finding = re.search(rf'<li id="{finding_id}"[^>]*>(.*?)</li>', page.text, re.S).group(1)
        assert 'href="#f-measures-0-unit_price"' in finding
        overview = await http.get(f"/plans/{pid}")  # on other pages the finding links to its step
        assert f'href="/plans/{pid}/steps/measures#f-measures-0-unit_price"' in overview.text


@pytest.mark.postgres
async def test_autosave_answers_json_and_merges_other_steps_but_not_the_same_step(app):
    school = await make_school(state="NI")
    admin = await make_member(school, Role.SCHOOL_ADMIN, given_name="Ada", family_name="Admin")
    teacher = await make_member(school, Role.TEACHER, given_name="Tim", family_name="Teach")
    async with api_client(app.base_url, admin) as http:
        pid = await create_plan_through_page(http)
        await http.post(f"/api/v1/plans/{pid}/editors", json={"user_id": teacher.id})
        answer = await http.post(f"/api/v1/plans/{pid}/steps/support", data={
            "base_revision": "1", "support.first_level.provider": "Schule", "support.first_level.staff_fte": "0,5",
            "support.replacement_cycle_years": "fünf"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["revision"] == 2 and body["changed"] and not body["merged"]
        assert list(body["field_errors"]) == ["support.replacement_cycle_years"]
        assert 'id="findings-heading"' in body["panel_html"] and body["figures"] is not None
        assert body["findings"] is None or all(f["message"] and f["dom_id"] for f in body["findings"])
    async with api_client(app.base_url, teacher) as http:
        # Based on revision 1 too, but another step: applied on top of the admin's save.
        other = await http.post(f"/api/v1/plans/{pid}/steps/training", data={
            "base_revision": "1", "training.items.0.id": "", "training.items.0.topic": "Tablets im Unterricht",
            "training.items.0.hours": "6"})
        assert other.status_code == 200 and other.json()["merged"] and other.json()["revision"] == 3
        assert list(other.json()["new_ids"]) == ["training.items.0"]
        # The same step from revision 1: a conflict; nothing is written.
        same = await http.post(f"/api/v1/plans/{pid}/steps/support", data={
            "base_revision": "1", "support.first_level.provider": "Medienzentrum"})
        assert same.status_code == 409
        conflict = same.json()["error"]["conflict"]
        assert conflict["current_revision"] == 3 and "Ada Admin" in conflict["changed_by"]
        assert any(c["path"] == "support.first_level.provider" for c in conflict["changes"])
        no_csrf = await http.post(f"/api/v1/plans/{pid}/steps/support", data={"base_revision": "3"},
                                  headers={"X-CSRF-Token": ""})
        assert no_csrf.status_code == 403
    plan = await PlanDocument.get(id=pid)
    assert plan.revision == 3 and '"provider":"Schule"' in plan.content and "Tablets im Unterricht" in plan.content


async def test_carrier_sees_its_schools_totals_and_exports_the_consolidated_application(app):
    carrier = await Carrier.create(name="Landkreis Seeland", state="NI")
    schools = [await make_school(state="NI", name=f"Schule {n}") for n in ("A", "B")]
    for school in schools:
        await CarrierSchool.create(carrier=carrier, school=school)
    user = await make_member(None, Role.CARRIER)
    await CarrierMember.create(carrier=carrier, user=user)
    admin = await make_member(schools[0], Role.SCHOOL_ADMIN)
    async with api_client(app.base_url, admin) as http:
        pid = await create_plan_through_page(http)
        await http.post(f"/api/v1/plans/{pid}/steps/measures", data={
            "base_revision": "1", "measures.0.id": "", "measures.0.year": "2026", "measures.0.category": "wlan",
            "measures.0.quantity": "10", "measures.0.unit_price": "150"})
    async with api_client(app.base_url, user) as http:
        home = await http.get("/carrier")
        assert home.status_code == 303 and home.headers["location"] == f"/carrier/{carrier.id}"
        page = await http.get(f"/carrier/{carrier.id}")
        assert page.status_code == 200
        assert "Schule A" in page.text and "Schule B" in page.text and "1\u202f500,00 €" in page.text
        assert "<svg" in page.text and "<title" in page.text
        exported = await http.get(f"/carrier/{carrier.id}/export/json")
        assert exported.status_code == 200 and len(exported.json()["plans"]) == 1
        assert (await http.get(f"/plans/{pid}/steps/measures")).status_code == 200  # read-only, but readable
        assert (await http.get("/files")).status_code in (403, 200)
    other = await make_member(None, Role.CARRIER)
    async with api_client(app.base_url, other) as http:
        assert (await http.get(f"/carrier/{carrier.id}")).status_code == 404


async def test_operator_creates_a_carrier_assigns_schools_and_a_carrier_account(app):
    operator = await make_member(None, Role.OPERATOR)
    school = await make_school(state="NW", name="Gesamtschule Rheinblick")
    elsewhere = await make_school(state="BY", name="Gymnasium Isar")
    async with api_client(app.base_url, operator) as http:
        refused = await http.post("/operator/carriers", data={"name": "Stadt Rheinblick", "state": "NW",
                                                              "budget": "viel"})
        assert refused.status_code == 422 and "f-budget-error" in refused.text
        created = await http.post("/operator/carriers", data={"name": "Stadt Rheinblick", "state": "NW",
                                                              "budget": "1.250.000,00"})
        assert created.status_code == 303, created.text
        url = created.headers["location"]
        carrier = await Carrier.get(id=int(url.rsplit("/", 1)[1]))
        assert str(carrier.budget) == "1250000.00"
        page = await http.get(url)
        assert "Gesamtschule Rheinblick" in page.text and "Gymnasium Isar" not in page.text
        assert (await http.post(f"{url}/schools", data={"school_id": school.id})).status_code == 303
        await http.post(f"{url}/schools", data={"school_id": elsewhere.id})
        assert [s.school_id for s in await CarrierSchool.filter(carrier=carrier)] == [school.id]
        member = await http.post(f"{url}/members", data={"given_name": "Tara", "family_name": "Träger"})
        assert member.status_code == 303 and member.headers["location"].startswith("/credentials")
    account = await User.get(carrier_memberships__carrier_id=carrier.id)
    assert account.role == Role.CARRIER and account.school_id is None and account.must_change_password
    async with api_client(app.base_url, operator) as http:
        assert "Tara" in (await http.get(url)).text
        assert (await http.post(f"{url}/members/{account.id}/remove")).status_code == 303
        assert (await http.post(f"{url}/schools/{school.id}/remove")).status_code == 303
    await account.refresh_from_db()
    assert not account.active and not await CarrierSchool.filter(carrier=carrier).exists()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    async with api_client(app.base_url, admin) as http:
        assert (await http.get("/operator/carriers")).status_code == 403


SIGNATURES = {"pdf": b"%PDF", "docx": b"PK", "odt": b"PK", "xlsx": b"PK", "ods": b"PK", "json": b"{"}


async def test_every_export_format_downloads_for_the_plan_and_the_carrier(app):
    carrier = await Carrier.create(name="Stadt Exportheim", state="NI")
    school = await make_school(state="NI", name="Oberschule Exportheim")
    await CarrierSchool.create(carrier=carrier, school=school)
    carrier_user = await make_member(None, Role.CARRIER)
    await CarrierMember.create(carrier=carrier, user=carrier_user)
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    async with api_client(app.base_url, admin, timeout=120) as http:
        pid = await create_plan_through_page(http)
        await http.post(f"/api/v1/plans/{pid}/steps/measures", data={
            "base_revision": "1", "measures.0.id": "", "measures.0.year": "2026", "measures.0.category": "wlan",
            "measures.0.description": "Access Points", "measures.0.quantity": "16", "measures.0.unit_price": "450"})
        overview = await http.get(f"/plans/{pid}")
        for fmt, signature in SIGNATURES.items():
            assert f"/plans/{pid}/export/{fmt}" in overview.text
            exported = await http.get(f"/plans/{pid}/export/{fmt}")
            assert exported.status_code == 200, (fmt, exported.text[:300])
            assert exported.content.startswith(signature), fmt
            assert "attachment" in exported.headers["content-disposition"]
        assert (await http.get(f"/plans/{pid}/export/exe")).status_code == 404
    async with api_client(app.base_url, carrier_user, timeout=120) as http:
        page = await http.get(f"/carrier/{carrier.id}")
        for fmt in ("pdf", "xlsx", "ods", "json"):
            assert f"/carrier/{carrier.id}/export/{fmt}" in page.text
            exported = await http.get(f"/carrier/{carrier.id}/export/{fmt}")
            assert exported.status_code == 200 and exported.content.startswith(SIGNATURES[fmt]), fmt


def form_fields(html: str) -> dict:
    """What a browser would post from the step form: inputs, the selected options and textareas."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name, value = re.search(r' name="([^"]+)"', tag), re.search(r' value="([^"]*)"', tag)
        if name and value and ('type="checkbox"' not in tag or " checked" in tag):
            fields[name.group(1)] = value.group(1)
    for select in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', select.group(2))
        fields[select.group(1)] = chosen.group(1) if chosen else ""
    for area in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', html):
        fields[area.group(1)] = area.group(2)
    fields.pop("csrf_token", None)
    return fields


async def test_a_step_with_two_hundred_measures_saves_one_change(app):
    admin = await make_member(await make_school(state="NI"), Role.SCHOOL_ADMIN)
    model = Plan(title="Großer Plan", programme=FundingProgramme(rule_pack_id="dp1-ni"), measures=[
        Measure(id=f"m{i}", year=2026, category="wlan", description=f"Access Point {i}", quantity=Decimal(2),
                unit_price=Decimal("450")) for i in range(200)])
    async with api_client(app.base_url, admin) as http:
        imported = await http.post("/api/v1/plans/import", content=serialize.plan_to_json(model),
                                   headers={"Content-Type": "application/json"})
        pid = imported.json()["id"]
        page = await http.get(f"/plans/{pid}/steps/measures")
        assert page.status_code == 200 and len(page.content) < 1_500_000
        fields = form_fields(page.text)
        assert len(fields) > 2000  # more than the form parser's default limit of 1,000 fields
        answer = await http.post(f"/api/v1/plans/{pid}/steps/measures", data={**fields, "measures.5.quantity": "3"})
        assert answer.status_code == 200, answer.text[:300]
        assert answer.json()["revision"] == 2 and answer.json()["field_errors"] == {}
        changes = (await http.get(f"/api/v1/plans/{pid}/diff", params={"from": 1, "to": 2})).json()["changes"]
        assert changes == [{"path": "measures[id=m5].quantity", "kind": "changed", "old": "2", "new": "3"}]
        saved = await http.post(f"/plans/{pid}/steps/measures", data={**fields, "base_revision": "2",
                                                                      "measures.6.quantity": "4"})
        assert saved.status_code == 303
