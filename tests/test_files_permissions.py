"""Who may read and write which space: every refusal through the real API, scoped by school."""

from __future__ import annotations

import pytest

from schoolcloud.accounts.models import Course, Role, SchoolClass
from schoolcloud.files.models import Node
from tests.support.data import make_school
from tests.support.files import api_client, listing, person, personal_root, spaces, tus_metadata, upload


async def _class_with(school, *members) -> SchoolClass:
    school_class = await SchoolClass.create(school=school, name="6c", grade_level=6, school_year="2026/27")
    await school_class.members.add(*members)
    return school_class


@pytest.mark.postgres
async def test_class_space_teachers_write_pupils_read(app):
    school = await make_school()
    teacher = await person(Role.TEACHER, school)
    pupil = await person(Role.PUPIL, school)
    outsider = await person(Role.PUPIL, school)
    await _class_with(school, teacher, pupil)
    async with api_client(app.base_url, teacher) as http:
        group = next(s for s in await spaces(http) if s["kind"] == "class")
        assert group["access"] == "write" and group["manageable"] and not group["pupils_may_write"]
        sheet = (await upload(http, group["root_id"], "Aufgaben.pdf", b"%PDF-1")).json()
    async with api_client(app.base_url, pupil) as http:
        group = next(s for s in await spaces(http) if s["kind"] == "class")
        assert group["access"] == "read" and not group["manageable"]
        assert [i["name"] for i in (await listing(http, group["root_id"]))["items"]] == ["Aufgaben.pdf"]
        assert (await http.get(f"/api/v1/files/content/{sheet['id']}")).content == b"%PDF-1"
        refused = await upload(http, group["root_id"], "Meins.txt", b"x")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
        assert (await http.delete(f"/api/v1/files/nodes/{sheet['id']}")).status_code == 403
        assert (await http.patch(f"/api/v1/files/nodes/{sheet['id']}", json={"name": "x.pdf"})).status_code == 403
        assert (await http.put(f"/api/v1/files/content/{sheet['id']}", content=b"x")).status_code == 403
        assert (await http.post(f"/api/v1/files/nodes/{group['root_id']}/folders", json={"name": "x"})).status_code == 403
        tus = await http.post("/api/v1/files/tus", headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": "1",
            "Upload-Metadata": tus_metadata(filename="a.txt", folder=str(group["root_id"]))})
        assert tus.status_code == 403
        assert (await http.patch(f"/api/v1/files/spaces/{group['id']}", json={"pupils_may_write": True})).status_code == 403
        assert (await http.get("/api/v1/files/trash", params={"space": group["id"]})).status_code == 404
        # copying from the class space into the own space is fine: reading is allowed
        own = await personal_root(http)
        assert (await http.post(f"/api/v1/files/nodes/{sheet['id']}/copy", json={"parent_id": own})).status_code == 201
    async with api_client(app.base_url, teacher) as http:
        changed = await http.patch(f"/api/v1/files/spaces/{group['id']}", json={"pupils_may_write": True})
        assert changed.status_code == 200 and changed.json()["pupils_may_write"]
    async with api_client(app.base_url, pupil) as http:
        assert (await upload(http, group["root_id"], "Meins.txt", b"x")).status_code == 201
    async with api_client(app.base_url, outsider) as http:
        assert all(s["kind"] == "personal" for s in await spaces(http))
        assert (await http.get(f"/api/v1/files/nodes/{group['root_id']}/children")).status_code == 404
        assert (await http.get(f"/api/v1/files/content/{sheet['id']}")).status_code == 404
        assert (await upload(http, group["root_id"], "x.txt", b"x")).status_code == 404


@pytest.mark.postgres
async def test_personal_spaces_are_private_and_other_schools_see_nothing(app):
    school = await make_school()
    owner = await person(Role.PUPIL, school)
    classmate = await person(Role.PUPIL, school)
    admin = await person(Role.SCHOOL_ADMIN, school)
    foreign_admin = await person(Role.SCHOOL_ADMIN, await make_school())
    async with api_client(app.base_url, owner) as http:
        root = await personal_root(http)
        diary = (await upload(http, root, "Tagebuch.txt", b"privat")).json()
    checks = [
        ("GET", f"/api/v1/files/nodes/{root}/children"), ("GET", f"/api/v1/files/nodes/{diary['id']}"),
        ("GET", f"/api/v1/files/content/{diary['id']}"), ("GET", f"/api/v1/files/nodes/{diary['id']}/versions"),
        ("DELETE", f"/api/v1/files/nodes/{diary['id']}"), ("POST", f"/api/v1/files/upload/{root}?name=x.txt"),
        ("PATCH", f"/api/v1/files/nodes/{diary['id']}"), ("GET", f"/api/v1/files/spaces/{diary['space_id']}"),
    ]
    for intruder in (classmate, admin, foreign_admin):
        async with api_client(app.base_url, intruder) as http:
            for method, url in checks:
                response = await http.request(method, url, json={"name": "x"} if method == "PATCH" else None)
                assert response.status_code == 404, (intruder.role, method, url, response.text)
            found = (await http.get("/api/v1/files/search", params={"q": "tagebuch"})).json()["items"]
            assert found == []
    assert await Node.filter(id=diary["id"], trash_key=0).exists()


async def test_admins_write_every_group_space_of_their_school_only(app):
    school = await make_school()
    admin = await person(Role.SCHOOL_ADMIN, school)
    teacher = await person(Role.TEACHER, school)
    await _class_with(school, teacher)
    foreign = await make_school()
    foreign_class = await SchoolClass.create(school=foreign, name="9z", grade_level=9, school_year="2026/27")
    async with api_client(app.base_url, admin) as http:
        groups = [s for s in await spaces(http) if s["kind"] == "class"]
        assert [g["title"] for g in groups] == ["6c"] and groups[0]["access"] == "write"
        assert (await upload(http, groups[0]["root_id"], "Elternbrief.pdf", b"%PDF")).status_code == 201
    from schoolcloud.files.spaces import class_space, root_of

    foreign_root = await root_of(await class_space(foreign_class))
    async with api_client(app.base_url, admin) as http:
        assert (await http.get(f"/api/v1/files/nodes/{foreign_root.id}/children")).status_code == 404


async def test_course_pupils_write_by_default_and_operators_have_no_files(app):
    school = await make_school()
    teacher = await person(Role.TEACHER, school)
    pupil = await person(Role.PUPIL, school)
    other_teacher = await person(Role.TEACHER, school)
    school_class = await _class_with(school, pupil)
    course = await Course.create(school=school, name="Informatik 10", subject="Informatik", school_year="2026/27")
    await course.teachers.add(teacher)
    await course.classes.add(school_class)  # the pupil belongs through the class
    async with api_client(app.base_url, pupil) as http:
        group = next(s for s in await spaces(http) if s["kind"] == "course")
        assert group["access"] == "write" and group["pupils_may_write"]
        assert (await upload(http, group["root_id"], "Abgabe.py", b"print(1)")).status_code == 201
    async with api_client(app.base_url, other_teacher) as http:
        assert (await http.get(f"/api/v1/files/nodes/{group['root_id']}/children")).status_code == 404
    from tests.support.data import make_user
    from tests.support.files import PASSWORD

    operator = await make_user(None, Role.OPERATOR, password=PASSWORD)
    async with api_client(app.base_url, operator) as http:
        response = await http.get("/api/v1/files/spaces")
        assert response.status_code == 403 and response.json()["error"]["code"] == "no_files"
