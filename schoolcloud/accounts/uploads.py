"""Reading an uploaded class list entirely in memory.

Starlette's form parser spools file parts above 1 MiB to a temporary file on disk; a class list holds
personal data of children, so it is parsed here from the request body (already bounded by the app's
BodyLimit for /admin/import and /api/v1/imports) and never touches the disk unencrypted.
"""

from __future__ import annotations

import hmac

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from schoolcloud.web.csrf import FIELD, HEADER, CsrfError
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_

MAX_FIELDS = 20


class BadUpload(AppError):
    def __init__(self):
        super().__init__("upload_invalid", N_("The upload could not be read. Please choose the file again."))


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, bytes]]:
    """(text fields, file parts by field name) from a multipart/form-data body."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise BadUpload()
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    state: dict = {}

    def on_part_begin():
        state.update(headers={}, data=[], field=b"", value=b"")

    def on_header_field(data, start, end):
        state["field"] += data[start:end]

    def on_header_value(data, start, end):
        state["value"] += data[start:end]

    def on_header_end():
        state["headers"][state["field"].lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_part_data(data, start, end):
        state["data"].append(data[start:end])

    def on_part_end():
        _, disposition = parse_options_header(state["headers"].get(b"content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        content = b"".join(state["data"])
        if b"filename" in disposition:
            files[name] = content
        else:
            fields[name] = content.decode("utf-8", "replace")
        if len(fields) + len(files) > MAX_FIELDS:
            raise BadUpload()

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_part_data": on_part_data, "on_part_end": on_part_end})
    try:
        parser.write(body)
        parser.finalize()
    except FormParserError:
        raise BadUpload() from None
    return fields, files


def _csrf_matches(request: Request, presented: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and presented and hmac.compare_digest(expected, presented))


async def read_upload(request: Request, *, csrf_field: bool) -> tuple[dict[str, str], bytes | None]:
    """(form fields, file bytes) from multipart/form-data or a raw text/csv body.

    With ``csrf_field`` (pages) the form's csrf_token field or the X-CSRF-Token header must match the
    session, as web.csrf.checked_form requires for other forms.
    """
    content_type = request.headers.get("content-type", "")
    body = await request.body()
    if content_type.startswith("multipart/form-data"):
        fields, files = parse_multipart(body, content_type)
        data = files.get("file")
        if data is None and files:
            data = next(iter(files.values()))
    elif content_type.startswith(("text/csv", "text/plain", "application/octet-stream")):
        fields, data = dict(request.query_params), body
    else:
        raise AppError("unsupported_media_type",
                       N_("Send the class list as multipart/form-data (field file) or as text/csv."), status=415)
    if csrf_field and not _csrf_matches(request, fields.get(FIELD) or request.headers.get(HEADER)):
        raise CsrfError()
    return fields, data
