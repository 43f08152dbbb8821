"""Classes and courses through the pages and the JSON API."""

from __future__ import annotations

import pytest

from schoolcloud.accounts import services
from schoolcloud.accounts.models import Course, Role, SchoolClass
from schoolcloud.privacy.models import AuditEvent
from tests.support import browser
from tests.support.data import logged_in, make_class, make_member, make_school


async def post_form(http, path: str, data: dict | None = None, form_page: str | None = None):
    page = await http.get(form_page or path)
    assert page.status_code == 200, page.text[:300]
    return await http.post(path, data={"csrf_token": browser.csrf_from(page.text), **(data or {})})


@pytest.mark.postgres
async def test_class_crud_and_members_on_pages(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    pupil = await make_member(school, Role.PUPIL, given_name="Pia", family_name="Pohl")
    teacher = await make_member(school, Role.TEACHER, given_name="Theo", family_name="Pohlmann")
    async with logged_in(app, admin) as http:
        response = await post_form(http, "/admin/classes/new", {"name": "6d", "grade_level": "6",
                                                                "school_year": "2026/27"})
        assert response.status_code == 303
        school_class = await SchoolClass.get(school_id=school.id, name="6d")
        detail_path = f"/admin/classes/{school_class.id}"
        assert response.headers["location"] == detail_path
        duplicate = await post_form(http, "/admin/classes/new", {"name": "6d", "grade_level": "6",
                                                                 "school_year": "2026/27"})
        assert duplicate.status_code == 422 and 'id="f-name-error"' in duplicate.text
        invalid = await post_form(http, "/admin/classes/new", {"name": "6e", "grade_level": "14",
                                                               "school_year": "2026/28"})
        assert invalid.status_code == 422
        assert 'id="f-grade_level-error"' in invalid.text and 'id="f-school_year-error"' in invalid.text

        search = await http.get(detail_path, params={"q": "Pohl"})
        assert f'value="{pupil.public_id}"' in search.text and f'value="{teacher.public_id}"' in search.text
        added = await http.post(f"{detail_path}/members/add", data={
            "csrf_token": browser.csrf_from(search.text), "user_ids": [str(pupil.public_id), str(teacher.public_id)]})
        assert added.status_code == 303
        assert set(await school_class.members.all().values_list("id", flat=True)) == {pupil.id, teacher.id}
        page = await http.get(detail_path)
        assert "Pia" in page.text and "Theo" in page.text
        removed = await http.post(f"{detail_path}/members/remove", data={
            "csrf_token": browser.csrf_from(page.text), "user_id": str(pupil.public_id)})
        assert removed.status_code == 303
        assert await school_class.members.all().count() == 1

        edited = await post_form(http, f"{detail_path}/edit", {"name": "6D", "grade_level": "6",
                                                               "school_year": "2026/27"})
        assert edited.status_code == 303
        await school_class.refresh_from_db()
        assert school_class.name == "6D"
        deleted = await post_form(http, f"{detail_path}/delete")
        assert deleted.status_code == 303
    assert not await SchoolClass.filter(id=school_class.id).exists()
    assert {"class.created", "class.updated", "class.members_added", "class.members_removed", "class.deleted"} <= \
        set(await AuditEvent.filter(school_id=school.id).values_list("action", flat=True))


async def test_class_api_and_membership_is_limited_to_the_school(app):
    school, other_school = await make_school(), await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    pupil = await make_member(school, Role.PUPIL)
    colleague = await make_member(school, Role.SCHOOL_ADMIN)
    stranger = await make_member(other_school, Role.PUPIL)
    async with logged_in(app, admin) as http:
        created = await http.post("/api/v1/classes", headers=http.csrf,
                                  json={"name": "Q1", "grade_level": 12, "school_year": "2026/27"})
        assert created.status_code == 201, created.text
        class_id = created.json()["id"]
        bad = await http.post("/api/v1/classes", headers=http.csrf,
                              json={"name": "", "grade_level": 0, "school_year": "26/27"})
        assert bad.status_code == 422
        assert {f["code"] for f in bad.json()["error"]["fields"]} == {"required", "grade_level_invalid",
                                                                       "school_year_invalid"}
        members = f"/api/v1/classes/{class_id}/members"
        foreign = await http.post(members, headers=http.csrf, json={"user_ids": [str(stranger.public_id)]})
        assert foreign.status_code == 422 and foreign.json()["error"]["fields"][0]["code"] == "user_invalid"
        admin_member = await http.post(members, headers=http.csrf, json={"user_ids": [str(colleague.public_id)]})
        assert admin_member.status_code == 422 and admin_member.json()["error"]["fields"][0]["code"] == "member_role"
        ok = await http.post(members, headers=http.csrf, json={"user_ids": [str(pupil.public_id)]})
        assert ok.status_code == 200 and ok.json() == {"added": 1}
        listed = (await http.get(members)).json()
        assert [p["id"] for p in listed["pupils"]] == [str(pupil.public_id)]
        got = (await http.get(f"/api/v1/classes/{class_id}")).json()
        assert got["grade_level"] == 12 and got["pupils"][0]["username"] == pupil.username
        patched = await http.patch(f"/api/v1/classes/{class_id}", headers=http.csrf, json={"name": "Q1a"})
        assert patched.status_code == 200 and patched.json()["name"] == "Q1a"
        assert (await http.delete(f"{members}/{pupil.public_id}", headers=http.csrf)).status_code == 204
        listing = (await http.get("/api/v1/classes", params={"school_year": "2026/27"})).json()["items"]
        assert [c["name"] for c in listing] == ["Q1a"] and listing[0]["pupil_count"] == 0
        assert (await http.delete(f"/api/v1/classes/{class_id}", headers=http.csrf)).status_code == 204
        assert (await http.get(f"/api/v1/classes/{class_id}")).status_code == 404


@pytest.mark.postgres
async def test_course_with_teachers_pupils_and_linked_classes(app):
    school = await make_school()
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    teacher = await make_member(school, Role.TEACHER)
    own_pupil = await make_member(school, Role.PUPIL)
    class_pupils = [await make_member(school, Role.PUPIL) for _ in range(2)]
    class_teacher = await make_member(school, Role.TEACHER)
    linked = await make_class(school, "8a", members=[*class_pupils, class_teacher], grade_level=8)
    async with logged_in(app, admin) as http:
        created = await http.post("/api/v1/courses", headers=http.csrf, json={
            "name": "Informatik AG", "subject": "Informatik", "school_year": "2026/27",
            "teacher_ids": [str(teacher.public_id)], "pupil_ids": [str(own_pupil.public_id)],
            "class_ids": [linked.id]})
        assert created.status_code == 201, created.text
        course_id = created.json()["id"]
        assert [t["id"] for t in created.json()["teachers"]] == [str(teacher.public_id)]
        got = (await http.get(f"/api/v1/courses/{course_id}")).json()
        assert got["member_count"] == 4  # teacher, own pupil, two pupils of 8a (not 8a's teacher)
        wrong_role = await http.patch(f"/api/v1/courses/{course_id}", headers=http.csrf,
                                      json={"teacher_ids": [str(own_pupil.public_id)]})
        assert wrong_role.status_code == 422
        replaced = await http.patch(f"/api/v1/courses/{course_id}", headers=http.csrf,
                                    json={"pupil_ids": [], "subject": "Info"})
        assert replaced.status_code == 200 and replaced.json()["pupils"] == []

        page = await http.get(f"/admin/courses/{course_id}", params={"q": own_pupil.family_name})
        assert page.status_code == 200 and "Informatik AG" in page.text
        changed = await http.post(f"/admin/courses/{course_id}/members", data={
            "csrf_token": browser.csrf_from(page.text), "user_ids": [str(own_pupil.public_id)],
            "remove_class": [str(linked.id)]})
        assert changed.status_code == 303
        course = await Course.get(id=course_id)
        assert await services.course_member_ids(course) == {teacher.id, own_pupil.id}

        form = await post_form(http, "/admin/courses/new", {"name": "Informatik AG", "subject": "",
                                                             "school_year": "2026/27"})
        assert form.status_code == 422 and 'id="f-name-error"' in form.text
        listing = await http.get("/admin/courses")
        assert "Informatik AG" in listing.text
        deleted = await post_form(http, f"/admin/courses/{course_id}/delete")
        assert deleted.status_code == 303
    assert not await Course.filter(id=course_id).exists()
    assert await AuditEvent.filter(action="course.created", target_id=str(course_id)).exists()


async def test_a_user_belongs_to_several_classes_and_courses(app):
    school = await make_school()
    pupil = await make_member(school, Role.PUPIL)
    first = await make_class(school, "5a", members=[pupil])
    await make_class(school, "Förder", members=[pupil])
    course_a = await Course.create(school=school, name="Chor", school_year="2026/27")
    course_b = await Course.create(school=school, name="Theater", school_year="2026/27")
    await course_a.pupils.add(pupil)
    await course_b.classes.add(first)
    assert {c.id for c in await services.courses_of(pupil)} == {course_a.id, course_b.id}
    assert pupil.id in await services.course_member_ids(course_b)
    assert await pupil.classes.all().count() == 2


async def test_teacher_sees_own_classes_read_only(app):
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    pupil = await make_member(school, Role.PUPIL, given_name="Mila")
    mine = await make_class(school, "Eulen-3b", members=[teacher, pupil], grade_level=3)
    other = await make_class(school, "Igel-4c", grade_level=4)
    async with logged_in(app, teacher) as http:
        listing = await http.get("/classes")
        assert listing.status_code == 200
        # Names no random token on the page can contain by chance.
        assert "Eulen-3b" in listing.text and "Igel-4c" not in listing.text
        page = await http.get(f"/classes/{mine.id}")
        assert page.status_code == 200 and "Mila" in page.text and "password-reset" in page.text
        assert (await http.get(f"/classes/{other.id}")).status_code == 404
        api = (await http.get("/api/v1/classes")).json()["items"]
        assert [c["id"] for c in api] == [mine.id]
        assert (await http.get(f"/api/v1/classes/{other.id}")).status_code == 404
        users = (await http.get("/api/v1/users")).json()
        assert [u["id"] for u in users["items"]] == [str(pupil.public_id)]
        refused = await http.post("/api/v1/classes", headers=http.csrf,
                                  json={"name": "9z", "grade_level": 9, "school_year": "2026/27"})
        assert refused.status_code == 403
        assert (await http.patch(f"/api/v1/classes/{mine.id}", headers=http.csrf,
                                 json={"name": "x"})).status_code == 403
        assert (await http.get("/admin/classes")).status_code == 403
