"""Retention of task records kept from erased teachers (rule `task_records_days`), on local disk and S3:
without the rule they stay as long as their task and the dry run says so; with it, records kept longer ago
are listed by the dry run and then deleted by the run, rows and objects (fsck finds nothing left, the
records space's usage agrees), while records of a task that still accepts work are kept and counted."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from tortoise.expressions import Q

from schoolcloud.accounts.models import Role
from schoolcloud.files.models import FileVersion, Node, Space
from schoolcloud.privacy import records
from schoolcloud.privacy import services_retention as retention
from schoolcloud.privacy.models import AuditEvent
from schoolcloud.tasks.models import FeedbackFile, WorkFolder
from storage.local import LocalStore
from storage.s3 import S3Store
from tests.support.data import make_member
from tests.support.files import store_keys, upload
from tests.support.tasks import as_user, course_with, utc_in
from tests.test_files_s3 import s3_app, s3_settings  # noqa: F401 (fixtures)
from tests.test_privacy_erasure import fsck_problems
from tests.test_privacy_records import settings_of, values
from tests.test_retention import _listed
from tests.test_tasks_teacher_erasure import drifted, give_feedback, hand_in

pytest_plugins = ["tests.support.seaweedfs"]
pytestmark = pytest.mark.postgres
RULES = {"leavers_days": "90", "trash_days": "", "audit_days": "365", "links_days": "30",
         "notifications_days": "90"}


@pytest.fixture(params=["local", "s3"])
async def server(request, app):
    """(app server, its object store): the main app on local disk, or a second one on SeaweedFS S3."""
    if request.param == "local":
        store = LocalStore(app.var_dir / "objects")
        yield app, store
    else:
        settings = request.getfixturevalue("s3_settings")
        store = S3Store(settings["SCHOOLCLOUD_S3_ENDPOINT"], settings["SCHOOLCLOUD_S3_ACCESS_KEY"],
                        settings["SCHOOLCLOUD_S3_SECRET_KEY"], settings["SCHOOLCLOUD_S3_BUCKET"], secure=False)
        yield request.getfixturevalue("s3_app"), store
    await store.close()


async def _material(http, task_id: int, content: bytes) -> int:
    folder = (await http.post(f"/api/v1/tasks/{task_id}/attachments-folder")).json()["folder_id"]
    assert (await upload(http, folder, "Blatt.txt", content)).status_code == 201
    return folder


async def test_task_records_are_kept_without_a_rule_and_deleted_after_it(server):
    app, store = server
    course, teacher, (anna,) = await course_with(pupils=1)
    school = await course.school
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    async with as_user(app, teacher) as http:
        done = (await http.post(f"/api/v1/courses/{course.id}/tasks", json={
            "title": "Brüche", "instructions": "Bitte lösen.", "grade_scale": "grades"})).json()
        running = (await http.post(f"/api/v1/courses/{course.id}/tasks", json={
            "title": "Projekt", "instructions": "Bis Juni.", "grade_scale": "grades",
            "due_at": utc_in(days=60).isoformat()})).json()
        material = await _material(http, done["id"], b"Arbeitsblatt")
        running_material = await _material(http, running["id"], b"Projektplan")
    submission = await hand_in(app, anna, done["id"], "Lösung.txt")
    async with as_user(app, teacher) as http:
        feedback, note = await give_feedback(http, submission, "Anmerkungen.txt", b"Gut gemacht")
    async with as_user(app, admin) as http:
        assert (await http.delete(f"/api/v1/users/{teacher.public_id}")).status_code == 204
    records_space = await Space.get(records_course_id=course.id)
    due_ids, running_ids = [material, feedback, note["id"]], [running_material]
    due_keys, running_keys = [set(await FileVersion.filter(Q(node_id__in=ids) | Q(node__parent_id__in=ids))
                                  .values_list("object_key", flat=True)) for ids in (due_ids, running_ids)]
    assert len(due_keys) == 2 and len(running_keys) == 1 and due_keys | running_keys <= set(await store_keys(store))
    # The erasure dated what it kept.
    assert all(await WorkFolder.filter(task__course_id=course.id, user_id=None).values_list("kept_at", flat=True))
    assert await FeedbackFile.get(submission_id=submission.id).values_list("kept_at", flat=True)

    # Without a rule (the default) nothing is due, and the dry run says why.
    dry = app.cli("retention", "apply", "--dry-run", "--school", str(school.id))
    assert "task_records 0" in dry.stdout
    assert "task records of deleted teachers: kept while their task exists (no rule set)" in dry.stdout
    async with as_user(app, admin) as http:
        http.headers["Accept-Language"] = "de"
        page = await http.get("/admin/retention")
        assert "Aufgabenunterlagen gelöschter Lehrkräfte: bleiben erhalten, solange ihre Aufgabe besteht" in page.text
        saved = await http.post("/admin/retention", data={**RULES, "task_records_days": "30",
                                                          "csrf_token": http.headers["X-CSRF-Token"]})
        assert saved.status_code == 303, saved.text
    assert (await retention.rules_of(school.id))["task_records_days"] == 30
    documented = values(await records.build(school, settings_of(app)), "retention", "en")  # Art. 30 record
    assert documented["Task records of deleted teachers"] == "30 days after the account was deleted"
    assert "task_records 0" in app.cli("retention", "apply", "--dry-run", "--school", str(school.id)).stdout

    # 31 days later (the erasure's date moved back): the finished task's records are due, the running
    # task's material is held back.
    month_ago = datetime.now(timezone.utc) - timedelta(days=31)
    await WorkFolder.filter(task__course_id=course.id, user_id=None).update(kept_at=month_ago)
    await FeedbackFile.filter(submission_id=submission.id).update(kept_at=month_ago)
    dry = app.cli("retention", "apply", "--dry-run", "--school", str(school.id))
    assert "task_records 2" in dry.stdout, dry.stdout
    assert "task records kept because their task still accepts work: 1" in dry.stdout
    listed = _listed(dry.stdout)
    for node in (material, feedback):
        assert any(line.startswith(f"  task record node {node} ") for line in listed), listed
    assert await Node.filter(id__in=due_ids).count() == 3  # the dry run deleted nothing
    async with as_user(app, admin) as http:
        http.headers["Accept-Language"] = "en"
        page = await http.get("/admin/retention")
        assert "2 task records of deleted teachers" in page.text
        assert "1 task record is kept because its task still accepts work." in page.text
    before = fsck_problems(app)

    run = app.cli("retention", "apply", "--school", str(school.id))
    assert "deleted:" in run.stdout and "task_records 2" in run.stdout
    assert _listed(run.stdout) == listed  # exactly what the dry run listed
    assert not await Node.filter(id__in=due_ids).exists() and await Node.filter(id__in=running_ids).count() == 1
    keys = set(await store_keys(store))
    assert not due_keys & keys and running_keys <= keys
    after = fsck_problems(app)
    assert not due_keys & after["orphans"] and after["orphans"] <= before["orphans"]
    assert after["missing"] <= before["missing"] and records_space.id not in drifted(app)
    assert (await Space.get(id=records_space.id)).used_bytes == len(b"Projektplan")
    event = await AuditEvent.filter(action="retention.applied", school_id=school.id).order_by("-id").first()
    assert event.details["task_records"] == 2
    async with as_user(app, anna) as http:  # the pupil's record of the feedback says the file is gone
        shown = (await http.get(f"/api/v1/tasks/{done['id']}")).json()
        assert shown["attachments"] == []
        [given] = (await http.get(f"/api/v1/submissions/{submission.id}")).json()["feedback_files"]
        assert (await http.get(f"/api/v1/task-files/feedback/{given['id']}")).status_code == 410
