"""Erasing a teacher's account (Art. 17) keeps the teaching records the school is responsible for: the
task's material and the feedback files pupils were given move from the teacher's personal space into the
course's task records, so the pupils still download the same bytes, the pupil's export still holds the
feedback, the usage moves with the bytes, fsck finds nothing wrong, the teacher's other files are gone,
the task names the teacher only by the pseudonym, and nobody reaches the records through the files
layer; deleting the task afterwards removes the kept records with their objects, and so does deleting
the course."""

from __future__ import annotations

import json

import pytest
from tortoise.expressions import Q

from schoolcloud.accounts.models import Role
from schoolcloud.files.models import FileVersion, Node, Space, SpaceKind, TusPart
from schoolcloud.privacy.models import AuditEvent
from schoolcloud.tasks.models import Submission, WorkFolder
from storage.local import LocalStore
from tests.support.data import make_member
from tests.support.files import personal_root, store_keys, tus_metadata, upload
from tests.support.tasks import as_user, course_with
from tests.test_privacy_erasure import fsck_problems
from tests.test_privacy_export import export

pytestmark = pytest.mark.postgres
MATERIAL = b"Arbeitsblatt Bruchrechnung " * 100
FEEDBACK = b"Korrekturen am Rand, Seite 2"


def drifted(app) -> set[int]:
    out = app.cli("fsck", "--grace-minutes", "0", check=False).stdout
    return {int(line.split()[1].rstrip(":")) for line in out.splitlines()
            if line.startswith("space ") and "usage recorded" in line}


async def hand_in(app, pupil, task_id: int, name: str) -> Submission:
    async with as_user(app, pupil) as http:
        folder = (await http.post(f"/api/v1/tasks/{task_id}/my-submission/folder")).json()["folder_id"]
        await upload(http, folder, name, b"3/4")
        assert (await http.post(f"/api/v1/tasks/{task_id}/my-submission", json={"text": "fertig"})).status_code == 201
    return await Submission.get(task_id=task_id, pupil_id=pupil.id)


async def give_feedback(http, submission: Submission, name: str, content: bytes) -> tuple[int, dict]:
    """The teacher's feedback folder for the submission and the file uploaded into it; released."""
    folder = (await http.post(f"/api/v1/submissions/{submission.id}/feedback-folder")).json()["folder_id"]
    file = (await upload(http, folder, name, content)).json()
    assert (await http.put(f"/api/v1/submissions/{submission.id}/feedback",
                           json={"grade": "2", "feedback": "Gut", "release": True})).status_code == 200
    return folder, file


async def test_erasing_the_teacher_keeps_material_and_feedback_for_the_pupils(app):
    course, teacher, (anna, ben) = await course_with()
    admin = await make_member(await course.school, Role.SCHOOL_ADMIN)
    colleague = await make_member(await course.school, Role.TEACHER)
    await course.teachers.add(colleague)
    store = LocalStore(app.var_dir / "objects")
    async with as_user(app, teacher) as http:
        task = (await http.post(f"/api/v1/courses/{course.id}/tasks", json={
            "title": "Brüche", "instructions": "Bitte lösen.", "grade_scale": "grades"})).json()
        material_folder = (await http.post(f"/api/v1/tasks/{task['id']}/attachments-folder")).json()["folder_id"]
        sheet = (await upload(http, material_folder, "Blatt.txt", MATERIAL)).json()
        assert (await upload(http, material_folder, "Blatt.txt", MATERIAL + b"v2", on_conflict="overwrite")) \
            .status_code in (200, 201)
        private = (await upload(http, await personal_root(http), "Privat.txt", b"nur meins")).json()
    submission = await hand_in(app, anna, task["id"], "Lösung.txt")
    async with as_user(app, teacher) as http:
        feedback_folder, note = await give_feedback(http, submission, "Anmerkungen.txt", FEEDBACK)
        page = await http.get(f"/tasks/{task['id']}")
        assert f"{teacher.given_name} {teacher.family_name}" in page.text  # the author, while the account exists
    bens = await hand_in(app, ben, task["id"], "Bens.txt")
    async with as_user(app, teacher) as http:
        # Feedback saved, then its file moved elsewhere in the teacher's files: what Ben was given stays his.
        folder, loose = await give_feedback(http, bens, "Ben-Hinweise.txt", b"Hinweise fuer Ben")
        moved = await http.patch(f"/api/v1/files/nodes/{loose['id']}", json={"parent_id": await personal_root(http)})
        assert moved.status_code == 200, moved.text
        assert (await http.delete(f"/api/v1/files/nodes/{folder}")).status_code == 200  # the empty folder

    personal = await Space.get(owner_id=teacher.id)
    kept_ids = [sheet["id"], note["id"], material_folder, feedback_folder, loose["id"]]
    kept_keys = set(await FileVersion.filter(node_id__in=kept_ids).values_list("object_key", flat=True))
    kept_bytes = sum(await FileVersion.filter(node_id__in=kept_ids).values_list("size", flat=True))
    private_keys = set(await FileVersion.filter(node_id=private["id"]).values_list("object_key", flat=True))
    assert len(kept_keys) == 4 and kept_bytes == 2 * len(MATERIAL) + 2 + len(FEEDBACK) + 17
    before = fsck_problems(app)

    async with as_user(app, admin) as http:
        assert (await http.delete(f"/api/v1/users/{teacher.public_id}")).status_code == 204

    # The records now belong to the course's task records, with their bytes.
    records = await Space.get(records_course_id=course.id)
    assert records.kind == SpaceKind.TASK_RECORDS and records.owner_id is None
    assert records.used_bytes == kept_bytes
    assert set(await Node.filter(id__in=kept_ids).values_list("space_id", flat=True)) == {records.id}
    assert not await Space.filter(id=personal.id).exists()
    assert await WorkFolder.filter(task_id=task["id"], user_id=None).count() == 2
    stored = set(await store_keys(store))
    assert kept_keys <= stored and not private_keys & stored
    after = fsck_problems(app)
    assert not kept_keys & after["orphans"] and after["orphans"] <= before["orphans"]
    assert after["missing"] <= before["missing"] and records.id not in drifted(app)
    event = await AuditEvent.filter(action="user.deleted", target_id=str(teacher.public_id)).first()
    assert event.details["kept_folders"] == 2 and event.details["kept_files"] == 1
    assert event.details["objects"] == 1  # the private file
    tag = event.details["pseudonym"]

    async with as_user(app, anna) as http:
        shown = (await http.get(f"/api/v1/tasks/{task['id']}")).json()
        [material] = shown["attachments"]
        got = await http.get(f"/api/v1/tasks/{task['id']}/attachments/{material['id']}")
        assert got.status_code == 200 and got.content == MATERIAL + b"v2"
        mine = (await http.get(f"/api/v1/submissions/{submission.id}")).json()
        [given] = mine["feedback_files"]
        got = await http.get(f"/api/v1/task-files/feedback/{given['id']}")
        assert got.status_code == 200 and got.content == FEEDBACK
        page = await http.get(f"/tasks/{task['id']}")
        assert f"Ehemaliges Mitglied {tag}" in page.text and teacher.family_name not in page.text
        archive = await export(http)
        [handed_in] = json.loads(archive.read("data.json"))["submissions"]
        assert archive.read(handed_in["feedback"]["files"][0]["path"]) == FEEDBACK
        # Not through the files layer: the pupil cannot open the records space or its files.
        assert (await http.get(f"/api/v1/files/spaces/{records.id}")).status_code == 404
        assert (await http.get(f"/api/v1/files/content/{note['id']}")).status_code == 404
    async with as_user(app, ben) as http:
        [given] = (await http.get(f"/api/v1/submissions/{bens.id}")).json()["feedback_files"]
        got = await http.get(f"/api/v1/task-files/feedback/{given['id']}")
        assert got.status_code == 200 and got.content == b"Hinweise fuer Ben"
    async with as_user(app, admin) as http:  # administrators do not read pupils' feedback either
        assert (await http.get(f"/api/v1/files/content/{note['id']}")).status_code == 404
        assert records.id not in {s["id"] for s in (await http.get("/api/v1/files/spaces")).json()["items"]}
        assert (await http.get("/api/v1/files/search", params={"q": "Anmerkungen"})).json()["items"] == []
    async with as_user(app, colleague) as http:  # the course's other teacher still has the material
        got = await http.get(f"/api/v1/tasks/{task['id']}/attachments/{material['id']}")
        assert got.status_code == 200 and got.content == MATERIAL + b"v2"
        # Deleting the task removes the kept records, rows and objects.
        assert (await http.delete(f"/api/v1/tasks/{task['id']}")).status_code == 204
    assert not await Node.filter(id__in=kept_ids).exists()
    assert not kept_keys & set(await store_keys(store))
    assert (await Space.get(id=records.id)).used_bytes == 0
    assert not kept_keys & fsck_problems(app)["orphans"] and records.id not in drifted(app)
    await store.close()


async def test_deleting_the_course_removes_its_files_and_task_records_with_their_objects(app):
    """The course's own space (files, older versions, trash, an unfinished resumable upload) and its
    task records (kept from an erased teacher) go with the course, objects included: fsck finds no
    orphan right after (before, they stayed in the store until `fsck --repair`)."""
    course, teacher, (anna,) = await course_with(pupils=1)
    admin = await make_member(await course.school, Role.SCHOOL_ADMIN)
    store = LocalStore(app.var_dir / "objects")
    async with as_user(app, teacher) as http:
        task = (await http.post(f"/api/v1/courses/{course.id}/tasks", json={
            "title": "Brüche", "instructions": "Bitte lösen.", "grade_scale": "grades"})).json()
        material_folder = (await http.post(f"/api/v1/tasks/{task['id']}/attachments-folder")).json()["folder_id"]
        await upload(http, material_folder, "Blatt.txt", MATERIAL)
        await http.get("/api/v1/files/spaces")  # the course's space is made on first use
        course_root = (await Node.get(space__course_id=course.id, parent_id=None)).id
        await upload(http, course_root, "Plan.txt", b"v1")
        assert (await upload(http, course_root, "Plan.txt", b"v2", on_conflict="overwrite")).status_code in (200, 201)
        old = (await upload(http, course_root, "Alt.txt", b"weg")).json()
        assert (await http.delete(f"/api/v1/files/nodes/{old['id']}")).status_code == 200
    colleague = await make_member(await course.school, Role.TEACHER)
    await course.teachers.add(colleague)
    async with as_user(app, colleague) as http:  # the teacher's own unfinished uploads go with the account
        started = await http.post("/api/v1/files/tus", headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": "20",
            "Upload-Metadata": tus_metadata(filename="Halb.bin", folder=str(course_root))})
        assert started.status_code == 201
        part = await http.patch(started.headers["location"], content=b"0123456789", headers={
            "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
        assert part.status_code == 204, part.text
    submission = await hand_in(app, anna, task["id"], "Lösung.txt")
    async with as_user(app, teacher) as http:
        await give_feedback(http, submission, "Anmerkungen.txt", FEEDBACK)
    async with as_user(app, admin) as http:
        assert (await http.delete(f"/api/v1/users/{teacher.public_id}")).status_code == 204
    space_ids = set(await Space.filter(Q(course_id=course.id) | Q(records_course_id=course.id))
                    .values_list("id", flat=True))
    assert len(space_ids) == 2
    keys = set(await FileVersion.filter(node__space_id__in=space_ids).values_list("object_key", flat=True))
    keys |= set(await TusPart.filter(upload__folder__space_id__in=space_ids).values_list("object_key", flat=True))
    assert len(keys) == 6  # material and feedback; Plan v1 and v2; Alt (in the trash); the tus part
    assert keys <= set(await store_keys(store))
    before = fsck_problems(app)

    async with as_user(app, admin) as http:
        assert (await http.delete(f"/api/v1/courses/{course.id}")).status_code == 204

    assert not await Space.filter(id__in=space_ids).exists()
    assert not await Node.filter(space_id__in=space_ids).exists()
    assert not keys & set(await store_keys(store))
    after = fsck_problems(app)
    assert after["orphans"] <= before["orphans"] and after["missing"] <= before["missing"]
    event = await AuditEvent.get(action="course.deleted", target_id=str(course.id))
    assert event.details["objects"] == len(keys)
    await store.close()
