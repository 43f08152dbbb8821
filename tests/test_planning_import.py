"""Importing measures, devices and rooms from CSV and XLSX into a plan through the real server: a file
with a broken row writes nothing and names every row and column; a good file is one new version."""

from __future__ import annotations

import io

import openpyxl
import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.planning.models import PlanDocument, PlanRevision
from tests.support.data import make_member, make_school
from tests.support.files import api_client

GOOD = ("Jahr;Kategorie;Beschreibung;Menge;Einzelpreis\n"
        "2026;WLAN;Access Points;16;450,00\n"
        "2027;mobile_devices;Tablets;60;1.020,50\n").encode("utf-8")
BROKEN = ("Jahr;Kategorie;Beschreibung;Menge;Einzelpreis\n"
          "2026;WLAN;Access Points;16;450,00\n"
          "2026;Raumschiffe;Unbekannt;-3;viel\n").encode("utf-8")


async def plan_of(http) -> int:
    created = await http.post("/api/v1/plans", json={"title": "Medienkonzept", "programme": "dp1-ni"})
    assert created.status_code == 201, created.text
    return created.json()["id"]


@pytest.mark.postgres
async def test_import_with_a_broken_row_writes_nothing(app):
    admin = await make_member(await make_school(state="NI"), Role.SCHOOL_ADMIN)
    async with api_client(app.base_url, admin) as http:
        pid = await plan_of(http)
        refused = await http.post(f"/api/v1/plans/{pid}/import/measures",
                                  files={"file": ("massnahmen.csv", BROKEN, "text/csv")})
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "import_rejected"
        problems = {(r["row"], r["column"]) for r in error["rows"]}
        assert {(3, "Kategorie"), (3, "Menge"), (3, "Einzelpreis")} <= problems
        assert all(r["message_de"] and r["message_en"] for r in error["rows"])
        page = await http.post(f"/plans/{pid}/import", data={"kind": "measures", "mode": "replace"},
                               files={"file": ("massnahmen.csv", BROKEN, "text/csv")})
        assert page.status_code == 422 and "Raumschiffe" in page.text  # the message names the wrong value
        assert page.text.count('class="has-error"') == len(error["rows"])
    plan = await PlanDocument.get(id=pid)
    assert plan.revision == 1 and '"measures":[]' in plan.content
    assert await PlanRevision.filter(plan_id=pid).count() == 1


async def test_good_csv_and_xlsx_imports_are_one_version_each(app):
    admin = await make_member(await make_school(state="NI"), Role.SCHOOL_ADMIN)
    async with api_client(app.base_url, admin) as http:
        pid = await plan_of(http)
        done = await http.post(f"/plans/{pid}/import", data={"kind": "measures", "mode": "replace"},
                               files={"file": ("massnahmen.csv", GOOD, "text/csv")})
        assert done.status_code == 303 and done.headers["location"] == f"/plans/{pid}/steps/measures"
        plan = (await http.get(f"/api/v1/plans/{pid}")).json()
        assert plan["revision"] == 2
        assert [(m["category"], m["quantity"], m["unit_price"]) for m in plan["plan"]["measures"]] == [
            ("wlan", "16", "450.00"), ("mobile_devices", "60", "1020.50")]
        assert plan["figures"]["money"]["total"] == "68430.00"

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["Geräteart", "Anzahl", "Nutzung", "MDM"])
        sheet.append(["Tablet", 30, "Schüler", "ja"])
        sheet.append(["Laptop", 12, "Lehrkräfte", "nein"])
        data = io.BytesIO()
        book.save(data)
        added = await http.post(f"/api/v1/plans/{pid}/import/devices", params={"mode": "append"},
                                files={"file": ("geraete.xlsx", data.getvalue(),
                                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
        assert added.status_code == 200, added.text
        assert added.json() == {"revision": 3, "imported": 2}
        devices = (await http.get(f"/api/v1/plans/{pid}")).json()["plan"]["inventory"]["devices"]
        assert [(d["kind"], d["count"], d["managed"]) for d in devices] == [("tablet", 30, True), ("laptop", 12, False)]
        versions = (await http.get(f"/api/v1/plans/{pid}/revisions")).json()["items"]
        assert [v["note"] for v in versions] == ["import", "import", "create"]
