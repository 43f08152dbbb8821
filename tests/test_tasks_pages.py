"""The task pages without JavaScript (httpx): the task form, handing in text and files through the
streaming multipart form, grading with feedback files, releasing, the start page and notifications;
refusals come back with a clear message and what was typed."""

from __future__ import annotations

import re
from html import unescape

import pytest

from schoolcloud.tasks.models import Submission, SubmissionVersion, Task
from tests.support import browser
from tests.support.tasks import as_user, course_with, make_task, utc_in


async def form_post(http, page_path: str, action: str, data: dict, files=None):
    page = await http.get(page_path)
    assert page.status_code == 200, page.text
    fields = {"csrf_token": browser.csrf_from(page.text), **data}
    if files is not None:
        return await http.post(action, data=fields, files=files)
    return await http.post(action, data=fields)


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


async def test_teacher_creates_task_with_form_and_groups(app):
    course, teacher, (anna, ben, cem) = await course_with(pupils=3)
    async with as_user(app, teacher) as http:
        new = await http.get(f"/courses/{course.id}/tasks/new")
        assert new.status_code == 200 and anna.display_name in new.text
        refused = await form_post(http, f"/courses/{course.id}/tasks/new", f"/courses/{course.id}/tasks/new",
                                  {"title": "", "due_at": "kein Datum", "instructions": "Mein Text"})
        assert refused.status_code == 422
        assert "Mein Text" in refused.text and 'aria-invalid="true"' in refused.text
        assert await Task.filter(course_id=course.id).count() == 0
        created = await form_post(http, f"/courses/{course.id}/tasks/new", f"/courses/{course.id}/tasks/new", {
            "title": "Plakat", "instructions": "# Thema\n\nGestaltet ein Plakat.", "due_at": "2030-01-10T08:00",
            "grade_scale": "points", "group_submission": "1", f"group-{anna.id}": "1", f"group-{ben.id}": "1",
            f"group-{cem.id}": "2"})
        assert created.status_code == 303, created.text
        task = await Task.get(course_id=course.id)
        assert task.group_submission and task.grade_scale == "points"
        assert task.due_at.isoformat().startswith("2030-01-10T07:00")  # 08:00 in Berlin (winter) is 07:00 UTC
        page = await http.get(f"/tasks/{task.id}")
        assert page.status_code == 200 and "<h2>Thema</h2>" in page.text
        assert "Gruppe 1" in page.text or "Group 1" in page.text
    async with as_user(app, anna) as http:
        page = await http.get(f"/tasks/{task.id}")
        assert page.status_code == 200
        shown = text_of(page.text)
        assert ben.display_name in shown and cem.display_name not in shown  # own group only


async def test_hand_in_form_grading_release_and_start_pages(app):
    course, teacher, (anna, ben) = await course_with()
    task = await make_task(teacher, course, title="Gedichtanalyse", due_at=utc_in(days=1).isoformat())
    async with as_user(app, anna) as http:
        home = await http.get("/")
        assert "Gedichtanalyse" in home.text.split('id="open-tasks-heading"', 1)[1].split("</section>", 1)[0]
        page = await http.get(f"/tasks/{task.id}")
        shown = text_of(page.text)
        assert ben.display_name not in shown and ben.family_name not in shown
        handed = await form_post(http, f"/tasks/{task.id}", f"/tasks/upload/{task.id}/hand-in",
                                 {"text": "Meine Analyse"}, files=[("files", ("analyse.txt", b"Strophe 1", "text/plain"))])
        assert handed.status_code == 303, handed.text
        page = await http.get(f"/tasks/{task.id}")
        assert "analyse.txt" in page.text and "Meine Analyse" in page.text
        open_section = (await http.get("/")).text.split('id="open-tasks-heading"', 1)[1].split("</section>", 1)[0]
        assert "Gedichtanalyse" not in open_section and "<p>" in open_section  # no longer open
    submission = await Submission.get(task_id=task.id, pupil_id=anna.id)
    async with as_user(app, teacher) as http:
        page = await http.get(f"/tasks/{task.id}")
        assert anna.display_name in page.text and ben.display_name in page.text
        home = await http.get("/")
        assert "Gedichtanalyse" in home.text  # work without feedback
        grading = f"/tasks/{task.id}/submissions/{submission.id}"
        off = await form_post(http, grading, f"/tasks/upload/feedback/{submission.id}",
                              {"grade": "0", "feedback": "Sehr schön"},
                              files=[("files", ("note.txt", b"x", "text/plain"))])
        assert off.status_code == 422
        assert "Sehr schön" in off.text and ("1 bis 6" in off.text or "1 to 6" in off.text)
        assert (await Submission.get(id=submission.id)).graded_at is None
        saved = await form_post(http, grading, f"/tasks/upload/feedback/{submission.id}",
                                {"grade": "1-", "feedback": "Sehr *schön*"},
                                files=[("files", ("korrektur.txt", b"Randnotizen", "text/plain"))])
        assert saved.status_code == 303, saved.text
        page = await http.get(grading)
        assert "korrektur.txt" in page.text
        released = await form_post(http, f"/tasks/{task.id}", f"/tasks/{task.id}/release", {})
        assert released.status_code == 303
    async with as_user(app, anna) as http:
        assert "1" in (await http.get("/")).text
        page = await http.get(f"/tasks/{task.id}")
        assert "<em>schön</em>" in page.text and "1-" in page.text and "korrektur.txt" in page.text
        notes = await http.get("/notifications")
        assert notes.status_code == 200 and "Gedichtanalyse" in notes.text
        again = await http.get("/tasks")
        assert "Gedichtanalyse" in again.text


@pytest.mark.postgres
async def test_late_work_refused_keeps_what_was_handed_in(app):
    course, teacher, (anna,) = await course_with(pupils=1)
    task = await make_task(teacher, course, title="Referat", due_at=utc_in(hours=1).isoformat())
    async with as_user(app, anna) as http:
        first = await form_post(http, f"/tasks/{task.id}", f"/tasks/upload/{task.id}/hand-in", {"text": "Erste Fassung"},
                                files=[("files", ("", b"", "application/octet-stream"))])
        assert first.status_code == 303, first.text
    await Task.filter(id=task.id).update(due_at=utc_in(minutes=-5))  # the due date has passed
    async with as_user(app, anna) as http:
        page = await http.get(f"/tasks/{task.id}")
        assert 'action="/tasks/upload/' not in page.text  # no hand-in form any more
        late = await http.post(f"/tasks/upload/{task.id}/hand-in", data={"csrf_token": browser.csrf_from(page.text),
                                                                           "text": "Zu spät"},
                               files=[("files", ("spät.txt", b"zu spaet", "text/plain"))])
        assert late.status_code == 409
        assert "late work" in late.text or "keine verspäteten" in late.text
        assert "Zu spät" in late.text  # what was typed is shown again, nothing is lost
        api = await http.post(f"/api/v1/tasks/{task.id}/my-submission", json={"text": "Zu spät"})
        assert api.status_code == 409 and api.json()["error"]["code"] == "deadline_passed"
    versions = await SubmissionVersion.filter(submission__task_id=task.id)
    assert [v.text for v in versions] == ["Erste Fassung"]
