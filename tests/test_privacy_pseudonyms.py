"""Erasure (Art. 17) in shared content: a deleted teacher's lesson, library entry, files in the course
space, feedback and plan version stay for the others, with "Ehemaliges Mitglied 3f2a" where the name was;
afterwards no text column of any table holds the name or the login name, and `schoolcloud fsck` finds
nothing the deletion left behind. Two deletion requests at once: one deletes, the other gets a clear
answer, never a 500."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from tortoise import connections

from schoolcloud.accounts.models import Role, User
from schoolcloud.courses.models import LibraryEntry, Lesson
from schoolcloud.files.models import FileVersion, Node
from schoolcloud.planning import services_editors, services_plans
from schoolcloud.planning.models import PlanRevision
from schoolcloud.privacy.models import AuditEvent
from schoolcloud.tasks import grading
from schoolcloud.tasks.models import Submission
from schoolcloud.teams import services as teams
from tests.support.courses import make_course
from tests.support.data import logged_in, make_class, make_member, make_school
from tests.support.files import upload
from tests.support.tasks import make_task
from tests.test_courses_blocks import course_root
from tests.test_privacy_erasure import fsck_problems


async def text_columns_containing(needles: list[str]) -> list[str]:
    """Every (table.column) of the database whose text holds one of the needles, case-insensitively."""
    conn = connections.get("default")
    found = []
    if conn.capabilities.dialect == "sqlite":
        tables = [r["name"] for r in await conn.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        columns = [(t, c["name"]) for t in tables
                   for c in await conn.execute_query_dict(f'PRAGMA table_info("{t}")')
                   if "BLOB" not in (c["type"] or "").upper()]
        value, mark = 'lower(CAST("{c}" AS TEXT))', "?"
    else:
        columns = [(r["table_name"], r["column_name"]) for r in await conn.execute_query_dict(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')")]
        value, mark = 'lower("{c}"::text)', "${n}"
    assert len(columns) > 50, columns  # the scan sees the whole schema
    for table, column in columns:
        hits = ", ".join(f"SUM(CASE WHEN {value.format(c=column)} LIKE {mark.format(n=i + 1)} THEN 1 ELSE 0 END) "
                         f"AS hit{i}" for i in range(len(needles)))
        row = (await conn.execute_query_dict(f'SELECT {hits} FROM "{table}"',
                                             [f"%{needle.lower()}%" for needle in needles]))[0]
        found += [f"{table}.{column} holds {needle!r}" for i, needle in enumerate(needles) if row[f"hit{i}"]]
    return found


@pytest.mark.postgres
async def test_deleted_teacher_becomes_a_former_member_in_what_others_keep(app):
    mark = uuid.uuid4().hex[:8]
    given, family, username = f"Wilhelmine{mark}", f"Zauberstab{mark}", f"w.zauberstab.{mark}"
    school = await make_school(state="NI")
    admin = await make_member(school, Role.SCHOOL_ADMIN)
    teacher = await make_member(school, Role.TEACHER, given_name=given, family_name=family, username=username,
                                email=f"{username}@schule.example")
    colleague = await make_member(school, Role.TEACHER)
    pupil = await make_member(school, Role.PUPIL)
    school_class = await make_class(school, "8c", members=[pupil])
    course = await make_course(school, teachers=[teacher, colleague], classes=[school_class], name="Physik 8c")
    lesson = await Lesson.create(school=school, course=course, position=1, title="Hebel", shared=True,
                                 created_by=teacher, publish_at=datetime.now(timezone.utc) - timedelta(hours=1))
    task = await make_task(teacher, course, title="Wippe bauen")
    plan = await services_plans.create_plan(admin, title="Medienkonzept", programme="dp1-ni")
    await services_editors.invite(admin, plan.id, teacher.id)
    await teams.add_member(teacher, (await teams.create_team(teacher, "Robotik")).id, pupil.id)

    async with logged_in(app, teacher) as http:
        http.headers.update(http.csrf)
        root = await course_root(http, course.id)
        sheet = (await upload(http, root, "Hebelgesetz.txt", b"Kraft mal Kraftarm")).json()
        block = await http.post(f"/api/v1/lessons/{lesson.id}/blocks", json={"kind": "file", "node_id": sheet["id"]})
        assert block.status_code == 201, block.text
        entry = await http.post("/api/v1/library", json={"kind": "lesson", "lesson_id": lesson.id, "subject": "Physik",
                                                         "grade_from": 8, "grade_to": 9, "licence": "cc-by"})
        assert entry.status_code == 201, entry.text
    await services_plans.save_plan(teacher, plan.id, base_revision=1, content=services_plans.content_of(plan),
                                   title="Medienkonzept 2027")
    async with logged_in(app, pupil) as http:
        handed_in = await http.post(f"/api/v1/tasks/{task.id}/my-submission", json={"text": "Fertig"},
                                    headers=http.csrf)
        assert handed_in.status_code in (200, 201), handed_in.text
    submission = await Submission.get(task_id=task.id)
    await grading.save_feedback(teacher, submission.id, grade="2", feedback="Gut gebaut", release=True)
    assert await text_columns_containing([family]), "the scan must find the name while the account exists"
    before = fsck_problems(app)

    # Two deletion requests at once: one deletes, the other is told so (409 while running, 410 after).
    async with logged_in(app, admin) as http:
        answers = await asyncio.gather(*(http.delete(f"/api/v1/users/{teacher.public_id}", headers=http.csrf)
                                         for _ in range(2)))
        assert sorted(a.status_code for a in answers) in ([204, 409], [204, 410]), [a.text for a in answers]
        refused = next(a for a in answers if a.status_code != 204).json()["error"]
        assert refused["code"] in ("erasure_running", "already_deleted") and refused["message_de"]
        versions = await http.get(f"/plans/{plan.id}/versions")

    event = await AuditEvent.get(action="user.deleted", target_id=str(teacher.public_id))
    tag = event.details["pseudonym"]
    assert len(tag) == 4 and int(tag, 16) >= 0
    former_de, former_en = f"Ehemaliges Mitglied {tag}", f"Former member {tag}"
    assert former_de in versions.text and family not in versions.text
    # Everything stays for the others, with the pseudonym where the name was.
    assert (await Lesson.get(id=lesson.id)).created_by_pseudonym == tag
    assert (await LibraryEntry.get(id=entry.json()["id"])).published_by_pseudonym == tag
    assert (await PlanRevision.get(plan_id=plan.id, number=2)).author_pseudonym == tag
    assert await Node.filter(id=sheet["id"], created_by_id=None).exists()
    assert await FileVersion.filter(node_id=sheet["id"]).exists()
    assert (await Submission.get(id=submission.id)).feedback == "Gut gebaut"
    async with logged_in(app, colleague) as http:
        shared = await http.get("/courses/shared")
        assert shared.status_code == 200 and "Hebel" in shared.text and former_de in shared.text
        library = await http.get("/library")
        assert former_de in library.text and family not in library.text
        api = await http.get("/api/v1/library", headers={"Accept-Language": "en"})
        assert former_en in [e["published_by"] for e in api.json()["items"]]
    async with logged_in(app, pupil) as http:
        for path in (f"/courses/{course.id}", f"/courses/{course.id}/lessons/{lesson.id}", f"/tasks/{task.id}"):
            page = await http.get(path)
            assert page.status_code == 200 and family not in page.text, path
        content = await http.get(f"/api/v1/files/content/{sheet['id']}")
        assert content.status_code == 200 and content.content == b"Kraft mal Kraftarm"

    assert not await User.filter(id=teacher.id).exists()
    assert await text_columns_containing([given, family, username]) == []
    after = fsck_problems(app)
    assert after["orphans"] <= before["orphans"] and after["missing"] <= before["missing"]
