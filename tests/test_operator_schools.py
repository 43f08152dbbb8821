"""Operators manage schools and give each its first school administrator."""

from __future__ import annotations

import re
from html import unescape

import pytest

from schoolcloud.accounts.models import Role, School, User
from schoolcloud.auth.models import LoginSession
from schoolcloud.privacy.models import AuditEvent
from tests.support import browser
from tests.support.data import logged_in, make_member, make_school, unique

PASSWORD_RE = re.compile(r'<td class="mono secret">([^<]+)</td>')


async def post_form(http, path: str, data: dict | None = None, form_page: str | None = None):
    page = await http.get(form_page or path)
    assert page.status_code == 200, page.text[:300]
    return await http.post(path, data={"csrf_token": browser.csrf_from(page.text), **(data or {})})


@pytest.mark.postgres
async def test_operator_creates_school_and_first_admin_on_pages(app):
    operator = await make_member(None, Role.OPERATOR)
    number = unique("SN").replace(" ", "")[:30]
    async with logged_in(app, operator) as http:
        created = await post_form(http, "/operator/schools/new", {"name": "Gesamtschule Nord",
                                                                  "school_number": number, "state": "NI"})
        assert created.status_code == 303
        school = await School.get(school_number=number)
        detail_path = f"/operator/schools/{school.id}"
        assert created.headers["location"] == detail_path
        duplicate = await post_form(http, "/operator/schools/new", {"name": "Andere", "school_number": number,
                                                                    "state": "XX"})
        assert duplicate.status_code == 422
        assert 'id="f-state-error"' in duplicate.text
        detail = await http.get(detail_path)
        assert 'action="' + detail_path + '/admins"' in detail.text
        made = await http.post(f"{detail_path}/admins", data={
            "csrf_token": browser.csrf_from(detail.text), "given_name": "Sven", "family_name": "Schulz",
            "email": "", "username": ""})
        assert made.status_code == 303
        shown = await http.get(made.headers["location"])
        password = unescape(PASSWORD_RE.search(shown.text).group(1))
        assert "sven.schulz" in shown.text
        detail = await http.get(detail_path)
        assert 'action="' + detail_path + '/admins"' not in detail.text  # the school has its admin now
        second = await http.post(f"{detail_path}/admins", data={
            "csrf_token": browser.csrf_from(detail.text), "given_name": "Zweite", "family_name": "Person"})
        assert second.status_code == 409
        edited = await post_form(http, f"{detail_path}/edit", {"name": "IGS Nord", "school_number": number,
                                                               "state": "HB"})
        assert edited.status_code == 303
        listing = await http.get("/operator/schools")
        assert "IGS Nord" in listing.text
    admin = await User.get(username="sven.schulz")
    assert admin.school_id == school.id and admin.role == Role.SCHOOL_ADMIN and admin.must_change_password
    async with browser.client(app.base_url) as http:
        home = await browser.login(http, "sven.schulz", password, new_password="Svens eigenes Passwort")
        assert "IGS Nord" in home.text
        assert (await http.get("/admin/users")).status_code == 200
    assert await AuditEvent.filter(action="school.created", target_id=str(school.id)).exists()


async def test_deactivating_a_school_locks_its_accounts_out(app):
    operator = await make_member(None, Role.OPERATOR)
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    async with logged_in(app, teacher):
        pass
    assert await LoginSession.filter(user_id=teacher.id).exists()
    async with logged_in(app, operator) as http:
        confirm = await http.get(f"/operator/schools/{school.id}/deactivate")
        assert confirm.status_code == 200
        response = await post_form(http, f"/operator/schools/{school.id}/deactivate")
        assert response.status_code == 303
        assert not await LoginSession.filter(user_id=teacher.id).exists()
        async with browser.client(app.base_url) as locked:
            form = await browser.start_login(locked)
            refused = await browser.submit_login(locked, form, teacher.username, "correct horse battery")
            assert refused.status_code == 401
        reactivated = await http.patch(f"/api/v1/schools/{school.id}", headers=http.csrf, json={"active": True})
        assert reactivated.status_code == 200 and reactivated.json()["active"] is True
    async with logged_in(app, teacher) as http:
        assert (await http.get("/api/v1/me")).status_code == 200
    actions = set(await AuditEvent.filter(school_id=school.id).values_list("action", flat=True))
    assert {"school.deactivated", "school.reactivated"} <= actions


async def test_schools_api_for_operators_only(app):
    operator = await make_member(None, Role.OPERATOR)
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    async with logged_in(app, operator) as http:
        created = await http.post("/api/v1/schools", headers=http.csrf, json={"name": "Grundschule Süd", "state": "by"})
        assert created.status_code == 201 and created.json()["state"] == "BY"
        school_id = created.json()["id"]
        invalid = await http.post("/api/v1/schools", headers=http.csrf, json={"name": "", "school_number": "a b"})
        assert invalid.status_code == 422
        assert {f["code"] for f in invalid.json()["error"]["fields"]} == {"required", "school_number_invalid"}
        first = await http.post(f"/api/v1/schools/{school_id}/admins", headers=http.csrf,
                                json={"given_name": "Ada", "family_name": "Admin", "username": unique("ada").lower()})
        assert first.status_code == 201 and first.json()["initial_password"]
        refused = await http.post(f"/api/v1/schools/{school_id}/admins", headers=http.csrf,
                                  json={"given_name": "Bob", "family_name": "Admin"})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "school_has_admin"
        listed = (await http.get("/api/v1/schools")).json()["items"]
        assert any(s["id"] == school_id for s in listed)
        assert (await http.get("/api/v1/schools/999999")).status_code == 404
    async with logged_in(app, admin) as http:
        assert (await http.get("/api/v1/schools")).status_code == 403
        assert (await http.get("/operator/schools")).status_code == 403
        assert (await http.post("/api/v1/schools", headers=http.csrf, json={"name": "X"})).status_code == 403
