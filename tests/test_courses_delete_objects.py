"""Deleting a block or a lesson leaves nothing behind in the object store: the files its blocks showed stay
in the course space (courses/README.md: blocks point at course files, they do not own them), with their
rows and objects, so fsck finds neither an orphan object nor a version without its object, and a copied
lesson's files (new objects in the target course's space) stay the same way when the copy is deleted."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from schoolcloud.courses.models import Lesson, LessonBlock
from schoolcloud.files.models import FileVersion
from storage.local import LocalStore
from tests.support.courses import course_world
from tests.support.files import api_client, store_keys
from tests.test_courses_blocks import lesson_with_blocks
from tests.test_privacy_erasure import fsck_problems

pytestmark = pytest.mark.postgres


async def _keys_of(*course_ids: int) -> set[str]:
    return set(await FileVersion.filter(node__space__course_id__in=course_ids).values_list("object_key", flat=True))


async def test_deleting_blocks_and_lessons_leaves_no_orphaned_objects(app):
    world = await course_world()
    lesson, blocks, nodes = await lesson_with_blocks(app, world, publish_at=datetime.now(timezone.utc))
    store = LocalStore(app.var_dir / "objects")
    await world.other_course.teachers.add(world.teacher)
    courses = (world.course.id, world.other_course.id)
    async with api_client(app.base_url, world.teacher) as http:
        copied = await http.post(f"/api/v1/lessons/{lesson.id}/copy", json={"course_id": world.other_course.id})
        assert copied.status_code == 201, copied.text
        copy_id = copied.json()["id"]
        # The shown files (sheet, image), and the copies of them the copy made, with their objects.
        keys = await _keys_of(*courses)
        assert len(keys) == 4 and keys <= set(await store_keys(store))
        before = fsck_problems(app)

        assert (await http.delete(f"/api/v1/lesson-blocks/{blocks['image']['id']}")).status_code == 204
        assert (await http.delete(f"/api/v1/lessons/{lesson.id}")).status_code == 204
        assert (await http.delete(f"/api/v1/lessons/{copy_id}")).status_code == 204
        assert not await Lesson.filter(id__in=[lesson.id, copy_id]).exists()
        assert not await LessonBlock.filter(lesson_id__in=[lesson.id, copy_id]).exists()

        # The files stay the course's, readable, with every object; fsck finds nothing new.
        assert await _keys_of(*courses) == keys and keys <= set(await store_keys(store))
        got = await http.get(f"/api/v1/files/content/{nodes['sheet']['id']}")
        assert got.status_code == 200 and got.content == b"Aufgabe 1: 1/2 + 1/4"
    after = fsck_problems(app)
    assert after["orphans"] <= before["orphans"] and after["missing"] <= before["missing"]
    assert not keys & (after["orphans"] | after["missing"])
    await store.close()
