"""Content blocks over the real API and pages: text is sanitised, files come from the course space only
and are served only to those who may see the lesson (never to pupils while it is a draft or scheduled,
never to other courses or schools), and a refused change keeps what was saved."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from schoolcloud.courses.models import Lesson, LessonBlock
from tests.support import browser
from tests.support.courses import course_world
from tests.support.files import api_client, mkdir, personal_root, spaces, upload

EVIL = ('# Plan\n\n<script>window.__xss = 1</script>\n\n<img src="x" onerror="window.__xss = 1">'
        '<a href="javascript:window.__xss = 1" onclick="window.__xss = 1">Klick</a> '
        '[Link](javascript:alert(1)) <p style="color:red" onmouseover="x()">Text</p>'
        '<iframe src="https://example.org"></iframe>\n\n**fett** und [gut](https://example.org)')


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


async def course_root(http, course_id: int) -> int:
    return next(s for s in await spaces(http) if s["course_id"] == course_id)["root_id"]


async def lesson_with_blocks(app, world, *, publish_at):
    """A lesson with a text, a file, a folder, an image, a link and a task block, made by the teacher."""
    lesson = await Lesson.create(school=world.school, course=world.course, position=1, title="Brüche",
                                 publish_at=publish_at)
    async with api_client(app.base_url, world.teacher) as http:
        root = await course_root(http, world.course.id)
        sheet = (await upload(http, root, "Arbeitsblatt.txt", b"Aufgabe 1: 1/2 + 1/4")).json()
        folder = await mkdir(http, root, "Material")
        image = (await upload(http, root, "Torte.png", png_bytes())).json()
        made = {}
        for kind, body in (("text", {"text": EVIL}), ("file", {"node_id": sheet["id"], "title": "Blatt"}),
                           ("folder", {"node_id": folder["id"]}),
                           ("image", {"node_id": image["id"], "title": "Eine Torte in vier Stücken"}),
                           ("link", {"url": "https://example.org/brueche", "title": "Erklärvideo"}),
                           ("task", {"task_id": 7})):
            response = await http.post(f"/api/v1/lessons/{lesson.id}/blocks", json={"kind": kind, **body})
            assert response.status_code == 201, response.text
            made[kind] = response.json()
    return lesson, made, {"sheet": sheet, "folder": folder, "image": image, "root": root}


def file_url(world, lesson, block) -> str:
    return f"/courses/{world.course.id}/lessons/{lesson.id}/blocks/{block['id']}/file"


@pytest.mark.postgres
async def test_text_is_sanitised_and_blocks_show_in_order(app):
    world = await course_world()
    lesson, made, _ = await lesson_with_blocks(app, world, publish_at=datetime.now(timezone.utc) - timedelta(hours=1))
    html = made["text"]["html"]
    for bad in ("<script", "onerror", "onclick", "onmouseover", 'href="javascript', "<iframe", "style="):
        assert bad not in html.lower(), (bad, html)
    assert "[Link](javascript:alert(1))" in html  # a refused Markdown link stays as plain text
    assert "<h2>Plan</h2>" in html and "<strong>fett</strong>" in html and 'href="https://example.org"' in html
    assert made["text"]["text"] == EVIL  # the source is kept as written, for editing
    async with api_client(app.base_url, world.pupil) as http:
        page = await http.get(f"/courses/{world.course.id}/lessons/{lesson.id}")
        assert page.status_code == 200
        for bad in ("__xss", 'href="javascript', "onerror"):
            assert bad not in page.text
        order = [page.text.index(f'id="block-{made[k]["id"]}"') for k in ("text", "file", "folder", "image", "link")]
        assert order == sorted(order)
        assert f'src="{file_url(world, lesson, made["image"])}" alt="Eine Torte in vier Stücken"' in page.text
        assert "Task 7" not in page.text and "Aufgabe 7" not in page.text  # no tasks domain: hidden from pupils
        body = (await http.get(f"/api/v1/lessons/{lesson.id}")).json()
        assert [b["kind"] for b in body["blocks"]] == ["text", "file", "folder", "image", "link", "task"]
        got = await http.get(file_url(world, lesson, made["file"]))
        assert got.status_code == 200 and got.content == b"Aufgabe 1: 1/2 + 1/4"
        image = await http.get(file_url(world, lesson, made["image"]))
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        folder = await http.get(file_url(world, lesson, made["folder"]))
        assert folder.status_code == 303 and folder.headers["location"] == f"/files/{made['folder']['node']['id']}"
    async with api_client(app.base_url, world.teacher) as http:
        ids = [made[k]["id"] for k in ("task", "link", "image", "folder", "file", "text")]
        reordered = await http.put(f"/api/v1/lessons/{lesson.id}/blocks/order", json={"block_ids": ids})
        assert reordered.status_code == 200 and [b["id"] for b in reordered.json()["items"]] == ids


@pytest.mark.postgres
async def test_block_files_are_refused_to_outsiders_and_to_pupils_before_publication(app):
    world = await course_world()
    lesson, made, _ = await lesson_with_blocks(app, world, publish_at=None)  # a draft
    urls = [file_url(world, lesson, made[k]) for k in ("file", "image", "folder")]
    for pupil in (world.pupil, world.direct_pupil):
        async with api_client(app.base_url, pupil) as http:
            for url in urls:
                assert (await http.get(url)).status_code == 404
            assert (await http.get(f"/api/v1/lessons/{lesson.id}")).status_code == 404
    await Lesson.filter(id=lesson.id).update(publish_at=datetime.now(timezone.utc) + timedelta(days=1))
    async with api_client(app.base_url, world.pupil) as http:
        for url in urls:
            assert (await http.get(url)).status_code == 404
    await Lesson.filter(id=lesson.id).update(publish_at=datetime.now(timezone.utc) - timedelta(minutes=1))
    async with api_client(app.base_url, world.pupil) as http:
        assert (await http.get(urls[0])).status_code == 200
    for outsider in (world.other_pupil, world.other_teacher, world.foreign_admin, world.colleague):
        async with api_client(app.base_url, outsider) as http:
            for url in urls:
                assert (await http.get(url)).status_code == 404, (outsider.role, url)
            assert (await http.get(f"/courses/{world.course.id}/lessons/{lesson.id}")).status_code == 404
            assert (await http.get(f"/api/v1/lessons/{lesson.id}")).status_code == 404
            changed = await http.patch(f"/api/v1/lesson-blocks/{made['text']['id']}", json={"text": "weg"})
            assert changed.status_code == 404
            assert (await http.delete(f"/api/v1/lesson-blocks/{made['file']['id']}")).status_code == 404
    async with api_client(app.base_url, world.pupil) as http:
        assert (await http.patch(f"/api/v1/lesson-blocks/{made['text']['id']}", json={"text": "x"})).status_code == 403
        assert (await http.post(f"/api/v1/lessons/{lesson.id}/blocks",
                                json={"kind": "link", "url": "https://x.de"})).status_code == 403
    assert await LessonBlock.filter(lesson_id=lesson.id).count() == 6


async def test_files_come_from_the_course_space_only_and_moving_one_out_hides_it(app):
    world = await course_world()
    lesson, made, nodes = await lesson_with_blocks(app, world, publish_at=datetime.now(timezone.utc))
    async with api_client(app.base_url, world.other_teacher) as http:
        other_root = await course_root(http, world.other_course.id)
        foreign = (await upload(http, other_root, "Fremd.txt", b"fremd")).json()
    async with api_client(app.base_url, world.teacher) as http:
        own = (await upload(http, await personal_root(http), "Privat.txt", b"privat")).json()
        for node_id in (foreign["id"], own["id"], nodes["root"]):
            refused = await http.post(f"/api/v1/lessons/{lesson.id}/blocks", json={"kind": "file", "node_id": node_id})
            assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "node_id"
        not_image = await http.post(f"/api/v1/lessons/{lesson.id}/blocks",
                                    json={"kind": "image", "node_id": nodes["sheet"]["id"], "title": "x"})
        assert not_image.status_code == 422
        # The teacher moves the sheet into their own files: the block no longer serves it.
        moved = await http.patch(f"/api/v1/files/nodes/{nodes['sheet']['id']}", json={"parent_id": await personal_root(http)})
        assert moved.status_code == 200, moved.text
        page = await http.get(f"/courses/{world.course.id}/lessons/{lesson.id}")
        assert "no longer in the course files" in page.text or "nicht mehr in den Kursdateien" in page.text
    async with api_client(app.base_url, world.pupil) as http:
        assert (await http.get(file_url(world, lesson, made["file"]))).status_code == 404
        body = (await http.get(f"/api/v1/lessons/{lesson.id}")).json()
        assert next(b for b in body["blocks"] if b["kind"] == "file")["file_url"] is None


async def test_bad_blocks_are_refused_and_nothing_saved_is_lost(app):
    world = await course_world()
    lesson, made, _ = await lesson_with_blocks(app, world, publish_at=None)
    async with api_client(app.base_url, world.teacher) as http:
        for body in ({"kind": "link", "url": "javascript:alert(1)"}, {"kind": "link", "url": "data:text/html,x"},
                     {"kind": "text", "text": "   "}, {"kind": "task", "task_id": "sieben"},
                     {"kind": "script", "text": "x"}):
            assert (await http.post(f"/api/v1/lessons/{lesson.id}/blocks", json=body)).status_code == 422, body
        link = made["link"]
        bad = await http.patch(f"/api/v1/lesson-blocks/{link['id']}", json={"url": "javascript:alert(1)", "title": "Neu"})
        assert bad.status_code == 422
        # The page form comes back with what was typed, the stored block is unchanged.
        lesson_path = f"/courses/{world.course.id}/lessons/{lesson.id}"
        page = await http.get(lesson_path)
        form = await http.post(f"{lesson_path}/blocks/{made['text']['id']}/edit", data={
            "csrf_token": browser.csrf_from(page.text), "text": "  "})
        assert form.status_code == 422
        assert (await LessonBlock.get(id=made["text"]["id"])).text == EVIL
        added = await http.post(f"{lesson_path}/blocks", data={
            "csrf_token": browser.csrf_from(page.text), "kind": "link", "url": "ftp://alt", "title": "Mein Titel"})
        assert added.status_code == 422 and 'value="Mein Titel"' in added.text and 'value="ftp://alt"' in added.text
    kept = await LessonBlock.get(id=link["id"])
    assert (kept.url, kept.title) == ("https://example.org/brueche", "Erklärvideo")
    async with api_client(app.base_url, world.teacher) as http:  # a good change is saved
        changed = await http.patch(f"/api/v1/lesson-blocks/{made['image']['id']}",
                                   json={"node_id": made["image"]["node"]["id"], "title": "Vier Viertel"})
        assert changed.status_code == 200 and changed.json()["title"] == "Vier Viertel"
        text = await http.patch(f"/api/v1/lesson-blocks/{made['text']['id']}", json={"text": "*neu*"})
        assert text.status_code == 200 and text.json()["html"].strip() == "<p><em>neu</em></p>"
    assert await LessonBlock.filter(lesson_id=lesson.id).count() == 6
