"""Courses and lessons over the real pages and API: who sees which course and lesson, drafts and
lessons published for later stay hidden from pupils, bad input is refused without losing what was saved."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from schoolcloud.courses.models import Lesson
from tests.support import browser
from tests.support.courses import course_world
from tests.support.data import logged_in
from tests.support.files import api_client


def in_hours(hours: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(hours=hours)


async def lessons_of(world):
    """A published lesson, a draft and one published for tomorrow."""
    published = await Lesson.create(school=world.school, course=world.course, position=1, title="Brüche",
                                    publish_at=in_hours(-1), date=date(2026, 3, 16))
    draft = await Lesson.create(school=world.school, course=world.course, position=2, title="Entwurf Geheim")
    future = await Lesson.create(school=world.school, course=world.course, position=3, title="Morgen Geheim",
                                 publish_at=in_hours(24))
    return published, draft, future


@pytest.mark.postgres
async def test_course_members_see_the_course_others_get_404(app):
    world = await course_world()
    published, draft, future = await lessons_of(world)
    course_path = f"/courses/{world.course.id}"
    for user in (world.teacher, world.admin):
        async with api_client(app.base_url, user) as http:
            page = await http.get(course_path)
            assert page.status_code == 200
            assert all(t in page.text for t in ("Brüche", "Entwurf Geheim", "Morgen Geheim"))
            assert f'action="{course_path}/lessons"' in page.text  # the new-lesson form
            body = (await http.get(f"/api/v1{course_path}/lessons")).json()
            assert body["may_edit"] and [le["title"] for le in body["lessons"]] == \
                ["Brüche", "Entwurf Geheim", "Morgen Geheim"]
            assert (await http.get(f"/api/v1/lessons/{draft.id}")).status_code == 200
    for pupil in (world.pupil, world.direct_pupil):
        async with api_client(app.base_url, pupil) as http:
            mine = await http.get("/courses")
            assert mine.status_code == 200 and world.course.name in mine.text
            assert world.other_course.name not in mine.text
            page = await http.get(course_path)
            assert page.status_code == 200 and "Brüche" in page.text
            assert "Geheim" not in page.text and f'action="{course_path}/lessons"' not in page.text
            body = (await http.get(f"/api/v1{course_path}/lessons")).json()
            assert not body["may_edit"] and [le["title"] for le in body["lessons"]] == ["Brüche"]
            assert (await http.get(f"{course_path}/lessons/{published.id}")).status_code == 200
            for hidden in (draft, future):
                assert (await http.get(f"{course_path}/lessons/{hidden.id}")).status_code == 404
                assert (await http.get(f"/api/v1/lessons/{hidden.id}")).status_code == 404
    for outsider in (world.other_pupil, world.other_teacher, world.foreign_admin):
        async with api_client(app.base_url, outsider) as http:
            assert (await http.get(course_path)).status_code == 404
            assert (await http.get(f"/api/v1{course_path}/lessons")).status_code == 404
            assert (await http.get(f"{course_path}/lessons/{published.id}")).status_code == 404
            assert (await http.get(f"/api/v1/lessons/{published.id}")).status_code == 404
            assert world.course.name not in (await http.get("/api/v1/my-courses")).text
    async with api_client(app.base_url, world.teacher) as http:  # a lesson under another course's URL
        assert (await http.get(f"/courses/{world.other_course.id}/lessons/{published.id}")).status_code == 404


@pytest.mark.postgres
async def test_only_editors_change_lessons(app):
    world = await course_world()
    published, draft, _ = await lessons_of(world)
    for user, status in ((world.pupil, 403), (world.other_teacher, 404), (world.foreign_admin, 404)):
        async with api_client(app.base_url, user) as http:
            created = await http.post(f"/api/v1/courses/{world.course.id}/lessons", json={"title": "Fremd"})
            assert created.status_code == status
            changed = await http.patch(f"/api/v1/lessons/{published.id}", json={"title": "Fremd"})
            assert changed.status_code == (403 if user is world.pupil else 404)
            assert (await http.delete(f"/api/v1/lessons/{published.id}")).status_code in (403, 404)
            assert (await http.patch(f"/api/v1/lessons/{draft.id}", json={"publish": "now"})).status_code == 404
    assert await Lesson.filter(course_id=world.course.id).count() == 3
    assert (await Lesson.get(id=draft.id)).publish_at is None
    assert (await Lesson.get(id=published.id)).title == "Brüche"


async def test_teacher_creates_publishes_and_reorders_lessons_through_the_pages(app):
    world = await course_world()
    async with logged_in(app, world.teacher) as http:
        course_path = f"/courses/{world.course.id}"
        page = await http.get(course_path)
        token = browser.csrf_from(page.text)
        created = await http.post(f"{course_path}/lessons", data={
            "csrf_token": token, "title": "Dreiecke", "week": "2026-W12", "description": "Winkel messen",
            "publish": "draft"})
        assert created.status_code == 303
        lesson = await Lesson.get(course_id=world.course.id, title="Dreiecke")
        assert lesson.by_week and lesson.date == date(2026, 3, 16) and lesson.publish_at is None
        assert created.headers["location"] == f"{course_path}/lessons/{lesson.id}"
        second = await http.post(f"{course_path}/lessons", data={
            "csrf_token": token, "title": "Vierecke", "date": "2026-03-20", "publish": "at",
            "publish_at": "2026-03-19T18:00"})
        assert second.status_code == 303
        later = await Lesson.get(course_id=world.course.id, title="Vierecke")
        assert later.publish_at == datetime(2026, 3, 19, 17, 0, tzinfo=timezone.utc)  # CET = UTC+1
        assert [le.id for le in await Lesson.filter(course_id=world.course.id).order_by("position")] == \
            [lesson.id, later.id]
        moved = await http.post(f"{course_path}/lessons/{later.id}/move", data={"csrf_token": token, "step": "-1"})
        assert moved.status_code == 303
        assert [le.id for le in await Lesson.filter(course_id=world.course.id).order_by("position")] == \
            [later.id, lesson.id]
        published = await http.post(f"{course_path}/lessons/{lesson.id}/edit", data={
            "csrf_token": token, "title": "Dreiecke", "week": "2026-W12", "publish": "now"})
        assert published.status_code == 303
    async with logged_in(app, world.pupil) as http:
        page = await http.get(course_path)
        assert "Dreiecke" in page.text and "Vierecke" in page.text  # 19 March 2026 has passed


async def test_bad_lesson_input_is_refused_and_nothing_is_lost(app):
    world = await course_world()
    lesson = await Lesson.create(school=world.school, course=world.course, position=1, title="Bleibt",
                                 description="Alter Text", publish_at=in_hours(-1))
    async with api_client(app.base_url, world.teacher) as http:
        bad = await http.patch(f"/api/v1/lessons/{lesson.id}", json={
            "title": "Neu", "description": "Neuer Text", "date": "2026-02-30", "publish": "draft"})
        assert bad.status_code == 422
        assert {f["field"] for f in bad.json()["error"]["fields"]} == {"date"}
        both = await http.patch(f"/api/v1/lessons/{lesson.id}", json={"date": "2026-03-02", "week": "2026-W10"})
        assert both.status_code == 422
        empty = await http.post(f"/api/v1/courses/{world.course.id}/lessons", json={"title": "  "})
        assert empty.status_code == 422 and empty.json()["error"]["fields"][0]["field"] == "title"
        order = await http.put(f"/api/v1/courses/{world.course.id}/lessons/order", json={"lesson_ids": [999999]})
        assert order.status_code == 422
        course_path = f"/courses/{world.course.id}"
        page = await http.get(f"{course_path}/lessons/{lesson.id}")
        form = await http.post(f"{course_path}/lessons/{lesson.id}/edit", data={
            "csrf_token": browser.csrf_from(page.text), "title": "Neu", "description": "Neuer Text",
            "week": "nächste Woche", "publish": "draft"})
        assert form.status_code == 422
        assert "Neuer Text" in form.text and 'aria-invalid="true"' in form.text  # the input comes back
    kept = await Lesson.get(id=lesson.id)
    assert (kept.title, kept.description, kept.date) == ("Bleibt", "Alter Text", None)
    assert kept.publish_at is not None
