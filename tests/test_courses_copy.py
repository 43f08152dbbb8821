"""Copying lessons and courses, and sharing lessons with colleagues, over the real API and pages: files
are copied into the target course space, copies are drafts, pupils and their work stay behind, a copy
into a course the teacher does not teach is refused, and a failed copy leaves nothing behind."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from schoolcloud.accounts.models import Course
from schoolcloud.courses.models import Lesson, LessonBlock
from schoolcloud.files.models import FileVersion, Node, Space
from tests.support import browser
from tests.support.courses import course_world, make_course
from tests.support.data import make_member, make_school
from tests.support.files import api_client
from tests.test_courses_blocks import lesson_with_blocks


async def live_nodes(course: Course) -> list[Node]:
    space = await Space.get_or_none(course_id=course.id)
    if space is None:
        return []
    return await Node.filter(space_id=space.id, trash_key=0).exclude(parent_id=None)


@pytest.mark.postgres
async def test_copy_a_lesson_into_another_course_copies_its_files(app):
    world = await course_world()
    lesson, made, nodes = await lesson_with_blocks(app, world, publish_at=datetime.now(timezone.utc))
    await Lesson.filter(id=lesson.id).update(date=date(2026, 3, 16))
    target = await make_course(world.school, teachers=[world.teacher], pupils=[world.other_pupil])
    async with api_client(app.base_url, world.teacher) as http:
        copied = await http.post(f"/api/v1/lessons/{lesson.id}/copy", json={"course_id": target.id})
        assert copied.status_code == 201, copied.text
        copy = copied.json()
        assert copy["course_id"] == target.id and copy["publish_at"] is None and copy["title"] == "Brüche"
        assert copy["date"] == "2026-03-16"  # the same school year keeps the date
        body = (await http.get(f"/api/v1/lessons/{copy['id']}")).json()
        assert [b["kind"] for b in body["blocks"]] == ["text", "file", "folder", "image", "link"]  # no task
        target_space = await Space.get(course_id=target.id)
        for block in body["blocks"]:
            if block["node"]:
                node = await Node.get(id=block["node"]["id"])
                assert node.space_id == target_space.id and node.id not in {n["id"] for n in nodes.values() if isinstance(n, dict)}
        file_block = next(b for b in body["blocks"] if b["kind"] == "file")
        assert (await http.get(file_block["file_url"])).content == b"Aufgabe 1: 1/2 + 1/4"
        names = sorted(n.name for n in await live_nodes(target))
        assert names == ["Arbeitsblatt.txt", "Brüche", "Material", "Torte.png"]
        # Within the same course the copy points at the same files.
        again = await http.post(f"/api/v1/lessons/{lesson.id}/copy", json={"course_id": world.course.id})
        assert again.status_code == 201
        assert len(await live_nodes(world.course)) == 3
    # The copy's objects are new: the original's versions and the copy's do not share a key.
    keys = await FileVersion.filter(node__space__course_id=target.id).values_list("object_key", flat=True)
    originals = await FileVersion.filter(node__space__course_id=world.course.id).values_list("object_key", flat=True)
    assert keys and not set(keys) & set(originals)
    async with api_client(app.base_url, world.other_pupil) as http:  # a pupil of the target: a draft
        assert (await http.get(f"/api/v1/lessons/{copy['id']}")).status_code == 404
    assert await LessonBlock.filter(lesson_id=lesson.id).count() == 6  # the original is untouched


@pytest.mark.postgres
async def test_copy_into_a_course_the_teacher_does_not_teach_is_refused(app):
    world = await course_world()
    lesson, _, _ = await lesson_with_blocks(app, world, publish_at=datetime.now(timezone.utc))
    foreign_course = await make_course(await make_school(), teachers=[await make_member(None, "teacher")])
    for user, target, status in ((world.teacher, world.other_course, 404), (world.teacher, foreign_course, 404),
                                 (world.pupil, world.course, 403), (world.other_teacher, world.other_course, 404)):
        async with api_client(app.base_url, user) as http:
            response = await http.post(f"/api/v1/lessons/{lesson.id}/copy", json={"course_id": target.id})
            assert response.status_code == status, (user.role, target.id, response.text)
    async with api_client(app.base_url, world.teacher) as http:
        refused = await http.post(f"/api/v1/courses/{world.course.id}/copy", json={"course_id": world.other_course.id})
        assert refused.status_code == 404
    async with api_client(app.base_url, world.other_teacher) as http:
        refused = await http.post(f"/api/v1/courses/{world.course.id}/copy", json={"next_year": True})
        assert refused.status_code == 404
    assert await Lesson.filter(course_id=world.other_course.id).count() == 0
    assert await live_nodes(world.other_course) == []


async def test_a_copy_that_fails_for_lack_of_room_leaves_nothing(app):
    world = await course_world()
    lesson, _, _ = await lesson_with_blocks(app, world, publish_at=None)
    target = await make_course(world.school, teachers=[world.teacher])
    async with api_client(app.base_url, world.teacher) as http:
        await http.get(f"/courses/{target.id}")  # creates the target's space
        await Space.filter(course_id=target.id).update(quota_bytes=30)  # the sheet fits, the image does not
        response = await http.post(f"/api/v1/lessons/{lesson.id}/copy", json={"course_id": target.id})
        assert response.status_code == 507, response.text
    assert await Lesson.filter(course_id=target.id).count() == 0
    assert await live_nodes(target) == []  # the half-filled folder went to the trash


async def test_copy_a_course_into_the_next_school_year(app):
    world = await course_world()
    lesson, _, _ = await lesson_with_blocks(app, world, publish_at=datetime.now(timezone.utc))
    await Lesson.filter(id=lesson.id).update(date=date(2026, 3, 16))
    await Lesson.create(school=world.school, course=world.course, position=2, title="Dezimalzahlen")
    async with api_client(app.base_url, world.teacher) as http:
        page = await http.get(f"/courses/{world.course.id}")
        assert "2027/28" in page.text
        response = await http.post(f"/courses/{world.course.id}/copy", data={
            "csrf_token": browser.csrf_from(page.text), "target": "next_year"})
        assert response.status_code == 303
        course = await Course.get(school_id=world.school.id, name=world.course.name, school_year="2027/28")
        assert response.headers["location"] == f"/courses/{course.id}"
        assert [t.id for t in await course.teachers.all()] == [world.teacher.id]
        assert await course.pupils.all().count() == 0 and await course.classes.all().count() == 0
        copies = await Lesson.filter(course_id=course.id).order_by("position")
        assert [c.title for c in copies] == ["Brüche", "Dezimalzahlen"]
        assert all(c.publish_at is None and c.date is None for c in copies)
        assert await LessonBlock.filter(lesson_id=copies[0].id).count() == 5
        # Copying again goes into the same next-year course.
        again = await http.post(f"/api/v1/courses/{world.course.id}/copy", json={"next_year": True})
        assert again.status_code == 201 and again.json()["course"]["id"] == course.id
        assert await Lesson.filter(course_id=course.id).count() == 4


@pytest.mark.postgres
async def test_shared_lessons_are_seen_and_copied_by_colleagues_only(app):
    world = await course_world()
    lesson, made, _ = await lesson_with_blocks(app, world, publish_at=None)
    own_course = await make_course(world.school, teachers=[world.colleague])
    stranger = await make_member(await make_school(), "teacher")
    async with api_client(app.base_url, world.colleague) as http:
        assert (await http.get(f"/api/v1/lessons/{lesson.id}")).status_code == 404  # not shared yet
    async with api_client(app.base_url, world.teacher) as http:
        shared = await http.patch(f"/api/v1/lessons/{lesson.id}", json={"shared": True})
        assert shared.status_code == 200 and shared.json()["shared"] is True
    async with api_client(app.base_url, world.colleague) as http:
        listed = (await http.get("/api/v1/shared-lessons")).json()["items"]
        assert [le["id"] for le in listed] == [lesson.id]
        page = await http.get(f"/courses/{world.course.id}/lessons/{lesson.id}")
        assert page.status_code == 200 and "/edit" not in page.text
        file_url = f"/courses/{world.course.id}/lessons/{lesson.id}/blocks/{made['file']['id']}/file"
        assert (await http.get(file_url)).status_code == 200
        assert (await http.patch(f"/api/v1/lessons/{lesson.id}", json={"title": "Meins"})).status_code == 403
        copied = await http.post(f"/api/v1/lessons/{lesson.id}/copy", json={"course_id": own_course.id})
        assert copied.status_code == 201, copied.text
        assert len(await live_nodes(own_course)) == 4
    for outsider in (world.pupil, stranger):
        async with api_client(app.base_url, outsider) as http:
            assert (await http.get("/api/v1/shared-lessons")).status_code in (403, 200)
            assert lesson.title not in (await http.get("/api/v1/shared-lessons")).text
            assert (await http.get(f"/api/v1/lessons/{lesson.id}")).status_code == 404
    async with api_client(app.base_url, world.teacher) as http:
        assert (await http.patch(f"/api/v1/lessons/{lesson.id}", json={"shared": False})).status_code == 200
    async with api_client(app.base_url, world.colleague) as http:
        assert (await http.get(f"/api/v1/lessons/{lesson.id}")).status_code == 404
