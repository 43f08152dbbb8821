"""The plain form upload (no JavaScript): ``multipart/form-data`` parsed as it arrives.

Each file part streams straight into ``content.upload`` while its bytes are still coming in (a small
queue between the parser and the upload gives back-pressure), so nothing is spooled to disk or held in
memory beyond a few chunks, and the upload limit and the quota stop an oversized file at the first byte
too many. The CSRF token (the form's hidden field, which precedes the file input) must have arrived
before the first file part; otherwise the request is refused before any byte is stored.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from schoolcloud.web.csrf import FIELD, HEADER, CsrfError
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_

MAX_FIELD_BYTES = 64 * 1024
QUEUE_CHUNKS = 8

FileHandler = Callable[[str, str | None, AsyncIterator[bytes]], Awaitable[None]]


class BadForm(AppError):
    status_code = 400

    def __init__(self):
        super().__init__("bad_form", N_("The form could not be read. Please try again."))


async def _drain(queue: asyncio.Queue) -> AsyncIterator[bytes]:
    while (item := await queue.get()) is not None:
        yield item


async def _feed(queue: asyncio.Queue, task: asyncio.Task, item: bytes | None) -> None:
    """Hand a chunk to the running upload; if the upload fails meanwhile, raise its error."""
    put = asyncio.ensure_future(queue.put(item))
    done, _ = await asyncio.wait({put, task}, return_when=asyncio.FIRST_COMPLETED)
    if put not in done:
        put.cancel()
        task.result()  # raises the upload's error
        raise BadForm()  # the upload ended without reading everything


def _token_ok(request: Request, presented: str | None) -> bool:
    presented = presented or request.headers.get(HEADER)
    expected = request.session.get("csrf")
    return bool(expected and presented and hmac.compare_digest(expected, presented))


async def stream_form(request: Request, handle_file: FileHandler, fields: dict[str, str] | None = None, *,
                      check_csrf: bool = True) -> dict[str, str]:
    """Parse the request's multipart form; call ``handle_file(filename, content_type, chunks)`` for each
    file part, one after the other, while it arrives. Returns the text fields; a ``fields`` dict given
    by the caller is filled as they arrive (so a handler sees the fields before its file, and a caller
    still has them when an upload is refused). ``check_csrf=False`` only for forms without a session
    (the public file drop, where anyone holding the link may upload)."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise BadForm()
    events: list[tuple] = []
    headers: dict[bytes, bytes] = {}
    field, value = bytearray(), bytearray()

    def on_header_field(data, start, end):
        field.extend(data[start:end])

    def on_header_value(data, start, end):
        value.extend(data[start:end])

    def on_header_end():
        headers[bytes(field).lower()] = bytes(value)
        field.clear()
        value.clear()

    def on_headers_finished():
        events.append(("part", dict(headers)))
        headers.clear()

    callbacks = {
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
        "on_part_data": lambda data, start, end: events.append(("data", bytes(data[start:end]))),
        "on_part_end": lambda: events.append(("end",)),
    }
    parser = MultipartParser(boundary, callbacks)
    fields = {} if fields is None else fields
    current: dict | None = None
    task: asyncio.Task | None = None
    queue: asyncio.Queue | None = None
    try:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except Exception:  # noqa: BLE001  (python-multipart raises its own errors for broken bodies)
                raise BadForm() from None
            for event in events:
                if event[0] == "part":
                    _, options = parse_options_header(event[1].get(b"content-disposition", b""))
                    name = options.get(b"name", b"").decode("utf-8", "replace")
                    filename = options.get(b"filename")
                    current = {"name": name, "file": filename is not None, "value": bytearray()}
                    if filename:  # an empty filename: the file input was left empty
                        if check_csrf and not _token_ok(request, fields.get(FIELD)):
                            raise CsrfError()
                        part_type = event[1].get(b"content-type")
                        queue = asyncio.Queue(QUEUE_CHUNKS)
                        task = asyncio.create_task(handle_file(
                            filename.decode("utf-8", "replace"),
                            part_type.decode("latin-1") if part_type else None, _drain(queue)))
                elif event[0] == "data" and current is not None:
                    if task is not None:
                        await _feed(queue, task, event[1])
                    elif not current["file"]:
                        current["value"].extend(event[1])
                        if len(current["value"]) > MAX_FIELD_BYTES:
                            raise BadForm()
                elif event[0] == "end" and current is not None:
                    if task is not None:
                        await _feed(queue, task, None)
                        finished, task = task, None
                        await finished
                    elif not current["file"]:
                        fields[current["name"]] = current["value"].decode("utf-8", "replace")
                    current = None
            events.clear()
        parser.finalize()
    finally:
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except BaseException:  # noqa: BLE001  (its store put cleans up after itself)
                pass
    if check_csrf and not _token_ok(request, fields.get(FIELD)):
        raise CsrfError()
    return fields
