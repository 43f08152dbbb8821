"""Accounts of a school through the pages (/admin/users) and the JSON API (/api/v1/users)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from schoolcloud.accounts import services
from schoolcloud.accounts.models import Role, User
from schoolcloud.auth.models import LoginSession
from schoolcloud.privacy.models import AuditEvent
from tests.support import browser
from tests.support.data import logged_in, make_class, make_member, make_school

PASSWORD_RE = re.compile(r'<td class="mono secret">([^<]+)</td>')


def one_time_password(html: str) -> str:
    match = PASSWORD_RE.search(html)
    assert match, "no one-time password on the page"
    return unescape(match.group(1))


async def post_form(http, path: str, data: dict | None = None, form_page: str | None = None):
    """POST a form with the CSRF token of the page it sits on (or of `path` itself)."""
    page = await http.get(form_page or path)
    assert page.status_code == 200, page.text[:300]
    return await http.post(path, data={"csrf_token": browser.csrf_from(page.text), **(data or {})})


@pytest.mark.postgres
async def test_admin_creates_account_on_page_and_it_logs_in_with_the_one_time_password(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    school_class = await make_class(school, "7b", grade_level=7)
    async with logged_in(app, admin) as http:
        response = await post_form(http, "/admin/users/new", {
            "given_name": "Jörg", "family_name": "Weiß", "role": "pupil", "birth_date": "2014-03-02",
            "email": "", "username": "", "class_id": str(school_class.id)})
        assert response.status_code == 303 and response.headers["location"].startswith("/credentials")
        shown = await http.get(response.headers["location"])
        assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
        password = one_time_password(shown.text)
        assert "joerg.weiss" in shown.text
        again = await http.get("/credentials")
        assert password not in again.text  # shown once
    user = await User.get(username="joerg.weiss")
    assert user.school_id == school.id and user.role == Role.PUPIL and user.must_change_password
    assert password not in (user.password_hash or "")
    assert await school_class.members.filter(id=user.id).exists()
    assert await AuditEvent.filter(action="user.created", target_id=str(user.public_id),
                                   actor=str(admin.public_id)).exists()
    event = await AuditEvent.filter(action="user.created", target_id=str(user.public_id)).first()
    assert "Jörg" not in str(event.details) and "weiss" not in str(event.details)
    async with browser.client(app.base_url) as pupil_http:
        page = await browser.login(pupil_http, "joerg.weiss", password, new_password="mein eigenes Passwort 1")
        assert page.status_code == 200
    await user.refresh_from_db()
    assert not user.must_change_password


async def test_generated_usernames_are_unique_and_lower_case(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    async with logged_in(app, admin) as http:
        names = []
        for _ in range(2):
            response = await http.post("/api/v1/users", headers=http.csrf, json={
                "role": "teacher", "given_name": "Ånne", "family_name": "Łukasz-Öz"})
            assert response.status_code == 201, response.text
            body = response.json()
            assert body["initial_password"] and body["must_change_password"] is True
            names.append(body["user"]["username"])
    assert names[0] != names[1]
    assert all(name == name.lower() and name.startswith("anne.lukaszoez") for name in names)


async def test_list_search_filter_and_paging(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    school_class = await make_class(school, "9c", grade_level=9)
    greta = await make_member(school, Role.PUPIL, given_name="Greta", family_name="Gärtner")
    await school_class.members.add(greta)
    await make_member(school, Role.PUPIL, given_name="Hans", family_name="Gärtner")
    for n in range(3):
        await make_member(school, Role.TEACHER, given_name=f"Lehrer{n}", family_name="Zimmer")
    async with logged_in(app, admin) as http:
        found = (await http.get("/api/v1/users", params={"q": "gärtner greta"})).json()
        assert [u["id"] for u in found["items"]] == [str(greta.public_id)]
        assert found["items"][0]["classes"][0]["name"] == "9c"
        by_class = (await http.get("/api/v1/users", params={"class_id": school_class.id})).json()
        assert by_class["total"] == 1
        teachers = (await http.get("/api/v1/users", params={"role": "teacher", "per_page": 2})).json()
        assert teachers["total"] == 3 and len(teachers["items"]) == 2 and teachers["pages"] == 2
        page = await http.get("/admin/users", params={"q": "Gärtner"})
        assert page.status_code == 200
        assert "Greta" in page.text and "Hans" in page.text and "Lehrer1" not in page.text
        assert '<th scope="col">' in page.text


async def test_edit_on_page_with_validation_errors_next_to_the_fields(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    pupil = await make_member(school, Role.PUPIL, given_name="Ida", family_name="Ohm")
    path = f"/admin/users/{pupil.public_id}/edit"
    async with logged_in(app, admin, headers={"Accept-Language": "en"}) as http:
        bad = await post_form(http, path, {"given_name": "", "family_name": "Ohm", "role": "pupil",
                                           "birth_date": "31.02.2015", "email": "nope", "username": pupil.username})
        assert bad.status_code == 422
        assert 'id="f-given_name"' in bad.text
        assert re.search(r'id="f-given_name"[^>]*aria-invalid="true"[^>]*aria-describedby="f-given_name-error"',
                         bad.text)
        assert 'id="f-email-error"' in bad.text and "This is not a valid email address." in bad.text
        assert 'id="f-birth_date-error"' in bad.text
        assert "style=" not in bad.text and "<script>" not in bad.text
        good = await post_form(http, path, {"given_name": "Ida Marie", "family_name": "Ohm", "role": "pupil",
                                            "birth_date": "2015-01-05", "email": "ida@example.org",
                                            "username": "ida.ohm"})
        assert good.status_code == 303 and good.headers["location"] == f"/admin/users/{pupil.public_id}"
        detail = await http.get(good.headers["location"])
        assert "ida.ohm" in detail.text and "The changes were saved." in detail.text
    await pupil.refresh_from_db()
    assert (pupil.given_name, pupil.username, pupil.email) == ("Ida Marie", "ida.ohm", "ida@example.org")
    assert await AuditEvent.filter(action="user.updated", target_id=str(pupil.public_id)).exists()


async def test_api_validation_errors_are_422_with_field_codes_in_both_languages(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    taken = await make_member(school, Role.TEACHER)
    async with logged_in(app, admin) as http:
        response = await http.post("/api/v1/users", headers=http.csrf, json={
            "role": "operator", "given_name": "  ", "family_name": "1234", "birth_date": "2999-01-01",
            "email": "x@", "username": taken.username})
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid"
        codes = {f["field"]: f["code"] for f in error["fields"]}
        assert codes == {"role": "role_invalid", "given_name": "required", "family_name": "name_invalid",
                         "birth_date": "birth_date_future", "email": "email_invalid", "username": "username_taken"}
        assert all(f["message_en"] and f["message_de"] for f in error["fields"])
        email = next(f for f in error["fields"] if f["field"] == "email")
        assert email["message_en"] == "This is not a valid email address."
        unknown = await http.patch(f"/api/v1/users/{taken.public_id}", headers=http.csrf, json={"school_id": 1})
        assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["code"] == "unknown_field"
        no_csrf = await http.post("/api/v1/users", json={"role": "pupil", "given_name": "A", "family_name": "B"})
        assert no_csrf.status_code == 403


@pytest.mark.postgres
async def test_deactivate_and_delete_through_the_pages(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    pupil = await make_member(school, Role.PUPIL)
    school_class = await make_class(school, members=[pupil])
    async with logged_in(app, pupil):
        pass  # leaves a session behind
    assert await LoginSession.filter(user_id=pupil.id).exists()
    base = f"/admin/users/{pupil.public_id}"
    async with logged_in(app, admin) as http:
        confirm = await http.get(f"{base}/deactivate")
        assert confirm.status_code == 200 and 'action="' + base + '/deactivate"' in confirm.text
        response = await post_form(http, f"{base}/deactivate")
        assert response.status_code == 303
        await pupil.refresh_from_db()
        assert not pupil.active
        assert not await LoginSession.filter(user_id=pupil.id).exists()
        response = await post_form(http, f"{base}/reactivate", form_page=base)
        assert response.status_code == 303
        await pupil.refresh_from_db()
        assert pupil.active
        confirm = await http.get(f"{base}/delete")
        assert confirm.status_code == 200 and "button-danger" in confirm.text
        response = await post_form(http, f"{base}/delete")
        assert response.status_code == 303 and response.headers["location"] == "/admin/users"
        assert (await http.get(base)).status_code == 404
    assert not await User.filter(id=pupil.id).exists()
    assert not await school_class.members.all().exists()
    assert await AuditEvent.filter(action="user.deleted", target_id=str(pupil.public_id)).exists()
    assert await AuditEvent.filter(action="user.deactivated", target_id=str(pupil.public_id)).exists()


async def test_admin_cannot_delete_or_deactivate_self_or_the_last_active_admin(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    other = await make_member(school, Role.SCHOOL_ADMIN, active=False)
    async with logged_in(app, admin) as http:
        own = await http.delete(f"/api/v1/users/{admin.public_id}", headers=http.csrf)
        assert own.status_code == 409 and own.json()["error"]["code"] == "own_account"
        assert (await http.get(f"/admin/users/{admin.public_id}/delete")).status_code == 409
        assert (await http.post(f"/api/v1/users/{admin.public_id}/password-reset",
                                headers=http.csrf)).status_code == 409
        demote = await http.patch(f"/api/v1/users/{admin.public_id}", headers=http.csrf, json={"role": "teacher"})
        assert demote.status_code == 422 and demote.json()["error"]["fields"][0]["code"] == "own_role"
        assert (await http.patch(f"/api/v1/users/{other.public_id}", headers=http.csrf,
                                 json={"active": True})).status_code == 200
    # Called without HTTP, by an admin whose account was deactivated meanwhile (a stale actor): the
    # school's only active administrator still stays.
    await User.filter(id=admin.id).update(active=False)
    with pytest.raises(services.Conflict) as refused:
        await services.delete_user(admin, other.public_id)
    assert refused.value.code == "last_admin"
    with pytest.raises(services.Conflict):
        await services.deactivate_user(admin, other.public_id)
    assert await User.filter(id=other.id, active=True).exists()


async def test_api_crud_round_trip(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    async with logged_in(app, admin) as http:
        created = await http.post("/api/v1/users", headers=http.csrf, json={
            "role": "teacher", "given_name": "Karl", "family_name": "Kant", "username": "K.Kant",
            "birth_date": "1980-04-22", "email": "kant@example.org"})
        assert created.status_code == 201, created.text
        user_id = created.json()["user"]["id"]
        assert created.json()["user"]["username"] == "k.kant"
        got = (await http.get(f"/api/v1/users/{user_id}")).json()
        assert got["birth_date"] == "1980-04-22" and got["role"] == "teacher"
        changed = await http.patch(f"/api/v1/users/{user_id}", headers=http.csrf,
                                   json={"family_name": "Kantig", "email": None, "active": False})
        assert changed.status_code == 200
        assert changed.json()["family_name"] == "Kantig" and changed.json()["email"] is None
        assert changed.json()["active"] is False
        assert (await http.delete(f"/api/v1/users/{user_id}", headers=http.csrf)).status_code == 204
        assert (await http.get(f"/api/v1/users/{user_id}")).status_code == 404
        assert (await http.get("/api/v1/users/not-a-uuid")).status_code == 404


async def test_openapi_documents_every_accounts_endpoint(app):
    async with browser.client(app.base_url) as http:
        paths = (await http.get("/api/v1/openapi.json")).json()["paths"]
    expected = {
        "/users": {"get", "post"}, "/users/{user_id}": {"get", "patch", "delete"},
        "/users/{user_id}/password-reset": {"post"}, "/classes": {"get", "post"},
        "/classes/{class_id}": {"get", "patch", "delete"}, "/classes/{class_id}/members": {"get", "post"},
        "/classes/{class_id}/members/{user_id}": {"delete"}, "/courses": {"get", "post"},
        "/courses/{course_id}": {"get", "patch", "delete"}, "/imports/preview": {"post"}, "/imports": {"post"},
        "/imports/letters": {"post"}, "/schools": {"get", "post"}, "/schools/{school_id}": {"get", "patch"},
        "/schools/{school_id}/admins": {"post"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"] and operation["responses"], (path, method)
