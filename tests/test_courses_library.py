"""The material library over the real API and pages: teachers publish lessons and files with subject,
grade levels, keywords and a licence; colleagues search (by subject, grade, keyword; paged) and copy
into their courses; pupils and other schools see nothing; bad input publishes nothing."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from schoolcloud.courses import services_library
from schoolcloud.courses.models import LibraryEntry, Lesson
from schoolcloud.files.models import Node, Space
from tests.support import browser
from tests.support.courses import course_world, make_course
from tests.support.files import api_client, upload
from tests.test_courses_blocks import course_root, lesson_with_blocks
from tests.test_files_perf_queries import counted


async def published(app, world):
    """The teacher publishes a lesson (Mathematik 5-6) and a file of the course (Deutsch 7-8)."""
    lesson, made, _ = await lesson_with_blocks(app, world, publish_at=datetime.now(timezone.utc))
    async with api_client(app.base_url, world.teacher) as http:
        poem = (await upload(http, await course_root(http, world.course.id), "Gedicht.txt", b"Der Mond ist aufgegangen")).json()
        entry = await http.post("/api/v1/library", json={
            "kind": "lesson", "lesson_id": lesson.id, "subject": "Mathematik", "grade_from": 5, "grade_to": 6,
            "keywords": "Brüche, Pizza", "licence": "cc-by-sa"})
        assert entry.status_code == 201, entry.text
        assert entry.json()["keywords"] == ["brüche", "pizza"] and entry.json()["title"] == "Brüche"
        page = await http.get("/library")
        form = await http.post("/library/files", data={
            "csrf_token": browser.csrf_from(page.text), "node_id": str(poem["id"]), "subject": "Deutsch",
            "grade_from": "7", "grade_to": "8", "keywords": "Gedicht", "licence": "school", "title": "Abendlied"})
        assert form.status_code == 303, form.text
    return lesson, made, poem


@pytest.mark.postgres
async def test_colleagues_search_by_subject_grade_and_keyword(app):
    world = await course_world()
    lesson, _, poem = await published(app, world)
    async with api_client(app.base_url, world.colleague) as http:
        async def titles(**params):
            response = await http.get("/api/v1/library", params=params)
            assert response.status_code == 200, response.text
            return [e["title"] for e in response.json()["items"]]

        assert await titles() == ["Abendlied", "Brüche"]
        assert await titles(subject="mathematik") == ["Brüche"]
        assert await titles(grade=6) == ["Brüche"]
        assert await titles(grade=7) == ["Abendlied"]
        assert await titles(grade=9) == []
        assert await titles(keyword="PIZZA") == ["Brüche"]
        assert await titles(keyword="gedicht", subject="Deutsch", grade=8) == ["Abendlied"]
        assert await titles(keyword="pizza", subject="Deutsch") == []
        first = (await http.get("/api/v1/library", params={"limit": 1})).json()
        assert first["has_more"] and len(first["items"]) == 1
        second = (await http.get("/api/v1/library", params={"limit": 1, "offset": 1})).json()
        assert not second["has_more"] and second["items"][0]["title"] == "Brüche"
        page = await http.get("/library", params={"keyword": "pizza"})
        assert page.status_code == 200 and "Brüche" in page.text and "CC BY-SA 4.0" in page.text
        file_entry = next(e for e in first["items"] + second["items"] if e["kind"] == "file")
        download = await http.get(file_entry["file_url"])
        assert download.status_code == 200 and download.content == b"Der Mond ist aufgegangen"
        assert (await http.get(f"/api/v1/lessons/{lesson.id}")).status_code == 200  # readable to copy it


async def test_search_is_one_query_plus_the_keywords_of_the_page(app):
    world = await course_world()
    await published(app, world)
    with counted() as queries:
        found = await services_library.search(world.colleague, subject="Mathematik", grade="5", keyword="brüche")
    assert [e.title for e in found.items] == ["Brüche"]
    assert len(queries) == 2, queries  # the search (entry, publisher, lesson, node joined), the page's keywords
    assert "library_keyword" in queries[0] and "subject_key" in queries[0]


@pytest.mark.postgres
async def test_copy_from_the_library_into_own_courses(app):
    world = await course_world()
    lesson, _, poem = await published(app, world)
    own = await make_course(world.school, teachers=[world.colleague])
    entries = await LibraryEntry.filter(school_id=world.school.id).order_by("id")
    async with api_client(app.base_url, world.colleague) as http:
        copied = await http.post(f"/api/v1/library/{entries[0].id}/copy", json={"course_id": own.id})
        assert copied.status_code == 201, copied.text
        copy = await Lesson.get(id=copied.json()["lesson"]["id"])
        assert copy.course_id == own.id and copy.publish_at is None
        file_copy = await http.post(f"/api/v1/library/{entries[1].id}/copy", json={"course_id": own.id})
        assert file_copy.status_code == 201 and file_copy.json()["node"]["name"] == "Gedicht.txt"
        space = await Space.get(course_id=own.id)
        assert await Node.filter(space_id=space.id, name="Gedicht.txt", trash_key=0).exists()
        refused = await http.post(f"/api/v1/library/{entries[1].id}/copy", json={"course_id": world.course.id})
        assert refused.status_code == 404  # a course the colleague does not teach
        assert (await http.delete(f"/api/v1/library/{entries[0].id}")).status_code == 403  # not theirs
    async with api_client(app.base_url, world.teacher) as http:
        assert (await http.delete(f"/api/v1/library/{entries[0].id}")).status_code == 204
    assert await Lesson.filter(id=lesson.id).exists()  # withdrawn, not deleted


@pytest.mark.postgres
async def test_pupils_and_other_schools_do_not_see_the_library(app):
    world = await course_world()
    await published(app, world)
    entry = await LibraryEntry.filter(school_id=world.school.id, kind="file").first()
    for pupil in (world.pupil, world.other_pupil):
        async with api_client(app.base_url, pupil) as http:
            assert (await http.get("/library")).status_code == 403
            assert (await http.get("/api/v1/library")).status_code == 403
            assert (await http.get(f"/library/{entry.id}/file")).status_code == 403
            assert "/library" not in (await http.get("/courses")).text
    async with api_client(app.base_url, world.foreign_admin) as http:
        assert (await http.get("/api/v1/library")).json()["items"] == []
        assert (await http.get(f"/library/{entry.id}/file")).status_code == 404
        assert (await http.post(f"/api/v1/library/{entry.id}/copy", json={"course_id": world.course.id})).status_code == 404
        assert (await http.delete(f"/api/v1/library/{entry.id}")).status_code == 404


async def test_bad_library_input_publishes_nothing(app):
    world = await course_world()
    lesson, _, _ = await lesson_with_blocks(app, world, publish_at=None)
    good = {"kind": "lesson", "lesson_id": lesson.id, "subject": "Mathematik", "grade_from": 5, "grade_to": 6,
            "licence": "cc0"}
    async with api_client(app.base_url, world.teacher) as http:
        for change, field in (({"licence": "gpl"}, "licence"), ({"grade_from": 8, "grade_to": 5}, "grade_from"),
                              ({"grade_to": 14}, "grade_from"), ({"subject": " "}, "subject"),
                              ({"keywords": [f"w{i}" for i in range(11)]}, "keywords")):
            response = await http.post("/api/v1/library", json={**good, **change})
            assert response.status_code == 422, change
            assert field in {f["field"] for f in response.json()["error"]["fields"]}
        page = await http.get(f"/courses/{world.course.id}/lessons/{lesson.id}")
        form = await http.post(f"/courses/{world.course.id}/lessons/{lesson.id}/library", data={
            "csrf_token": browser.csrf_from(page.text), "subject": "Mathe", "grade_from": "5", "grade_to": "6",
            "keywords": "Brüche", "licence": ""})
        assert form.status_code == 422 and 'value="Brüche"' in form.text
    async with api_client(app.base_url, world.other_teacher) as http:
        assert (await http.post("/api/v1/library", json=good)).status_code == 404  # not their lesson
    async with api_client(app.base_url, world.pupil) as http:
        assert (await http.post("/api/v1/library", json=good)).status_code == 403
    assert not await LibraryEntry.filter(school_id=world.school.id).exists()
