"""The data export as a background job, through the real server: the ZIP (data.json and the stored files)
read back and compared with what the test made; who may request, follow and download whose export; a
second request while one is prepared; progress; the expiring link; hand-ins, feedback and grades in a
pupil's export and none of them in their teacher's."""

from __future__ import annotations

import asyncio
import io
import json
import os
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from schoolcloud.accounts.models import Role, User
from schoolcloud.privacy import services_restriction as restriction
from schoolcloud.jobs.models import Job, JobStatus, PeriodicRun
from schoolcloud.privacy.models import AuditEvent, DataExport
from schoolcloud.privacy.purposes import CLASS_DIRECTORY
from schoolcloud.tasks.models import Submission
from storage.local import LocalStore
from tests.support import browser
from tests.support.data import logged_in, make_class, make_member, make_school
from tests.support.exports import running_export
from tests.support.files import mkdir, personal_root, upload
from tests.support.tasks import as_user, course_with

pytestmark = pytest.mark.postgres
OWN = "/api/v1/privacy/export"


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
async def world(app):
    school = await make_school(state="NW")
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    pupil = await make_member(school, Role.PUPIL, given_name="Jana", family_name="Export")
    classmate = await make_member(school, Role.PUPIL, given_name="Ben", family_name="Nachbar")
    await make_class(school, "9c", members=[pupil, classmate])
    other_admin = await make_member(await make_school(), Role.SCHOOL_ADMIN)
    return dict(school=school, admin=admin, pupil=pupil, classmate=classmate, other_admin=other_admin)


def _unzip(body: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.testzip() is None
    return archive


async def wait_ready(http, export_id: str, timeout: float = 90.0) -> dict:
    seen = []
    for _ in range(int(timeout * 10)):
        state = (await http.get(f"/api/v1/privacy/exports/{export_id}")).json()
        seen.append(state["status"])
        if state["status"] not in ("queued", "running"):
            assert state["status"] == "ready", state
            return state
        await asyncio.sleep(0.1)
    raise AssertionError(f"export not ready: {seen[-5:]}")


async def export(http, path: str = OWN) -> zipfile.ZipFile:
    """Request an export, wait for it, download it."""
    requested = await http.post(path)
    assert requested.status_code == 202, requested.text
    state = await wait_ready(http, requested.json()["id"])
    response = await http.get(state["download"])
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    assert int(response.headers["content-length"]) == state["size"] == len(response.content)
    return _unzip(response.content)


async def test_own_export_holds_data_and_files(app, world):
    pupil = world["pupil"]
    big = os.urandom(3 * 1024 * 1024 + 17)
    async with logged_in(app, pupil) as http:
        http.headers.update(http.csrf)
        root = await personal_root(http)
        folder = await mkdir(http, root, "Deutsch")
        essay = (await upload(http, folder["id"], "Aufsatz.txt", "Über Füchse".encode())).json()
        assert (await upload(http, root, "video.bin", big)).status_code == 201
        gone = (await upload(http, root, "alt.txt", b"old")).json()
        assert (await http.delete(f"/api/v1/files/nodes/{gone['id']}")).status_code == 200
        shared = await http.post(f"/api/v1/files/nodes/{essay['id']}/shares",
                                 json={"recipient": {"type": "user", "id": world["classmate"].id}, "access": "read"})
        assert shared.status_code == 201, shared.text
        assert (await http.put(f"/api/v1/privacy/consents/{CLASS_DIRECTORY.id}")).status_code == 201
        archive = await export(http)
    names = set(archive.namelist())
    assert {"data.json", "files/Deutsch/Aufsatz.txt", "files/video.bin"} <= names
    assert [n for n in names if n.startswith("trash/") and n.endswith("/alt.txt")]
    assert archive.read("files/video.bin") == big
    assert archive.read("files/Deutsch/Aufsatz.txt").decode() == "Über Füchse"

    data = json.loads(archive.read("data.json"))
    assert data["schema_version"] == 2
    assert data["account"]["id"] == str(pupil.public_id) and data["account"]["family_name"] == "Export"
    assert data["account"]["school"]["state"] == "NW"
    assert [c["name"] for c in data["memberships"]["classes"]] == ["9c"]
    assert [(c["purpose"], c["given_by"]) for c in data["consents"]] == [(CLASS_DIRECTORY.id, "self")]
    assert data["shares_made"] == [{"name": "Aufsatz.txt", "recipient": {"type": "user", "name": "Ben Nachbar"},
                                    "access": "read", "created_at": data["shares_made"][0]["created_at"]}]
    actions = {e["action"] for e in data["audit_events"]}
    assert {"login", "files.share_create", "consent.given", "files.trash"} <= actions
    by_path = {f["path"]: f for f in data["files"]}
    assert by_path["files/video.bin"]["size"] == len(big)
    assert any(f["trashed_at"] for f in data["files"])
    row = await DataExport.get(subject_id=pupil.id)
    job = await Job.get(id=row.job_id)
    assert job.status == JobStatus.DONE and job.progress_done == job.progress_total >= len(big)
    assert row.expires_at - row.ready_at == timedelta(hours=48) and row.downloads == 1
    requested = await AuditEvent.filter(action="privacy.export", target_id=str(pupil.public_id)).first()
    assert requested.actor == str(pupil.public_id) and requested.details["by"] == "self"
    downloaded = await AuditEvent.filter(action="privacy.export_download", target_id=str(pupil.public_id)).first()
    assert downloaded.details["export"] == str(row.public_id) and downloaded.details["size"] == row.size


async def test_who_may_request_follow_and_download(app, world):
    pupil = world["pupil"]
    path = f"/api/v1/privacy/users/{pupil.public_id}/export"
    async with logged_in(app, world["admin"]) as http:
        http.headers.update(http.csrf)
        data = json.loads((await export(http, path)).read("data.json"))
        assert data["account"]["id"] == str(pupil.public_id)
        page = await http.get(f"/admin/users/{pupil.public_id}/privacy")
        via_form = await http.post(f"/admin/users/{pupil.public_id}/export",
                                   data={"csrf_token": browser.csrf_from(page.text)}, follow_redirects=True)
        assert via_form.status_code == 200 and "wird vorbereitet" in via_form.text
        admins = await DataExport.filter(subject_id=pupil.id, requested_by_id=world["admin"].id).order_by("-id")
        await wait_ready(http, str(admins[0].public_id))
        page = await http.get(f"/admin/users/{pupil.public_id}/privacy")
        assert f"/privacy/exports/{admins[0].public_id}/download" in page.text
    # The first archive was superseded by the second and removed.
    assert await DataExport.filter(subject_id=pupil.id).count() == 1
    event = await AuditEvent.filter(action="privacy.export", target_id=str(pupil.public_id)).first()
    assert event.actor == str(world["admin"].public_id) and event.details["by"] == "school_admin"
    export_id = str(admins[0].public_id)

    async with logged_in(app, world["other_admin"]) as http:
        assert (await http.post(path, headers=http.csrf)).status_code == 404
        assert (await http.get(f"/api/v1/privacy/exports/{export_id}")).status_code == 404
    async with logged_in(app, world["classmate"]) as http:
        assert (await http.post(path, headers=http.csrf)).status_code == 403
        assert (await http.get(f"/api/v1/privacy/exports/{export_id}")).status_code == 404
        assert (await http.get(f"/api/v1/privacy/exports/{export_id}/download")).status_code == 404
    async with logged_in(app, pupil) as http:
        # the person it is about sees that it exists, but only the requester downloads it
        assert (await http.get(f"/api/v1/privacy/exports/{export_id}")).json()["status"] == "ready"
        assert (await http.get(f"/api/v1/privacy/exports/{export_id}/download")).status_code == 404
        assert (await http.get("/api/v1/privacy/exports/not-a-uuid")).status_code == 404


async def test_second_request_while_one_is_prepared_shows_the_running_one(app, world):
    pupil = world["pupil"]
    async with logged_in(app, pupil) as http:
        http.headers.update(http.csrf)
        # An export prepared on another app instance: its job holds the account's key and a live lease.
        row, job = await running_export(pupil)
        second = await http.post(OWN)
        assert second.status_code == 409
        body = second.json()
        assert body["error"]["code"] == "export_running" and body["error"]["message_de"] != body["error"]["message_en"]
        assert body["export"]["id"] == str(row.public_id) and body["export"]["percent"] == 30
        page = await http.get("/privacy")
        refused = await http.post("/privacy/export", data={"csrf_token": browser.csrf_from(page.text)},
                                  follow_redirects=True)
        assert refused.status_code == 200 and "wird bereits vorbereitet" in refused.text
        assert 'max="1000" value="300"' in refused.text and "/static/export-progress.js" in refused.text
        status = (await http.get(f"/privacy/exports/{row.public_id}/status",
                                 headers={"Accept": "application/json"})).json()
        assert (status["status"], status["done"], status["total"]) == ("running", 300, 1000) and "MB" in status["text"]
        assert await DataExport.filter(subject_id=pupil.id).count() == 1  # never two
        # That instance dies: its lease runs out and this app's worker takes the job over and finishes it.
        await Job.filter(id=job.id).update(lease_until=now() - timedelta(seconds=1))
        state = await wait_ready(http, str(row.public_id))
        assert (await Job.get(id=job.id)).attempts == 2
        assert "data.json" in _unzip((await http.get(state["download"])).content).namelist()


async def test_the_link_expires_and_the_archive_is_removed(app, world):
    pupil = world["pupil"]
    store = LocalStore(app.var_dir / "objects")
    async with logged_in(app, pupil) as http:
        http.headers.update(http.csrf)
        requested = (await http.post(OWN)).json()
        state = await wait_ready(http, requested["id"])
        row = await DataExport.get(public_id=requested["id"])
        assert await store.exists(row.object_key)
        await DataExport.filter(id=row.id).update(expires_at=now() - timedelta(seconds=1))
        gone = await http.get(state["download"])
        assert gone.status_code == 410 and gone.json()["error"]["code"] == "export_expired"
        page = await http.get(f"/privacy/exports/{requested['id']}/download")
        assert page.status_code == 410 and "abgelaufen" in page.text
        await PeriodicRun.filter(name="privacy.expire_exports").update(next_run_at=now() - timedelta(seconds=1))
        for _ in range(600):  # the row goes first, the object right after it
            if not await DataExport.filter(id=row.id).exists() and not await store.exists(row.object_key):
                break
            await asyncio.sleep(0.1)
        assert not await DataExport.filter(id=row.id).exists()
        assert not await store.exists(row.object_key)
        assert (await http.get(state["download"])).status_code == 404
        # Erasing the account removes its archives (the rows and the objects) too.
        ready = await wait_ready(http, (await http.post(OWN)).json()["id"])
        row = await DataExport.get(public_id=ready["id"])
    async with logged_in(app, world["admin"]) as http:
        assert (await http.delete(f"/api/v1/users/{pupil.public_id}", headers=http.csrf)).status_code == 204
    assert not await DataExport.filter(id=row.id).exists() and not await store.exists(row.object_key)
    await store.close()


async def test_a_pupils_handins_feedback_and_grade_and_not_in_the_teachers_export(app):
    course, teacher, (anna, ben) = await course_with()
    async with as_user(app, teacher) as http:
        task = (await http.post(f"/api/v1/courses/{course.id}/tasks", json={
            "title": "Bruchrechnung", "instructions": "Löse alle Aufgaben.", "grade_scale": "grades"})).json()
    handed_in = {}
    async with as_user(app, anna) as http:
        folder = (await http.post(f"/api/v1/tasks/{task['id']}/my-submission/folder")).json()["folder_id"]
        for number, (content, text) in enumerate(((b"1/2 + 1/4 = 3/4", "Fertig"),
                                                 (b"korrigiert: 3/4", "Fertig, korrigiert")), 1):
            assert (await upload(http, folder, "Lösung.txt", content, on_conflict="overwrite")).status_code in (200, 201)
            assert (await http.post(f"/api/v1/tasks/{task['id']}/my-submission", json={"text": text})).status_code == 201
            handed_in[number] = (content, text)
    async with as_user(app, ben) as http:  # a classmate's work, which must stay out of the teacher's export
        folder = (await http.post(f"/api/v1/tasks/{task['id']}/my-submission/folder")).json()["folder_id"]
        await upload(http, folder, "Ben-Lösung.txt", b"Bens geheime Rechnung")
        await http.post(f"/api/v1/tasks/{task['id']}/my-submission", json={"text": "Bens Text"})
    submission = await Submission.get(task_id=task["id"], pupil_id=anna.id)
    remark = b"Siehe Anmerkungen am Rand"
    async with as_user(app, teacher) as http:
        folder = (await http.post(f"/api/v1/submissions/{submission.id}/feedback-folder")).json()["folder_id"]
        assert (await upload(http, folder, "Anmerkungen.txt", remark)).status_code == 201
        saved = await http.put(f"/api/v1/submissions/{submission.id}/feedback",
                               json={"grade": "2+", "feedback": "Gut gemacht, Anna"})
        assert saved.status_code == 200, saved.text
        assert (await http.post(f"/api/v1/tasks/{task['id']}/release")).status_code == 200
        teacher_archive = await export(http)
    async with as_user(app, anna) as http:
        archive = await export(http)

    data = json.loads(archive.read("data.json"))
    [mine] = data["submissions"]
    assert mine["task"] == {"title": "Bruchrechnung", "course": course.name, "due_at": None}
    assert [(v["number"], v["text"]) for v in mine["versions"]] == [(n, t) for n, (_c, t) in sorted(handed_in.items())]
    for version in mine["versions"]:  # every version's own bytes, as handed in
        [file] = version["files"]
        assert file["name"] == "Lösung.txt" and archive.read(file["path"]) == handed_in[version["number"]][0]
        assert file["size"] == len(handed_in[version["number"]][0]) and version["submitted_by"] == "self"
    fresh = await Submission.get(id=submission.id)
    assert mine["feedback"]["text"] == fresh.feedback and mine["feedback"]["grade"] == fresh.grade == "2+"
    assert mine["feedback"]["released_at"] == fresh.feedback_released_at.isoformat()
    [note_file] = mine["feedback"]["files"]
    assert archive.read(note_file["path"]) == remark
    assert {n["kind"] for n in data["notifications"]} >= {"new_task", "feedback"}
    assert [c["name"] for c in data["memberships"]["courses_attended"]] == [course.name]
    assert b"Bens geheime Rechnung" not in b"".join(archive.read(n) for n in archive.namelist())

    teacher_data = json.loads(teacher_archive.read("data.json"))
    assert teacher_data["submissions"] == []
    assert [t["title"] for t in teacher_data["tasks_set"]] == ["Bruchrechnung"]
    assert teacher_data["grading_done"] == [{"task": "Bruchrechnung", "submissions_graded": 1}]
    everything = b"".join(teacher_archive.read(n) for n in teacher_archive.namelist() if n != "data.json")
    text = teacher_archive.read("data.json").decode()
    # The pupils' texts, files, feedback and grades are not the teacher's data (the teacher's own files,
    # such as their feedback folders, are).
    for secret in ("Fertig, korrigiert", "Bens Text", "korrigiert: 3/4", "Bens geheime Rechnung", "Gut gemacht",
                   '"grade"'):
        assert secret not in text, secret
    assert b"Bens geheime Rechnung" not in everything and b"korrigiert: 3/4" not in everything


def _href(html: str, pattern: str) -> str:
    import re
    from html import unescape

    match = re.search(r'(?:href|action)="(' + pattern + r')"', html)
    assert match, f"no link matching {pattern}"
    return unescape(match.group(1))


@pytest.mark.parametrize("state", ["active", "frozen", "left"])
async def test_an_admin_exports_a_pupils_data_through_the_pages_and_hands_it_over(app, world, state):
    """A parent's request: the administrator goes from the account's page to its privacy page, requests the
    export with the form, reloads (as without JavaScript) until the download link appears, follows it and
    gets the pupil's archive, which is then handed over; the request and the download are audited. Also
    for an account frozen while a request is examined (Art. 18) and for a pupil who has left."""
    pupil = world["pupil"]
    async with logged_in(app, pupil) as http:
        http.headers.update(http.csrf)
        root = await personal_root(http)
        assert (await upload(http, root, "Referat.txt", "Über Eulen".encode())).status_code == 201
    if state == "frozen":
        await restriction.freeze(world["admin"], str(pupil.public_id), "Anfrage der Eltern")
    elif state == "left":
        await User.filter(id=pupil.id).update(active=False, left_at=now())
    async with logged_in(app, world["admin"]) as http:
        account = await http.get(f"/admin/users/{pupil.public_id}")
        assert account.status_code == 200
        privacy = await http.get(_href(account.text, f"/admin/users/{pupil.public_id}/privacy"))
        assert privacy.status_code == 200 and "Kopie der Daten" in privacy.text
        action = _href(privacy.text, f"/admin/users/{pupil.public_id}/export")
        requested = await http.post(action, data={"csrf_token": browser.csrf_from(privacy.text)})
        assert requested.status_code == 303
        page = await browser.follow(http, requested)
        assert "wird vorbereitet" in page.text
        for _ in range(900):
            page = await http.get(f"/admin/users/{pupil.public_id}/privacy")
            if "/download" in page.text:
                break
            await asyncio.sleep(0.1)
        link = _href(page.text, "/privacy/exports/[0-9a-f-]+/download")
        response = await http.get(link)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert f"schoolcloud-daten-{pupil.username}-" in response.headers["content-disposition"]
    archive = _unzip(response.content)
    assert archive.read("files/Referat.txt").decode() == "Über Eulen"
    data = json.loads(archive.read("data.json"))
    assert data["account"]["id"] == str(pupil.public_id) and data["account"]["given_name"] == "Jana"
    row = await DataExport.get(subject_id=pupil.id, requested_by_id=world["admin"].id)
    assert row.downloads == 1
    downloaded = await AuditEvent.filter(action="privacy.export_download", target_id=str(pupil.public_id)).first()
    assert downloaded.actor == str(world["admin"].public_id) and downloaded.details["export"] == str(row.public_id)
