"""Shares over the real API: who may share with whom, Shared with me, read-only vs read-write,
revocation, search, and that pupils only find co-members as recipients."""

from __future__ import annotations

import pytest

from schoolcloud.accounts.models import Course, Role
from schoolcloud.files.sharing_models import Share
from schoolcloud.privacy.models import AuditEvent
from tests.support.data import make_class, make_member, make_school
from tests.support.files import api_client, listing, mkdir, personal_root, upload


async def _share(http, node_id: int, kind: str, recipient_id: int, access: str = "read"):
    return await http.post(f"/api/v1/files/nodes/{node_id}/shares",
                           json={"recipient": {"type": kind, "id": recipient_id}, "access": access})


@pytest.mark.postgres
async def test_pupil_shares_read_only_with_a_classmate_but_not_outside_their_groups(app):
    school = await make_school()
    owner = await make_member(school, Role.PUPIL, given_name="Ada")
    classmate = await make_member(school, Role.PUPIL, given_name="Ben")
    other_class = await make_member(school, Role.PUPIL, given_name="Bea")
    foreign = await make_member(await make_school(), Role.PUPIL, given_name="Bert")
    await make_class(school, members=[owner, classmate])
    await make_class(school, members=[other_class])
    async with api_client(app.base_url, owner) as http:
        root = await personal_root(http)
        essay = (await upload(http, root, "Aufsatz.txt", b"Es war einmal")).json()
        found = (await http.get("/api/v1/files/recipients", params={"q": "Be"})).json()
        assert [u["id"] for u in found["users"]] == [classmate.id]  # not Bea of another class
        shared = await _share(http, essay["id"], "user", classmate.id)
        assert shared.status_code == 201, shared.text
        assert shared.json()["recipient"]["name"].startswith("Ben") and shared.json()["access"] == "read"
        refused = await _share(http, essay["id"], "user", other_class.id)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "recipient_not_allowed"
        outside = await _share(http, essay["id"], "user", foreign.id)
        assert outside.status_code == 422 and outside.json()["error"]["code"] == "share_outside_school"
        mine = (await http.get(f"/api/v1/files/nodes/{essay['id']}/shares")).json()["items"]
        assert [s["recipient"]["id"] for s in mine] == [classmate.id]
    assert await AuditEvent.filter(action="files.share_create", target_id=str(essay["id"])).exists()
    async with api_client(app.base_url, classmate) as http:
        shared_with_me = (await http.get("/api/v1/files/shared")).json()
        assert [(i["name"], i["access"]) for i in shared_with_me["items"]] == [("Aufsatz.txt", "read")]
        assert shared_with_me["items"][0]["shared_by"].startswith("Ada")
        assert (await http.get(f"/api/v1/files/content/{essay['id']}")).content == b"Es war einmal"
        assert (await http.get(f"/api/v1/files/nodes/{essay['id']}")).json()["access"] == "read"
        assert (await http.put(f"/api/v1/files/content/{essay['id']}", content=b"x")).status_code == 403
        assert (await http.delete(f"/api/v1/files/nodes/{essay['id']}")).status_code == 403
        assert (await http.get(f"/api/v1/files/nodes/{essay['id']}/shares")).status_code == 403
        assert [i["id"] for i in (await http.get("/api/v1/files/search", params={"q": "aufsatz"})).json()["items"]] \
            == [essay["id"]]
        # nothing else of the owner's space becomes visible
        assert (await http.get(f"/api/v1/files/nodes/{root}/children")).status_code == 404
    async with api_client(app.base_url, other_class) as http:
        assert (await http.get(f"/api/v1/files/content/{essay['id']}")).status_code == 404
        assert (await http.get("/api/v1/files/shared")).json()["items"] == []
    # a share whose creator's account is gone (created_by NULL) is still listed
    await Share.filter(node_id=essay["id"]).update(created_by_id=None)
    async with api_client(app.base_url, classmate) as http:
        assert [i["id"] for i in (await http.get("/api/v1/files/shared")).json()["items"]] == [essay["id"]]


@pytest.mark.postgres
async def test_read_write_share_of_a_folder_with_a_class_then_revoked(app):
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    pupil = await make_member(school, Role.PUPIL)
    outsider = await make_member(school, Role.PUPIL)
    foreign_class = await make_class(await make_school())
    school_class = await make_class(school, members=[pupil])
    async with api_client(app.base_url, teacher) as http:
        root = await personal_root(http)
        folder = await mkdir(http, root, "Projekt")
        inner = await mkdir(http, folder["id"], "Material")
        await upload(http, inner["id"], "Quelle.pdf", b"%PDF-1")
        # a teacher may pick any class of the school, never one of another school
        outside = await _share(http, folder["id"], "class", foreign_class.id)
        assert outside.status_code == 422 and outside.json()["error"]["code"] == "share_outside_school"
        share = (await _share(http, folder["id"], "class", school_class.id, "write")).json()
        assert share["access"] == "write"
    async with api_client(app.base_url, pupil) as http:
        items = (await http.get("/api/v1/files/shared")).json()["items"]
        assert [(i["id"], i["access"]) for i in items] == [(folder["id"], "write")]
        inside = await listing(http, inner["id"])
        assert [i["name"] for i in inside["items"]] == ["Quelle.pdf"]
        assert [p["id"] for p in inside["path"]] == [folder["id"]]  # not the teacher's root above it
        put = await upload(http, inner["id"], "Ergebnis.txt", b"fertig")
        assert put.status_code == 201, put.text
        assert (await http.post(f"/api/v1/files/nodes/{folder['id']}/folders", json={"name": "Neu"})).status_code == 201
        # managing the shares stays with the owner's space
        assert (await http.delete(f"/api/v1/files/shares/{share['id']}")).status_code == 403
    async with api_client(app.base_url, outsider) as http:
        assert (await http.get(f"/api/v1/files/nodes/{folder['id']}/children")).status_code == 404
    async with api_client(app.base_url, teacher) as http:
        names = [i["name"] for i in (await listing(http, inner["id"]))["items"]]
        assert names == ["Ergebnis.txt", "Quelle.pdf"]
        assert (await http.delete(f"/api/v1/files/shares/{share['id']}")).status_code == 204
    assert await AuditEvent.filter(action="files.share_revoke", target_id=str(folder["id"])).exists()
    async with api_client(app.base_url, pupil) as http:
        assert (await http.get("/api/v1/files/shared")).json()["items"] == []
        assert (await http.get(f"/api/v1/files/nodes/{inner['id']}/children")).status_code == 404
        assert (await upload(http, inner["id"], "Noch.txt", b"x")).status_code == 404


async def test_course_and_team_recipients_and_read_only_change(app):
    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    pupil = await make_member(school, Role.PUPIL)
    course = await Course.create(school=school, name="Chemie 9", school_year="2026/27")
    await course.pupils.add(pupil)
    async with api_client(app.base_url, teacher) as http:
        team = (await http.post("/api/v1/files/teams", json={"name": "Chemie-AG"})).json()
        await http.post(f"/api/v1/files/teams/{team['id']}/members", json={"user_id": pupil.id})
        root = await personal_root(http)
        sheet = (await upload(http, root, "Versuch.txt", b"Protokoll")).json()
        by_course = (await _share(http, sheet["id"], "course", course.id, "write")).json()
        assert (await _share(http, sheet["id"], "team", team["id"])).status_code == 201
        found = (await http.get("/api/v1/files/recipients", params={"q": "Chemie"})).json()
        assert [c["id"] for c in found["courses"]] == [course.id] and [t["id"] for t in found["teams"]] == [team["id"]]
    async with api_client(app.base_url, pupil) as http:
        assert (await http.put(f"/api/v1/files/content/{sheet['id']}", content=b"v2")).status_code == 200
        # a pupil finds their own course and team, and the teacher (a co-member)
        found = (await http.get("/api/v1/files/recipients", params={"q": "e"})).json()
        assert {u["id"] for u in found["users"]} == {teacher.id}
        assert [t["id"] for t in found["teams"]] == [team["id"]]
    async with api_client(app.base_url, teacher) as http:
        changed = await http.patch(f"/api/v1/files/shares/{by_course['id']}", json={"access": "read"})
        assert changed.status_code == 200 and changed.json()["access"] == "read"
    async with api_client(app.base_url, pupil) as http:
        assert (await http.put(f"/api/v1/files/content/{sheet['id']}", content=b"v3")).status_code == 403
        assert (await http.get(f"/api/v1/files/content/{sheet['id']}")).content == b"v2"


@pytest.mark.postgres
async def test_identical_shares_at_the_same_moment_make_one_row(app):
    """Several identical share requests at once (the double click, two tabs): one row (unique node and
    recipient, migration 0019), and every request gets it back as if it had shared again."""
    import asyncio

    school = await make_school()
    teacher = await make_member(school, Role.TEACHER)
    colleague = await make_member(school, Role.TEACHER)
    async with api_client(app.base_url, teacher) as http:
        folder = await mkdir(http, await personal_root(http), "Gemeinsam")
        for round_ in range(3):
            target = await mkdir(http, folder["id"], f"Runde {round_}")
            answers = await asyncio.gather(*[_share(http, target["id"], "user", colleague.id, "write")
                                             for _ in range(8)])
            assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
            rows = await Share.filter(node_id=target["id"])
            assert len(rows) == 1 and rows[0].can_write and rows[0].recipient_key == f"user:{colleague.id}"
            assert {a.json()["id"] for a in answers} == {rows[0].id}
            listed = (await http.get(f"/api/v1/files/nodes/{target['id']}/shares")).json()["items"]
            assert [s["id"] for s in listed] == [rows[0].id]
