"""Teams over the real API: who may create them, members (same school only), the team space."""

from __future__ import annotations

import pytest

from schoolcloud.accounts.models import Role
from schoolcloud.privacy.models import AuditEvent
from tests.support.data import make_member, make_school
from tests.support.files import api_client, listing, spaces, upload


@pytest.mark.postgres
async def test_teacher_creates_team_adds_members_who_write_in_its_space(app):
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    pupil = await make_member(school, Role.PUPIL)
    bystander = await make_member(school, Role.PUPIL)
    foreign = await make_member(await make_school(), Role.PUPIL)
    async with api_client(app.base_url, teacher) as http:
        created = await http.post("/api/v1/files/teams", json={"name": "Schülerzeitung"})
        assert created.status_code == 201, created.text
        team = created.json()
        assert team["manageable"] and [m["role"] for m in team["members"]] == ["owner"]
        added = await http.post(f"/api/v1/files/teams/{team['id']}/members", json={"user_id": pupil.id})
        assert added.status_code == 201 and added.json()["role"] == "member"
        refused = await http.post(f"/api/v1/files/teams/{team['id']}/members", json={"user_id": foreign.id})
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "outside_school"
        as_owner = await http.post(f"/api/v1/files/teams/{team['id']}/members",
                                   json={"user_id": bystander.id, "role": "owner"})
        assert as_owner.status_code == 422 and as_owner.json()["error"]["code"] == "pupil_owner"
        assert (await upload(http, team["root_id"], "Plan.txt", b"Ausgabe 1")).status_code == 201
        last = await http.delete(f"/api/v1/files/teams/{team['id']}/members/{teacher.id}")
        assert last.status_code == 409 and last.json()["error"]["code"] == "last_owner"
    assert await AuditEvent.filter(action="teams.create", target_id=str(team["id"])).exists()
    async with api_client(app.base_url, pupil) as http:
        mine = (await http.get("/api/v1/files/teams")).json()["items"]
        assert [t["id"] for t in mine] == [team["id"]]
        assert (await http.post("/api/v1/files/teams", json={"name": "Eigenes"})).status_code == 403
        assert (await http.post(f"/api/v1/files/teams/{team['id']}/members",
                                json={"user_id": bystander.id})).status_code == 403
        assert [i["name"] for i in (await listing(http, team["root_id"]))["items"]] == ["Plan.txt"]
        assert (await upload(http, team["root_id"], "Artikel.txt", b"text")).status_code == 201
        found = (await http.get("/api/v1/files/search", params={"q": "artikel"})).json()["items"]
        assert [i["name"] for i in found] == ["Artikel.txt"]
        assert (await http.patch(f"/api/v1/files/teams/{team['id']}", json={"name": "Neu"})).status_code == 403
    async with api_client(app.base_url, bystander) as http:
        assert (await http.get(f"/api/v1/files/teams/{team['id']}")).status_code == 404
        assert (await http.get(f"/api/v1/files/nodes/{team['root_id']}/children")).status_code == 404
        assert (await upload(http, team["root_id"], "x.txt", b"x")).status_code == 404
    async with api_client(app.base_url, teacher) as http:
        removed = await http.delete(f"/api/v1/files/teams/{team['id']}/members/{pupil.id}")
        assert removed.status_code == 204
        detail = (await http.get(f"/api/v1/files/teams/{team['id']}")).json()
        assert [m["user_id"] for m in detail["members"]] == [teacher.id]
    async with api_client(app.base_url, pupil) as http:
        assert (await http.get(f"/api/v1/files/nodes/{team['root_id']}/children")).status_code == 404


async def test_team_names_are_checked_and_admins_see_all_teams(app):
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    async with api_client(app.base_url, teacher) as http:
        bad = await http.post("/api/v1/files/teams", json={"name": "  "})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_team_name"
        team = (await http.post("/api/v1/files/teams", json={"name": "Robotik AG"})).json()
        renamed = await http.patch(f"/api/v1/files/teams/{team['id']}", json={"name": "Robotik-AG"})
        assert renamed.status_code == 200 and renamed.json()["name"] == "Robotik-AG"
    async with api_client(app.base_url, admin) as http:
        assert [t["name"] for t in (await http.get("/api/v1/files/teams")).json()["items"]] == ["Robotik-AG"]
        assert (await upload(http, team["root_id"], "Regeln.txt", b"x")).status_code == 201


@pytest.mark.postgres
async def test_get_spaces_lists_the_team_spaces_of_members_only(app):
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    member = await make_member(school, Role.PUPIL)
    outsider = await make_member(school, Role.PUPIL)
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    other_admin = await make_member(await make_school(), Role.SCHOOL_ADMIN)
    async with api_client(app.base_url, teacher) as http:
        team = (await http.post("/api/v1/files/teams", json={"name": "Theater-AG"})).json()
        assert (await http.post(f"/api/v1/files/teams/{team['id']}/members",
                                json={"user_id": member.id})).status_code == 201
    expected = {"id": team["space_id"], "kind": "team", "title": "Theater-AG", "root_id": team["root_id"],
                "team_id": team["id"], "access": "write"}
    for user in (teacher, member, admin):
        async with api_client(app.base_url, user) as http:
            listed = [s for s in await spaces(http) if s["kind"] == "team"]
            assert [{k: s[k] for k in expected} for s in listed] == [expected], user.role
            assert (await http.get(f"/api/v1/files/spaces/{team['space_id']}")).json()["title"] == "Theater-AG"
    async with api_client(app.base_url, member) as http:
        # the team's trash is listed for its members like that of any space they write in
        sheet = (await upload(http, team["root_id"], "Rollen.txt", b"Romeo")).json()
        assert (await http.delete(f"/api/v1/files/nodes/{sheet['id']}")).status_code in (200, 204)
        trash = (await http.get("/api/v1/files/trash")).json()["items"]
        assert [i["name"] for i in trash] == ["Rollen.txt"]
    for user in (outsider, other_admin):
        async with api_client(app.base_url, user) as http:
            assert not [s for s in await spaces(http) if s["kind"] == "team"]
            assert (await http.get(f"/api/v1/files/spaces/{team['space_id']}")).status_code == 404
