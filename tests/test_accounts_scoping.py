"""Every query is scoped to the actor's school: nothing of school B is visible or changeable from school A,
pupils get nothing, operators get schools but no pupils' data."""

from __future__ import annotations

import pytest

from schoolcloud.accounts.models import Course, Role, SchoolClass, User
from tests.support import browser
from tests.support.data import logged_in, make_class, make_member, make_school


@pytest.fixture
async def two_schools():
    school_a, school_b = await make_school(), await make_school()
    admin_a = await make_member(school_a, Role.SCHOOL_ADMIN)
    pupil_b = await make_member(school_b, Role.PUPIL, given_name="Bertha")
    class_b = await make_class(school_b, "7x", members=[pupil_b], grade_level=7)
    course_b = await Course.create(school=school_b, name="Latein B", school_year="2026/27")
    return admin_a, pupil_b, class_b, course_b


@pytest.mark.postgres
async def test_admin_of_school_a_cannot_reach_school_b_through_the_api(app, two_schools):
    admin_a, pupil_b, class_b, course_b = two_schools
    user = f"/api/v1/users/{pupil_b.public_id}"
    async with logged_in(app, admin_a) as http:
        listed = (await http.get("/api/v1/users", params={"q": "Bertha"})).json()
        assert listed["total"] == 0
        assert (await http.get("/api/v1/users", params={"class_id": class_b.id})).status_code == 404
        assert (await http.get(user)).status_code == 404
        assert (await http.patch(user, headers=http.csrf, json={"given_name": "Hacked"})).status_code == 404
        assert (await http.patch(user, headers=http.csrf, json={"active": False})).status_code == 404
        assert (await http.delete(user, headers=http.csrf)).status_code == 404
        assert (await http.post(f"{user}/password-reset", headers=http.csrf)).status_code in (403, 404)
        assert (await http.get(f"/api/v1/classes/{class_b.id}")).status_code == 404
        assert (await http.get(f"/api/v1/classes/{class_b.id}/members")).status_code == 404
        assert (await http.patch(f"/api/v1/classes/{class_b.id}", headers=http.csrf,
                                 json={"name": "x"})).status_code == 404
        assert (await http.delete(f"/api/v1/classes/{class_b.id}", headers=http.csrf)).status_code == 404
        assert (await http.get(f"/api/v1/courses/{course_b.id}")).status_code == 404
        assert (await http.patch(f"/api/v1/courses/{course_b.id}", headers=http.csrf,
                                 json={"name": "x"})).status_code == 404
        assert (await http.delete(f"/api/v1/courses/{course_b.id}", headers=http.csrf)).status_code == 404
        assert all(c["id"] != class_b.id for c in (await http.get("/api/v1/classes")).json()["items"])
        assert all(c["id"] != course_b.id for c in (await http.get("/api/v1/courses")).json()["items"])
        # Nor can school B's people or classes be pulled into school A's groups.
        own_class = (await http.post("/api/v1/classes", headers=http.csrf, json={
            "name": "1a", "grade_level": 1, "school_year": "2026/27"})).json()
        pulled = await http.post(f"/api/v1/classes/{own_class['id']}/members", headers=http.csrf,
                                 json={"user_ids": [str(pupil_b.public_id)]})
        assert pulled.status_code == 422
        course = await http.post("/api/v1/courses", headers=http.csrf, json={
            "name": "Mathe", "school_year": "2026/27", "class_ids": [class_b.id]})
        assert course.status_code == 422
    await pupil_b.refresh_from_db()
    assert pupil_b.given_name == "Bertha" and pupil_b.active
    assert await SchoolClass.filter(id=class_b.id, name="7x").exists()
    assert await Course.filter(id=course_b.id, name="Latein B").exists()


async def test_admin_of_school_a_cannot_reach_school_b_through_the_pages(app, two_schools):
    admin_a, pupil_b, class_b, course_b = two_schools
    async with logged_in(app, admin_a) as http:
        for path in (f"/admin/users/{pupil_b.public_id}", f"/admin/users/{pupil_b.public_id}/edit",
                     f"/admin/users/{pupil_b.public_id}/delete", f"/admin/classes/{class_b.id}",
                     f"/admin/classes/{class_b.id}/edit", f"/admin/courses/{course_b.id}",
                     f"/classes/{class_b.id}"):
            response = await http.get(path)
            assert response.status_code == 404, path
        page = await http.get("/admin/users")
        token = browser.csrf_from(page.text)
        assert "Bertha" not in page.text
        for path in (f"/admin/users/{pupil_b.public_id}/delete", f"/admin/users/{pupil_b.public_id}/deactivate",
                     f"/admin/classes/{class_b.id}/delete", f"/admin/courses/{course_b.id}/delete"):
            response = await http.post(path, data={"csrf_token": token})
            assert response.status_code == 404, path
        reset = await http.post(f"/admin/users/{pupil_b.public_id}/password-reset", data={"csrf_token": token})
        assert reset.status_code in (403, 404)
    assert await User.filter(id=pupil_b.id, active=True).exists()
    assert await SchoolClass.filter(id=class_b.id).exists()


@pytest.mark.postgres
async def test_pupils_get_403_on_admin_pages_and_api(app):
    school = await make_school()
    pupil = await make_member(school, Role.PUPIL)
    other = await make_member(school, Role.PUPIL)
    async with logged_in(app, pupil) as http:
        for path in ("/admin/users", "/admin/users/new", f"/admin/users/{other.public_id}", "/admin/classes",
                     "/admin/courses", "/admin/import", "/classes", "/operator/schools"):
            assert (await http.get(path)).status_code == 403, path
        for path in ("/api/v1/users", f"/api/v1/users/{other.public_id}", "/api/v1/classes", "/api/v1/courses",
                     "/api/v1/schools"):
            response = await http.get(path)
            assert response.status_code == 403, path
            assert response.json()["error"]["code"] == "forbidden"
        created = await http.post("/api/v1/users", headers=http.csrf, json={
            "role": "school_admin", "given_name": "Evil", "family_name": "Pupil"})
        assert created.status_code == 403
        reset = await http.post(f"/api/v1/users/{other.public_id}/password-reset", headers=http.csrf)
        assert reset.status_code == 403
        imported = await http.post("/api/v1/imports/preview", headers={**http.csrf, "Content-Type": "text/csv"},
                                   content=b"Nachname;Vorname;Rolle\nA;B;Lehrer\n")
        assert imported.status_code == 403


async def test_teachers_cannot_manage_and_operators_see_no_pupils(app):
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    operator = await make_member(None, Role.OPERATOR)
    pupil = await make_member(school, Role.PUPIL)
    async with logged_in(app, teacher) as http:
        assert (await http.get("/admin/users")).status_code == 403
        assert (await http.get(f"/api/v1/users/{pupil.public_id}")).status_code == 404  # not in their class
        assert (await http.delete(f"/api/v1/users/{pupil.public_id}", headers=http.csrf)).status_code == 403
        assert (await http.post("/api/v1/users", headers=http.csrf, json={
            "role": "pupil", "given_name": "A", "family_name": "B"})).status_code == 403
    async with logged_in(app, operator) as http:
        assert (await http.get("/api/v1/users")).status_code == 403
        assert (await http.get(f"/api/v1/users/{pupil.public_id}")).status_code == 403
        assert (await http.get("/admin/users")).status_code == 403
        assert (await http.get("/classes")).status_code == 403
        detail = (await http.get(f"/api/v1/schools/{school.id}")).json()
        assert detail["counts"]["pupil"] == 1 and pupil.username not in str(detail)
