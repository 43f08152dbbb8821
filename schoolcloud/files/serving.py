"""Serving file bytes over HTTP: safe types, Content-Disposition, ETag / If-None-Match, Range.

Uploaded files are untrusted. Only a small allow-list of types that browsers render without running
anything in our origin is served inline with its recorded type; office documents download with their
type; everything else (HTML, SVG, XML, JavaScript, unknown) downloads as application/octet-stream.
Every file response carries ``X-Content-Type-Options: nosniff`` and its own Content-Security-Policy:
``sandbox`` (an opaque origin, no scripts) for all but PDFs, which Chrome's built-in viewer refuses to
show in a sandboxed document; a PDF gets a policy without ``sandbox`` that still allows no scripts,
connections or frames of ours (the viewer runs PDF scripts in its own process, never in our origin).
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from datetime import datetime, timezone
from email.utils import format_datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schoolcloud.files import errors
from schoolcloud.files.models import FileVersion, Node
from schoolcloud.files.serialize import etag
from storage import ObjectNotFound, ObjectStore, StorageError
from storage.encrypted import ObjectCorrupted

log = logging.getLogger(__name__)

INLINE_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp",
    "application/pdf", "text/plain",
    "audio/mpeg", "audio/ogg", "audio/wav", "audio/x-wav", "audio/webm", "audio/aac", "audio/flac",
    "audio/mp4", "video/mp4", "video/webm", "video/ogg",
})
ATTACHMENT_TYPES = frozenset({
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation", "application/vnd.oasis.opendocument.graphics",
    "application/zip", "text/csv", "application/rtf",
})
SANDBOX_CSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; " \
              "frame-ancestors 'self'"
PDF_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; object-src 'self'; " \
          "frame-ancestors 'self'"
# The app's SecurityHeaders middleware sets its page policy on every response; FileHeaders (outermost)
# swaps in the file policy a file response asks for through this private header.
FILE_POLICY_HEADER = "x-schoolcloud-file-csp"


def http_date(value: datetime) -> str:
    return format_datetime(value.astimezone(timezone.utc), usegmt=True)


def served_type(content_type: str, force_download: bool = False) -> tuple[str, bool]:
    """(Content-Type to send, inline?) for a recorded type."""
    main = content_type.split(";")[0].strip().lower()
    if main in INLINE_TYPES:
        return (content_type if main == "text/plain" else main), not force_download
    if main in ATTACHMENT_TYPES:
        return main, False
    return "application/octet-stream", False


def content_disposition(name: str, inline: bool) -> str:
    """RFC 6266 with an ASCII fallback and the exact name as RFC 5987 ``filename*``."""
    fallback = "".join(ch if 0x20 <= ord(ch) < 0x7f and ch not in '"\\%' else "_" for ch in name) or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One ``bytes=`` range as [start, end) for an object of ``size`` bytes; None means "send all" (no
    header, several ranges, or a syntax we ignore as RFC 9110 allows). Raises 416 when unsatisfiable."""
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.groups()
    if first:
        start = int(first)
        end = min(int(last) + 1, size) if last else size
        if last and int(last) < start:
            return None
        if start >= size:
            raise errors.range_not_satisfiable()
    else:
        suffix = int(last)
        if suffix == 0:
            raise errors.range_not_satisfiable()
        start, end = max(0, size - suffix), size
    return start, end


def _etag_matches(header: str, tag: str) -> bool:
    candidates = [c.strip() for c in header.split(",")]
    return "*" in candidates or tag in candidates or f"W/{tag}" in candidates


@contextmanager
def _storage_errors():
    """The store's errors as the answers a client gets, before any byte of the body is sent."""
    try:
        yield
    except ObjectNotFound:
        raise errors.content_missing() from None
    except ObjectCorrupted as exc:
        log.error("%s", exc)
        raise errors.content_damaged() from exc
    except StorageError as exc:
        raise errors.storage_unavailable() from exc


async def file_response(request: Request, store: ObjectStore, node: Node, version: FileVersion, *,
                        force_download: bool = False, cache_private: bool = True) -> Response:
    tag = etag(version.sha256)
    kind, inline = served_type(version.content_type, force_download)
    headers = {
        "ETag": tag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": content_disposition(node.name, inline),
        "Last-Modified": http_date(version.created_at),
        "Cache-Control": "private, no-cache" if cache_private else "public, no-cache",
        "X-Content-Type-Options": "nosniff",
        FILE_POLICY_HEADER: PDF_CSP if (inline and kind == "application/pdf") else SANDBOX_CSP,
    }
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and _etag_matches(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    size = version.size
    wanted = parse_range(request.headers.get("range"), size) if request.headers.get("range") else None
    if_range = request.headers.get("if-range")
    if wanted is not None and if_range and if_range.strip() != tag:
        wanted = None  # the client's partial copy is of other bytes: send everything
    start, end = wanted or (0, size)
    with _storage_errors():
        stream = await store.open(version.object_key, start, end)
    status = 206 if wanted is not None else 200
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    if request.method == "HEAD":
        await stream.aclose()
        return Response(status_code=status, headers=headers, media_type=kind)
    if stream.length <= stream.chunk_size:
        # One chunk (most files): read before answering, sent as one body. A streamed response costs a
        # task group and a few task switches per request, and a failed read still gets its error status.
        with _storage_errors():
            async with stream:
                data = await stream.read_all()
        if len(data) != end - start:
            log.error("object %s has %d bytes where its version row says %d", version.object_key,
                      stream.object_size, size)
            raise errors.content_damaged()
        return Response(data, status_code=status, headers=headers, media_type=kind)

    async def body():
        async with stream:
            try:
                async for chunk in stream:
                    yield chunk
            except ObjectCorrupted as exc:  # past the headers: the client gets a cut-off response
                log.error("%s", exc)
                raise

    return StreamingResponse(body(), status_code=status, headers=headers, media_type=kind)


def range_error_headers(size: int) -> dict[str, str]:
    return {"Content-Range": f"bytes */{size}"}


class FileHeaders:
    """Outermost middleware: a response naming a file policy gets it as its Content-Security-Policy
    instead of the page policy, and may be framed by our own pages (previews)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        marker = FILE_POLICY_HEADER.encode()

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                policy = next((v for k, v in headers if k.lower() == marker), None)
                if policy is not None:
                    message["headers"] = [
                        (k, v) for k, v in headers
                        if k.lower() not in (marker, b"content-security-policy", b"x-frame-options")
                    ] + [(b"content-security-policy", policy), (b"x-frame-options", b"SAMEORIGIN")]
            await send(message)

        await self.app(scope, receive, send_with_policy)
