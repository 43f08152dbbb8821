"""Bad input on tasks: late work where it is closed, a file over quota, scripts and event handlers in
rich text, a grade off the scale. Each is refused or cleaned with a message in German and English, and
nothing that was saved before is lost."""

from __future__ import annotations

import pytest

from schoolcloud.files import spaces
from schoolcloud.files.models import Node, Space
from schoolcloud.tasks.models import Submission, SubmissionVersion, Task
from tests.support import browser
from tests.support.files import tus_metadata, upload
from tests.support.tasks import as_user, course_with, make_task, utc_in


def error_of(response) -> dict:
    body = response.json()["error"]
    assert body["message_de"] and body["message_en"] and body["message_de"] != body["message_en"], body
    return body


@pytest.mark.postgres
async def test_file_over_quota_refused_earlier_version_and_text_kept(app):
    course, teacher, (anna,) = await course_with(pupils=1)
    task = await make_task(teacher, course, title="Projekt")
    async with as_user(app, anna) as http:
        folder = (await http.post(f"/api/v1/tasks/{task.id}/my-submission/folder")).json()["folder_id"]
        assert (await upload(http, folder, "teil1.txt", b"a" * 100)).status_code == 201
        assert (await http.post(f"/api/v1/tasks/{task.id}/my-submission", json={"text": "Version 1"})).status_code == 201
        space = await spaces.personal_space(anna)
        await Space.filter(id=space.id).update(quota_bytes=space.used_bytes + 1000)
        # through tus (what the browser uses): refused at creation, before any byte
        tus = await http.post("/api/v1/files/tus", headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": "5000",
            "Upload-Metadata": tus_metadata(filename="gross.bin", folder=str(folder))})
        assert tus.status_code == 507 and error_of(tus)["code"] == "quota_exceeded"
        # through the plain form: stopped while streaming; the page comes back with the text typed
        page = await http.get(f"/tasks/{task.id}")
        refused = await http.post(f"/tasks/upload/{task.id}/hand-in",
                                  data={"csrf_token": browser.csrf_from(page.text), "text": "Version 2, lang"},
                                  files=[("files", ("gross.bin", b"b" * 5000, "application/octet-stream"))])
        assert refused.status_code == 507
        assert "Version 2, lang" in refused.text and 'role="alert"' in refused.text
    assert not await Node.filter(name="gross.bin").exists()
    versions = await SubmissionVersion.filter(submission__task_id=task.id).prefetch_related("files")
    assert [(v.number, v.text, [f.name for f in v.files]) for v in versions] == [(1, "Version 1", ["teil1.txt"])]


@pytest.mark.postgres
async def test_late_work_closed_refused_before_any_byte(app):
    course, teacher, (anna,) = await course_with(pupils=1)
    task = await make_task(teacher, course, title="Test", due_at=utc_in(minutes=30).isoformat())
    await Task.filter(id=task.id).update(due_at=utc_in(minutes=-1))
    async with as_user(app, anna) as http:
        folder = await http.post(f"/api/v1/tasks/{task.id}/my-submission/folder")
        assert folder.status_code == 409 and error_of(folder)["code"] == "deadline_passed"
        page = await http.get(f"/tasks/{task.id}")
        late = await http.post(f"/tasks/upload/{task.id}/hand-in",
                               data={"csrf_token": browser.csrf_from(page.text), "text": "spät"},
                               files=[("files", ("spät.txt", b"x" * 1000, "text/plain"))])
        assert late.status_code == 409 and "spät" in late.text
    assert not await Node.filter(name="spät.txt").exists()
    assert not await Submission.filter(task_id=task.id).exists()
    # with late work allowed the same hand-in is taken and marked late
    await Task.filter(id=task.id).update(late_allowed=True)
    async with as_user(app, anna) as http:
        handed = await http.post(f"/api/v1/tasks/{task.id}/my-submission", json={"text": "spät"})
        assert handed.status_code == 201 and handed.json()["submission"]["late"] is True
    # a closed task takes nothing, late or not
    await Task.filter(id=task.id).update(closed_at=utc_in())
    async with as_user(app, anna) as http:
        closed = await http.post(f"/api/v1/tasks/{task.id}/my-submission", json={"text": "noch mal"})
        assert closed.status_code == 409 and error_of(closed)["code"] == "task_closed"
    assert await SubmissionVersion.filter(submission__task_id=task.id).count() == 1


@pytest.mark.postgres
async def test_scripts_and_event_handlers_are_removed(app):
    course, teacher, (anna,) = await course_with(pupils=1)
    evil = ('Text <script>alert(1)</script> <img src="x" onerror="alert(2)"> <a href="javascript:alert(3)">a</a> '
            '[b](javascript:alert(4)) <iframe src="https://example.org"></iframe> <p style="color:red" onclick="x()">p</p>'
            ' <svg onload="alert(5)"></svg> **fett**')
    async with as_user(app, teacher) as http:
        created = await http.post(f"/api/v1/courses/{course.id}/tasks", json={"title": "XSS", "instructions": evil})
        assert created.status_code == 201
        task_id = created.json()["id"]
    async with as_user(app, anna) as http:
        page = (await http.get(f"/tasks/{task_id}")).text
        body = page.split('class="richtext">', 1)[1].split("</div>", 1)[0]
        for bad in ("<script", "onerror", "onclick", '="javascript:', "<iframe", "style=", "onload", "<svg"):
            assert bad not in body, (bad, body)
        assert "[b](javascript:alert(4))" in body  # left as plain text, not made a link
        assert "<strong>fett</strong>" in body
        assert "alert(" not in page.split("</main>")[0].split("<main")[1].replace(body, "")
    # what the teacher wrote is kept as written, so it can be corrected
    assert (await Task.get(id=task_id)).instructions == evil


@pytest.mark.postgres
async def test_grade_off_scale_refused_previous_grade_kept(app):
    course, teacher, (anna,) = await course_with(pupils=1)
    task = await make_task(teacher, course, title="Klausur", grade_scale="points")
    async with as_user(app, anna) as http:
        await http.post(f"/api/v1/tasks/{task.id}/my-submission", json={"text": "Antwort"})
    submission = await Submission.get(task_id=task.id)
    async with as_user(app, teacher) as http:
        ok = await http.put(f"/api/v1/submissions/{submission.id}/feedback", json={"grade": "13", "feedback": "gut"})
        assert ok.status_code == 200
        for wrong in ("16", "-1", "2+", "abc", "13.5"):
            refused = await http.put(f"/api/v1/submissions/{submission.id}/feedback",
                                     json={"grade": wrong, "feedback": "anders"})
            assert refused.status_code == 422 and error_of(refused)["code"] == "grade_off_scale", wrong
        bad_body = await http.put(f"/api/v1/submissions/{submission.id}/feedback", content=b"{",
                                  headers={"Content-Type": "application/json"})
        assert bad_body.status_code == 400
    kept = await Submission.get(id=submission.id)
    assert (kept.grade, kept.feedback) == ("13", "gut")


async def test_task_form_refuses_bad_values_with_messages(app):
    course, teacher, (anna,) = await course_with(pupils=1)
    async with as_user(app, teacher) as http:
        bad = await http.post(f"/api/v1/courses/{course.id}/tasks", json={
            "title": "x" * 201, "available_from": "2030-01-02T10:00", "due_at": "2030-01-01T10:00",
            "grade_scale": "schulnoten", "audience": "chosen", "pupil_ids": []})
        assert bad.status_code == 422
        fields = {f["field"] for f in bad.json()["error"]["fields"]}
        assert fields == {"title", "due_at", "grade_scale", "pupils"}
        other = await http.post(f"/api/v1/courses/{course.id}/tasks", json={
            "title": "Fremd", "audience": "chosen", "pupil_ids": [teacher.id]})
        assert other.status_code == 422 and error_of(other)["code"] == "invalid_pupil"
    assert not await Task.filter(course_id=course.id).exists()
