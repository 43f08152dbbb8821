"""Previews: thumbnails of images and of the first page of PDFs, made by the app's background worker
after the upload has answered; broken or oversized input ends as ``failed`` without harm."""

from __future__ import annotations

import asyncio
import io
import time

from PIL import Image

from schoolcloud.accounts.models import Role
from schoolcloud.files.models import FileVersion, Preview, PreviewStatus
from tests.support.files import api_client, person, personal_root, upload


def image_bytes(fmt: str, size=(800, 600), color=(200, 30, 30), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt)
    return out.getvalue()


def two_page_pdf() -> bytes:
    out = io.BytesIO()
    first = Image.new("RGB", (595, 842), (220, 20, 20))
    second = Image.new("RGB", (595, 842), (20, 20, 220))
    first.save(out, format="PDF", save_all=True, append_images=[second])
    return out.getvalue()


async def wait_for_preview(http, node_id: int, timeout: float = 30) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = await http.get(f"/api/v1/files/preview/{node_id}")
        if response.status_code == 200:
            assert response.headers["content-type"] == "image/webp"
            assert response.headers["x-content-type-options"] == "nosniff"
            return response.content
        assert response.status_code == 404, response.text
        await asyncio.sleep(0.2)
    raise AssertionError("no preview appeared")


async def preview_row(node_id: int, timeout: float = 30) -> Preview:
    """The preview row of the file's current version, once the worker has finished with it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = await FileVersion.filter(node_id=node_id).order_by("-id").first()
        row = await Preview.get_or_none(version_id=version.id)
        if row is not None and row.status in (PreviewStatus.READY, PreviewStatus.FAILED):
            return row
        await asyncio.sleep(0.2)
    raise AssertionError("the preview was not processed")


def center_color(thumbnail: bytes) -> tuple[int, int, int]:
    with Image.open(io.BytesIO(thumbnail)) as image:
        assert max(image.size) <= 256
        rgb = image.convert("RGB")
        return rgb.getpixel((rgb.width // 2, rgb.height // 2))


async def test_image_gets_a_thumbnail_after_the_upload(app):
    user = await person(Role.TEACHER)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        started = time.monotonic()
        response = await http.post(f"/api/v1/files/upload/{root}", params={"name": "foto.jpg"},
                                   content=image_bytes("JPEG"), headers={"Content-Type": "image/jpeg"})
        assert response.status_code == 201, response.text
        assert time.monotonic() - started < 5  # the upload did not wait for a thumbnail
        node_id = response.json()["id"]
        thumb = await wait_for_preview(http, node_id)
        red, green, blue = center_color(thumb)
        assert red > 150 and green < 80 and blue < 80
        with Image.open(io.BytesIO(thumb)) as image:
            assert image.size == (256, 192)
        # The folder view shows it.
        page = await http.get(f"/files/{root}")
        assert f'src="/api/v1/files/preview/{node_id}?v=' in page.text  # ?v=: a new version, a new URL

        # A new version needs a new preview: the old one is not served for it.
        png = image_bytes("PNG", size=(300, 300), color=(10, 10, 200))
        response = await http.put(f"/api/v1/files/content/{node_id}", content=png, headers={"Content-Type": "image/png"})
        assert response.status_code == 200, response.text
        for _ in range(150):
            thumb = await wait_for_preview(http, node_id)
            if center_color(thumb)[2] > 150:
                break
            await asyncio.sleep(0.2)
        assert center_color(thumb)[2] > 150


async def test_pdf_preview_shows_the_first_page(app):
    user = await person(Role.TEACHER)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        response = await upload(http, root, "blatt.pdf", two_page_pdf())
        assert response.status_code == 201, response.text
        thumb = await wait_for_preview(http, response.json()["id"])
        red, green, blue = center_color(thumb)
        assert red > 150 and blue < 80  # page 1 is red, page 2 blue


async def test_broken_and_oversized_images_fail_without_harm(app):
    user = await person(Role.TEACHER)
    async with api_client(app.base_url, user) as http:
        root = await personal_root(http)
        broken = (await upload(http, root, "kaputt.png", b"\x89PNG\r\n\x1a\n" + b"not really" * 100)).json()["id"]
        bomb = image_bytes("PNG", size=(10_000, 5_000), color=1, mode="1")  # 50 megapixels in a few KB
        huge = (await upload(http, root, "riesig.png", bomb)).json()["id"]
        text = (await upload(http, root, "notiz.txt", b"kein Bild")).json()["id"]
        row = await preview_row(broken)
        assert row.status == PreviewStatus.FAILED and row.data is None
        row = await preview_row(huge)
        assert row.status == PreviewStatus.FAILED and "too large" in row.error
        version = await FileVersion.filter(node_id=text).first()
        assert not await Preview.filter(version_id=version.id).exists()  # not a previewable type
        for node_id in (broken, huge, text):
            assert (await http.get(f"/api/v1/files/preview/{node_id}")).status_code == 404
        # The worker goes on: a good image after the bad ones still gets its thumbnail.
        good = (await upload(http, root, "gut.png", image_bytes("PNG"))).json()["id"]
        await wait_for_preview(http, good)
        assert "Traceback" not in app.log()


async def test_preview_needs_read_access(app):
    owner = await person(Role.TEACHER)
    async with api_client(app.base_url, owner) as http:
        root = await personal_root(http)
        node_id = (await upload(http, root, "privat.png", image_bytes("PNG"))).json()["id"]
        await wait_for_preview(http, node_id)
    other = await person(Role.TEACHER)
    async with api_client(app.base_url, other) as http:
        assert (await http.get(f"/api/v1/files/preview/{node_id}")).status_code == 404
