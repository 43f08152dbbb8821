"""Feedback a teacher has not released yet is personal data about the pupil: the pupil's export holds it,
marked as a draft, with its files under `feedback (draft)/`; a hand-in without any feedback has none."""

from __future__ import annotations

import json

import pytest

from tests.support.files import upload
from tests.support.tasks import as_user, course_with
from tests.test_privacy_export import export
from tests.test_tasks_teacher_erasure import hand_in

pytestmark = pytest.mark.postgres


async def test_unreleased_feedback_is_in_the_pupils_export_as_a_draft(app):
    course, teacher, (anna, ben) = await course_with()
    async with as_user(app, teacher) as http:
        task = (await http.post(f"/api/v1/courses/{course.id}/tasks", json={
            "title": "Brüche", "instructions": "Bitte lösen.", "grade_scale": "grades"})).json()
    annas, _bens = await hand_in(app, anna, task["id"], "Lösung.txt"), await hand_in(app, ben, task["id"], "B.txt")
    async with as_user(app, teacher) as http:
        folder = (await http.post(f"/api/v1/submissions/{annas.id}/feedback-folder")).json()["folder_id"]
        assert (await upload(http, folder, "Entwurf.txt", b"noch nicht fertig")).status_code == 201
        saved = await http.put(f"/api/v1/submissions/{annas.id}/feedback",
                               json={"grade": "3", "feedback": "Vorläufig", "release": False})
        assert saved.status_code == 200, saved.text
    async with as_user(app, anna) as http:
        shown = (await http.get(f"/api/v1/submissions/{annas.id}")).json()
        assert "Vorläufig" not in json.dumps(shown)  # the task page still shows nothing before release
        archive = await export(http)
    [mine] = json.loads(archive.read("data.json"))["submissions"]
    feedback = mine["feedback"]
    assert feedback["draft"] is True and feedback["released_at"] is None
    assert (feedback["text"], feedback["grade"]) == ("Vorläufig", "3")
    [file] = feedback["files"]
    assert "/feedback (draft)/" in file["path"] and archive.read(file["path"]) == b"noch nicht fertig"
    async with as_user(app, ben) as http:
        [his] = json.loads((await export(http)).read("data.json"))["submissions"]
    assert his["feedback"] is None  # nothing given yet
