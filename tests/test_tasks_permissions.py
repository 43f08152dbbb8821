"""Who may see which task, submission and file: a pupil of another course, a pupil of the same course
(for another pupil's work), a teacher of another course, an administrator of another school (and of the
same school) are each refused on the pages, the API and the downloads."""

from __future__ import annotations

import pytest

from schoolcloud.accounts.models import Course, Role
from schoolcloud.tasks.models import FeedbackFile, Submission, SubmittedFile
from tests.support import browser
from tests.support.data import make_member, make_school
from tests.support.files import upload
from tests.support.tasks import as_user, course_with, make_task

SECRET = b"Annas geheime Loesung"


@pytest.fixture(scope="module")
async def scene(app):
    """A course with a task, Anna's handed-in work with released feedback and material, and intruders."""
    school = await make_school()
    course, teacher, (anna, ben) = await course_with(school)
    other_course, other_teacher, (outsider,) = await course_with(school, pupils=1)
    task = await make_task(teacher, course, title="Geheimaufgabe")
    async with as_user(app, teacher) as http:
        folder = (await http.post(f"/api/v1/tasks/{task.id}/attachments-folder")).json()["folder_id"]
        material = (await upload(http, folder, "Material.txt", b"nur fuer den Kurs")).json()
    async with as_user(app, anna) as http:
        folder = (await http.post(f"/api/v1/tasks/{task.id}/my-submission/folder")).json()["folder_id"]
        own = (await upload(http, folder, "loesung.txt", SECRET)).json()
        assert (await http.post(f"/api/v1/tasks/{task.id}/my-submission", json={"text": "Annas Text"})).status_code == 201
    submission = await Submission.get(task_id=task.id, pupil_id=anna.id)
    async with as_user(app, teacher) as http:
        folder = (await http.post(f"/api/v1/submissions/{submission.id}/feedback-folder")).json()["folder_id"]
        await upload(http, folder, "korrektur.txt", b"Korrektur fuer Anna")
        saved = await http.put(f"/api/v1/submissions/{submission.id}/feedback",
                               json={"grade": "2", "feedback": "Annas Rueckmeldung"})
        assert saved.status_code == 200, saved.text
    submitted = await SubmittedFile.get(version__submission_id=submission.id)
    feedback = await FeedbackFile.get(submission_id=submission.id)
    foreign_admin = await make_member(await make_school(), Role.SCHOOL_ADMIN)
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    return {"course": course, "task": task, "teacher": teacher, "anna": anna, "ben": ben, "outsider": outsider,
            "other_teacher": other_teacher, "foreign_admin": foreign_admin, "admin": admin,
            "submission": submission, "submitted": submitted, "feedback": feedback, "material": material,
            "own_node": own, "other_course": other_course}


def task_urls(s) -> list[tuple[str, str]]:
    t, c, sub = s["task"].id, s["course"].id, s["submission"].id
    return [
        ("GET", f"/tasks/{t}"), ("GET", f"/courses/{c}/tasks"), ("GET", f"/api/v1/tasks/{t}"),
        ("GET", f"/api/v1/courses/{c}/tasks"), ("GET", f"/api/v1/tasks/{t}/my-submission"),
        ("POST", f"/api/v1/tasks/{t}/my-submission/folder"),
        ("GET", f"/api/v1/tasks/{t}/attachments/{s['material']['id']}"),
    ]


def teacher_urls(s) -> list[tuple[str, str]]:
    t, c = s["task"].id, s["course"].id
    return [
        ("GET", f"/tasks/{t}/edit"), ("GET", f"/courses/{c}/tasks/new"), ("GET", f"/api/v1/tasks/{t}/submissions"),
        ("GET", f"/api/v1/tasks/{t}/submissions.zip"), ("POST", f"/api/v1/tasks/{t}/release"),
        ("POST", f"/api/v1/tasks/{t}/attachments-folder"), ("DELETE", f"/api/v1/tasks/{t}"),
        ("POST", f"/api/v1/tasks/{t}/close"),
    ]


def submission_urls(s) -> list[tuple[str, str]]:
    t, sub = s["task"].id, s["submission"].id
    return [
        ("GET", f"/tasks/{t}/submissions/{sub}"), ("GET", f"/api/v1/submissions/{sub}"),
        ("PUT", f"/api/v1/submissions/{sub}/feedback"), ("POST", f"/api/v1/submissions/{sub}/feedback-folder"),
        ("POST", f"/api/v1/submissions/{sub}/reopen"),
        ("GET", f"/api/v1/task-files/submitted/{s['submitted'].id}"),
        ("GET", f"/api/v1/task-files/feedback/{s['feedback'].id}"),
        ("GET", f"/api/v1/files/content/{s['own_node']['id']}"),
    ]


async def call(http, method: str, url: str):
    json = {"grade": "1", "feedback": "x", "closed": True} if method in ("PUT", "POST") else None
    return await http.request(method, url, json=json)


async def assert_refused(http, urls, allowed=(403, 404)):
    for method, url in urls:
        response = await call(http, method, url)
        assert response.status_code in allowed, (method, url, response.status_code, response.text[:300])
        assert SECRET not in response.content and b"Annas" not in response.content, (method, url)


@pytest.mark.postgres
@pytest.mark.parametrize("who", ["outsider", "other_teacher", "foreign_admin", "admin"])
async def test_people_outside_the_course_see_nothing(app, scene, who):
    async with as_user(app, scene[who]) as http:
        await assert_refused(http, task_urls(scene) + teacher_urls(scene) + submission_urls(scene), allowed=(404,))
        page = await http.get("/tasks/%d" % scene["task"].id)
        assert page.status_code == 404
        # forms that take files are refused before a byte is stored
        token = browser.csrf_from((await http.get("/")).text)
        hand_in = await http.post(f"/tasks/upload/{scene['task'].id}/hand-in", data={"csrf_token": token, "text": "x"},
                                  files=[("files", ("x.txt", b"x", "text/plain"))])
        assert hand_in.status_code == 404
        feedback = await http.post(f"/tasks/upload/feedback/{scene['submission'].id}",
                                   data={"csrf_token": token, "grade": "1"}, files=[("files", ("x.txt", b"x", "text/plain"))])
        assert feedback.status_code == 404
        listing = (await http.get("/api/v1/start")).json()
        assert all(t["id"] != scene["task"].id for t in listing["open_tasks"])
        assert "Geheimaufgabe" not in (await http.get("/tasks")).text


@pytest.mark.postgres
async def test_pupil_of_the_same_course_sees_the_task_but_not_another_pupils_work(app, scene):
    async with as_user(app, scene["ben"]) as http:
        page = await http.get(f"/tasks/{scene['task'].id}")
        assert page.status_code == 200 and "Geheimaufgabe" in page.text
        assert scene["anna"].family_name not in page.text and b"Annas" not in page.content
        assert (await http.get(f"/api/v1/tasks/{scene['task'].id}/attachments/{scene['material']['id']}")).status_code == 200
        mine = (await http.get(f"/api/v1/tasks/{scene['task'].id}/my-submission")).json()
        assert mine["submission"] is None
        await assert_refused(http, teacher_urls(scene), allowed=(403,))
        await assert_refused(http, submission_urls(scene), allowed=(403, 404))
        for method, url in submission_urls(scene):
            if "/api/v1/" in url and method == "GET":
                assert (await http.get(url)).status_code == 404, url
        token = browser.csrf_from(page.text)
        feedback = await http.post(f"/tasks/upload/feedback/{scene['submission'].id}",
                                   data={"csrf_token": token, "grade": "1"}, files=[("files", ("x.txt", b"x", "text/plain"))])
        assert feedback.status_code in (403, 404)
    assert (await Submission.get(id=scene["submission"].id)).grade == "2"


@pytest.mark.postgres
async def test_own_feedback_only_once_released(app, scene):
    async with as_user(app, scene["anna"]) as http:
        assert (await http.get(f"/api/v1/task-files/feedback/{scene['feedback'].id}")).status_code == 404
        mine = (await http.get(f"/api/v1/tasks/{scene['task'].id}/my-submission")).json()["submission"]
        assert "grade" not in mine and "feedback_html" not in mine
        assert (await http.get(f"/api/v1/task-files/submitted/{scene['submitted'].id}")).content == SECRET
        await assert_refused(http, teacher_urls(scene), allowed=(403,))


@pytest.mark.postgres
async def test_teacher_of_the_course_sees_everything(app, scene):
    async with as_user(app, scene["teacher"]) as http:
        assert (await http.get(f"/api/v1/task-files/submitted/{scene['submitted'].id}")).content == SECRET
        assert (await http.get(f"/tasks/{scene['task'].id}/submissions/{scene['submission'].id}")).status_code == 200
        # but not Anna's file in her own space through the files API: only through the task
        assert (await http.get(f"/api/v1/files/content/{scene['own_node']['id']}")).status_code == 404
