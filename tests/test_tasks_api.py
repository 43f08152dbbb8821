"""Tasks through the JSON API: a teacher sets a task, pupils hand in text and files (through the files
layer), the teacher sees who handed in, grades, releases; pupils see only their own work and feedback."""

from __future__ import annotations

import io
import zipfile

import pytest

from schoolcloud.tasks.models import Notification, Submission, SubmissionVersion
from tests.support.tasks import as_user
from tests.support.files import upload
from tests.support.tasks import course_with, utc_in


@pytest.mark.postgres
async def test_hand_in_grade_release_walk(app):
    course, teacher, (anna, ben) = await course_with()
    async with as_user(app, teacher) as http:
        created = await http.post(f"/api/v1/courses/{course.id}/tasks", json={
            "title": "Bruchrechnung", "instructions": "Löse *alle* Aufgaben.", "due_at": utc_in(days=2).isoformat(),
            "grade_scale": "grades"})
        assert created.status_code == 201, created.text
        task = created.json()
        assert "<em>alle</em>" in task["instructions_html"]
        folder = (await http.post(f"/api/v1/tasks/{task['id']}/attachments-folder")).json()["folder_id"]
        assert (await upload(http, folder, "Blatt.pdf", b"%PDF-1.4 blatt")).status_code == 201

    async with as_user(app, anna) as http:
        listed = await http.get(f"/api/v1/courses/{course.id}/tasks")
        assert [t["title"] for t in listed.json()["items"]] == ["Bruchrechnung"]
        detail = (await http.get(f"/api/v1/tasks/{task['id']}")).json()
        assert [a["name"] for a in detail["attachments"]] == ["Blatt.pdf"]
        assert (await http.get(detail["attachments"][0]["url"])).content == b"%PDF-1.4 blatt"
        start = (await http.get("/api/v1/start")).json()
        assert [t["title"] for t in start["open_tasks"]] == ["Bruchrechnung"]
        folder = (await http.post(f"/api/v1/tasks/{task['id']}/my-submission/folder")).json()["folder_id"]
        assert (await upload(http, folder, "Lösung.txt", b"1/2 + 1/4 = 3/4")).status_code == 201
        handed = await http.post(f"/api/v1/tasks/{task['id']}/my-submission", json={"text": "Fertig"})
        assert handed.status_code == 201, handed.text
        mine = handed.json()["submission"]
        assert mine["versions"][0]["files"][0]["name"] == "Lösung.txt" and "grade" not in mine
        # A second version with a changed file: the first version keeps the bytes it was handed in with.
        assert (await upload(http, folder, "Lösung.txt", b"korrigiert",
                             on_conflict="overwrite")).status_code in (200, 201)
        second = (await http.post(f"/api/v1/tasks/{task['id']}/my-submission",
                                  json={"text": "Fertig, korrigiert"})).json()["submission"]
        assert [v["number"] for v in second["versions"]] == [2, 1]
        assert (await http.get(second["versions"][1]["files"][0]["url"])).content == b"1/2 + 1/4 = 3/4"
        assert (await http.get(second["versions"][0]["files"][0]["url"])).content == b"korrigiert"
        submission_id = second["id"]

    async with as_user(app, teacher) as http:
        overview = (await http.get(f"/api/v1/tasks/{task['id']}/submissions")).json()
        states = {row["pupils"][0]["name"]: row["state"] for row in overview["items"]}
        assert states == {anna.display_name: "submitted", ben.display_name: "missing"}
        off = await http.put(f"/api/v1/submissions/{submission_id}/feedback",
                             json={"grade": "7", "feedback": "Gut"})
        assert off.status_code == 422 and off.json()["error"]["code"] == "grade_off_scale"
        assert off.json()["error"]["message_de"] and off.json()["error"]["message_en"]
        assert (await Submission.get(id=submission_id)).graded_at is None
        saved = await http.put(f"/api/v1/submissions/{submission_id}/feedback",
                               json={"grade": "2+", "feedback": "Gut <script>alert(1)</script><b onclick=x()>so</b>"})
        assert saved.status_code == 200, saved.text
        html = saved.json()["feedback_html"]
        assert "<script" not in html and "onclick" not in html and "<b>so</b>" in html

    async with as_user(app, anna) as http:
        mine = (await http.get(f"/api/v1/tasks/{task['id']}/my-submission")).json()["submission"]
        assert mine["graded"] and "grade" not in mine  # not released yet
        refused = await http.post(f"/api/v1/tasks/{task['id']}/my-submission", json={"text": "x"})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "already_graded"
        assert await SubmissionVersion.filter(submission_id=submission_id).count() == 2

    async with as_user(app, teacher) as http:
        released = await http.post(f"/api/v1/tasks/{task['id']}/release")
        assert released.json() == {"released": 1}
        archive = await http.get(f"/api/v1/tasks/{task['id']}/submissions.zip")
        assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(archive.content)) as zf:
            names = zf.namelist()
            folder_name = f"{anna.family_name}, {anna.given_name} ({anna.username})"
            assert sorted(names) == [f"{folder_name}/Abgabe.txt", f"{folder_name}/Lösung.txt"]
            assert zf.read(f"{folder_name}/Lösung.txt") == b"korrigiert"

    async with as_user(app, anna) as http:
        mine = (await http.get(f"/api/v1/tasks/{task['id']}/my-submission")).json()["submission"]
        assert mine["grade"] == "2+" and "<b>so</b>" in mine["feedback_html"]
        notes = (await http.get("/api/v1/notifications")).json()
        assert {n["kind"] for n in notes["items"]} >= {"new_task", "feedback"}
        assert notes["unread"] >= 2
        assert (await http.post("/api/v1/notifications/read", json={})).json()["unread"] == 0
        # pupils see their own group only
    async with as_user(app, teacher) as http:
        group_task = await http.post(f"/api/v1/courses/{course.id}/tasks", json={
            "title": "Gruppenarbeit", "group_submission": True,
            "groups": [{"name": "Rot", "pupil_ids": [str(anna.public_id)]}, {"name": "Blau", "pupil_ids": [ben.id]}]})
        assert group_task.status_code == 201, group_task.text
    async with as_user(app, anna) as http:
        mine = (await http.get(f"/api/v1/tasks/{group_task.json()['id']}/my-submission")).json()
        assert mine["group"] == [anna.display_name]
        start = (await http.get("/api/v1/start")).json()
        assert [t["title"] for t in start["open_tasks"]] == ["Gruppenarbeit"]  # Bruchrechnung is handed in
        assert [f["title"] for f in start["new_feedback"]] == ["Bruchrechnung"]
    assert await Notification.filter(user_id=ben.id, kind="feedback").count() == 0


async def test_openapi_documents_the_tasks_api(app):
    course, teacher, _ = await course_with(pupils=0)
    async with as_user(app, teacher) as http:
        paths = (await http.get("/api/v1/openapi.json")).json()["paths"]
    for path in ("/courses/{course_id}/tasks", "/tasks/{task_id}", "/tasks/{task_id}/submissions.zip",
                 "/tasks/{task_id}/my-submission", "/submissions/{submission_id}/feedback", "/notifications",
                 "/task-files/{kind}/{file_id}", "/start"):
        assert path in paths, path
        assert all(operation.get("summary") for operation in paths[path].values()), path
