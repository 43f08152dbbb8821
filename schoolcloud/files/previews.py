"""Thumbnails of images and of the first page of PDFs, made in the background.

Uploads never wait for a preview: a background worker (started in the app's lifespan, one per app
instance) finds new versions of previewable types, adds a ``pending`` ``Preview`` row for each (the
unique ``version_id`` makes a second instance's insert fail harmlessly), claims one row at a time with a
conditional UPDATE (``status = pending`` -> ``working``; a ``working`` row whose instance died is taken
over after ``STALE_AFTER``), renders it in one worker thread and stores the thumbnail (WebP, at most
``THUMB_SIZE`` px) in the row: ``ready``, or ``failed`` with a reason. Under encryption at rest the
thumbnail is file content too (a photo of a pupil, shrunk): it is sealed with the school's data key and
bound to its version (``thumbnail_name``), so a row's data copied to another version fails to open, and
is opened again when served. Between jobs the worker waits
for a wake-up (a new version on any instance: schoolcloud/wakeup.py) or the next poll.

Bounds: only versions up to ``MAX_INPUT_BYTES`` are read (into memory, once), images over
``MAX_PIXELS`` are refused before decoding (decompression bombs), PDFs are rendered at a scale that
gives at most ``2 * THUMB_SIZE`` px, each render has ``RENDER_TIMEOUT`` seconds, and a row is tried at
most ``MAX_ATTEMPTS`` times. The thread pool has one thread: PDFium is not thread-safe, and a timed-out
render that is still running holds up the next one instead of piling up.

``GET /api/v1/files/preview/{node_id}`` serves the thumbnail of the file's current version (404 while
there is none, e.g. still pending, failed, or not a previewable type).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import logging
import os
import socket
import warnings
from datetime import datetime, timedelta, timezone

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.exceptions import IntegrityError
from tortoise.functions import Max

from schoolcloud.files import errors, tree
from schoolcloud.files.context import FilesContext
from schoolcloud.files.models import FileVersion, Preview, PreviewStatus
from schoolcloud.files.serialize import etag
from schoolcloud.web.errors import AppError
from schoolcloud.wakeup import LocalWakeup
from schoolcloud.web.i18n import N_
from storage.encrypted import EncryptedStore, ObjectCorrupted, is_sealed

log = logging.getLogger(__name__)

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")
PDF_TYPE = "application/pdf"
PREVIEW_TYPES = (*IMAGE_TYPES, PDF_TYPE)
THUMB_SIZE = 256
MAX_INPUT_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_PDF_POINTS = 14_400 * 14_400  # PDF's own page size limit (200 in)
RENDER_TIMEOUT = 20.0
MAX_ATTEMPTS = 3
STALE_AFTER = timedelta(minutes=5)
DISCOVER_BATCH = 200
ROUTE = "/api/v1/files/preview/{node_id:int}"

INSTANCE = f"{socket.gethostname()}:{os.getpid()}"  # names this app process in the log

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="previews")


class PreviewError(Exception):
    """The file cannot be previewed (reason in English, for the log and the row)."""


def now() -> datetime:
    return datetime.now(timezone.utc)


# -- rendering (in the worker thread) -----------------------------------------------------------------

def _to_webp(image) -> bytes:
    image.thumbnail((THUMB_SIZE, THUMB_SIZE))
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "transparency" in image.info or image.mode in ("LA", "PA") else "RGB")
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=75, method=4)
    return out.getvalue()


def render_image(data: bytes) -> bytes:
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:  # reads the header only
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise PreviewError(f"image too large ({width}x{height} px)")
                image.draft("RGB", (THUMB_SIZE * 2, THUMB_SIZE * 2))  # JPEG: decode at a smaller scale
                image.seek(0)
                image.load()
                image = ImageOps.exif_transpose(image)
                return _to_webp(image)
        except PreviewError:
            raise
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning,
                Image.DecompressionBombError, EOFError) as exc:
            raise PreviewError(f"not a readable image: {exc}") from None


def render_pdf(data: bytes) -> bytes:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise PreviewError(f"not a readable PDF: {exc}") from None
    try:
        if len(pdf) == 0:
            raise PreviewError("the PDF has no pages")
        page = pdf[0]
        try:
            width, height = page.get_size()
            if width <= 0 or height <= 0 or width * height > MAX_PDF_POINTS:
                raise PreviewError("unusual page size")
            scale = min(2 * THUMB_SIZE / max(width, height), 4.0)
            bitmap = page.render(scale=scale)
            try:
                image = bitmap.to_pil()
                return _to_webp(image.copy())
            finally:
                bitmap.close()
        finally:
            page.close()
    except pdfium.PdfiumError as exc:
        raise PreviewError(f"PDF page could not be rendered: {exc}") from None
    finally:
        pdf.close()


def render(content_type: str, data: bytes) -> bytes:
    if content_type == PDF_TYPE:
        return render_pdf(data)
    return render_image(data)


# -- the background worker ----------------------------------------------------------------------------

def base_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def previewable(content_type: str) -> bool:
    return base_type(content_type) in PREVIEW_TYPES


class Worker:
    """Finds, claims and renders previews until cancelled; one per app instance."""

    def __init__(self, ctx: FilesContext):
        self.ctx = ctx
        self.mark = 0  # highest FileVersion id already looked at by this instance
        self.wakeup = ctx.wakeup or LocalWakeup()

    async def discover(self) -> int:
        """Add pending rows for versions of previewable types that have none."""
        rows = await FileVersion.filter(id__gt=self.mark).order_by("id").limit(DISCOVER_BATCH) \
            .values_list("id", "content_type", "size")
        if not rows:
            return 0
        self.mark = rows[-1][0]
        wanted = [vid for vid, ctype, _size in rows if previewable(ctype)]
        have = set(await Preview.filter(version_id__in=wanted).values_list("version_id", flat=True))
        added = 0
        for version_id in wanted:
            if version_id in have:
                continue
            try:
                await Preview.create(version_id=version_id)
                added += 1
            except IntegrityError:
                pass  # another instance was quicker, or the version is gone
        return len(rows)

    async def claim(self) -> Preview | None:
        """One pending (or abandoned) row, claimed for this instance by a conditional UPDATE."""
        stamp = now()
        candidates = await Preview.filter(status=PreviewStatus.PENDING).order_by("id").limit(5)
        candidates += await Preview.filter(status=PreviewStatus.WORKING, claimed_at__lt=stamp - STALE_AFTER) \
            .order_by("id").limit(5)
        for row in candidates:
            taken = await Preview.filter(id=row.id, status=row.status, attempts=row.attempts) \
                .update(status=PreviewStatus.WORKING, claimed_at=stamp, attempts=row.attempts + 1)
            if taken == 1:
                row.status, row.claimed_at, row.attempts = PreviewStatus.WORKING, stamp, row.attempts + 1
                return row
        return None

    async def finish(self, row: Preview, *, data: bytes | None = None, error: str = "") -> None:
        """``data``: the thumbnail as stored (sealed under encryption at rest)."""
        claimed = Preview.filter(id=row.id, attempts=row.attempts, status=PreviewStatus.WORKING)
        if data is not None:
            done = await claimed.update(status=PreviewStatus.READY, data=data, content_type="image/webp", error="")
        elif row.attempts >= MAX_ATTEMPTS or error:
            done = await claimed.update(status=PreviewStatus.FAILED, error=(error or "gave up")[:255])
        else:
            return
        if done:  # one line per finished job, naming the instance: which one did what, across replicas
            log.info("preview %s of version %s %s by %s", row.id, row.version_id,
                     "ready" if data is not None else "failed", INSTANCE)

    async def process(self, row: Preview) -> None:
        version = await FileVersion.get_or_none(id=row.version_id)
        if version is None:
            return  # deleted meanwhile; the row went with it
        if row.attempts > MAX_ATTEMPTS:
            await self.finish(row, error="too many attempts")
            return
        if version.size > MAX_INPUT_BYTES:
            await self.finish(row, error=f"file too large for a preview ({version.size} bytes)")
            return
        try:
            async with await self.ctx.store.open(version.object_key) as stream:
                data = b"".join([chunk async for chunk in stream])
        except Exception as exc:  # noqa: BLE001  (store trouble: try again later, up to MAX_ATTEMPTS)
            log.warning("preview of version %s: cannot read the object: %s", version.id, exc)
            if row.attempts >= MAX_ATTEMPTS:
                await self.finish(row, error="object could not be read")
            else:
                await Preview.filter(id=row.id, attempts=row.attempts, status=PreviewStatus.WORKING).update(status=PreviewStatus.PENDING)
            return
        loop = asyncio.get_running_loop()
        try:
            thumb = await asyncio.wait_for(
                loop.run_in_executor(_pool, render, base_type(version.content_type), data), RENDER_TIMEOUT)
        except PreviewError as exc:
            await self.finish(row, error=str(exc))
        except asyncio.TimeoutError:
            await self.finish(row, error="rendering took too long")
        except Exception as exc:  # noqa: BLE001  (a library bug must not stop the worker)
            log.exception("preview of version %s failed", version.id)
            await self.finish(row, error=f"unexpected error: {type(exc).__name__}")
        else:
            school_id = await FileVersion.filter(id=version.id).values_list("node__space__school_id", flat=True)
            if not school_id:
                return  # deleted meanwhile
            await self.finish(row, data=await seal_thumbnail(self.ctx, school_id[0], version.id, thumb))

    async def step(self) -> bool:
        """Discover and do one preview; False when there was nothing to do."""
        found = await self.discover()
        row = await self.claim()
        if row is not None:
            await self.process(row)
            return True
        return found >= DISCOVER_BATCH  # a full batch: more may be waiting; else rest (no busy loop under load)

    async def run(self) -> None:
        while True:
            try:
                busy = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001  (database hiccup: log, wait, go on)
                log.exception("preview worker step failed")
                busy = False
            if not busy:
                await self.wakeup.wait(self.wakeup.poll_seconds)  # a new version anywhere wakes it early


async def start_worker(ctx: FilesContext) -> asyncio.Task:
    return asyncio.create_task(Worker(ctx).run(), name="schoolcloud-previews")


async def stop_worker(task: asyncio.Task) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


# -- sealing under encryption at rest ------------------------------------------------------------------

def thumbnail_name(version_id: int) -> str:
    """What a sealed thumbnail is bound to (the AES-GCM associated data, as an object's key is)."""
    return f"preview/{version_id}"


async def seal_thumbnail(ctx: FilesContext, school_id: int, version_id: int, thumb: bytes) -> bytes:
    """The thumbnail as stored: sealed with the school's data key under encryption at rest, else as is."""
    store = ctx.store_for(school_id)
    if isinstance(store, EncryptedStore):
        return await store.seal(thumbnail_name(version_id), thumb)
    return thumb


async def open_thumbnail(ctx: FilesContext, version_id: int, stored: bytes) -> bytes:
    """The thumbnail of a stored value (sealed or from before encryption); ``ObjectCorrupted`` when a
    sealed one fails to authenticate (tampered, or copied from another version)."""
    if isinstance(ctx.store, EncryptedStore):
        return await ctx.store.unseal(thumbnail_name(version_id), stored)
    if is_sealed(stored):  # never served as an image: only the master key opens it
        raise ObjectCorrupted(thumbnail_name(version_id), "sealed, but encryption at rest is off")
    return stored


# -- reading previews --------------------------------------------------------------------------------

async def current_versions(node_ids: list[int]) -> dict[int, int]:
    """node id -> id of its current (latest) version."""
    if not node_ids:
        return {}
    rows = await FileVersion.filter(node_id__in=node_ids).group_by("node_id").annotate(latest=Max("id")) \
        .values_list("node_id", "latest")
    return dict(rows)


async def ready_previews(node_ids: list[int]) -> dict[int, bool]:
    """Which of these files have a thumbnail of their current version (one query each for both)."""
    latest = await current_versions(node_ids)
    ready = set(await Preview.filter(version_id__in=list(latest.values()), status=PreviewStatus.READY)
                .values_list("version_id", flat=True))
    return {node_id: True for node_id, version_id in latest.items() if version_id in ready}


class NoPreview(AppError):
    status_code = 404

    def __init__(self):
        super().__init__("no_preview", N_("There is no preview of this file (yet)."))


async def preview(request: Request) -> Response:
    """
    summary: The thumbnail (WebP) of a file's current version; 404 while there is none (pending,
      failed, or not an image or PDF). Pages add ?v=<start of the sha256> so that a new version gets a
      new URL (the answer may be cached privately for a few minutes).
    responses:
      200: {description: The thumbnail.}
      404: {description: No such file for the caller, or no preview (yet).}
    """
    from schoolcloud.files.api import caller

    user = await caller(request)
    node, _access = await tree.load_node(user, request.path_params["node_id"])
    return await thumbnail_response(request, node)


async def thumbnail_response(request: Request, node) -> Response:
    """The thumbnail of a node the caller may read (checked by the caller), or ``NoPreview``."""
    if node.is_folder:
        raise NoPreview()
    latest = (await current_versions([node.id])).get(node.id)
    row = await Preview.get_or_none(version_id=latest, status=PreviewStatus.READY) if latest else None
    if row is None or not row.data:
        raise NoPreview()
    tag = etag(node.sha256).rstrip('"') + '-preview"' if node.sha256 else ""
    headers = {"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff", "ETag": tag}
    if tag and request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    try:
        data = await open_thumbnail(request.app.state.files, row.version_id, bytes(row.data))
    except ObjectCorrupted as exc:
        log.error("thumbnail of version %s: %s", row.version_id, exc)
        raise errors.content_damaged() from exc
    return Response(data, media_type=row.content_type or "image/webp", headers=headers)


routes = [Route(ROUTE, preview, methods=["GET", "HEAD"])]
