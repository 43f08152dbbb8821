"""JSON API: class-list import (/imports/preview, /imports, /imports/letters).

Between preview and commit the file is kept as an encrypted single-use hand-over (accounts/handover.py);
the caller holds the token. New one-time passwords are handed over the same way and appear in plaintext
only in the access-letter PDF of /imports/letters.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts import handover, services
from schoolcloud.accounts.api_common import body_fields, caller, ok, pdf
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.accounts.routes_import import pack, unpack
from schoolcloud.accounts.services_base import CredentialsBatch
from schoolcloud.accounts.uploads import read_upload
from schoolcloud.accounts.validation import FieldErrors, current_school_year, flag, school_year
from schoolcloud.web.i18n import N_, current_locale


def _max_bytes(request: Request) -> int:
    return request.app.state.settings.max_import_bytes


async def _upload(request: Request) -> tuple[dict, str, bytes]:
    fields, data = await read_upload(request, csrf_field=False)
    errors = FieldErrors()
    year = school_year(fields.get("school_year") or current_school_year(), errors)
    if not data:
        errors.add("file", "file_missing", N_("Please choose a CSV file."))
    errors.raise_if_any()
    return fields, year, data


async def preview(request: Request):
    """
    summary: Check a class list without writing anything (school admins).
    description: >
      Send the CSV as multipart/form-data (field `file`, optional field `school_year`) or as the raw body
      with Content-Type text/csv (optional query `school_year`). Every row comes back with its result
      (create, update, unchanged) or its errors in German and English. When the file has no errors the
      response carries `preview_token`, valid for 30 minutes and once, for POST /imports.
    requestBody:
      required: true
      content:
        multipart/form-data:
          schema:
            type: object
            properties:
              file: {type: string, format: binary}
              school_year: {type: string, example: 2026/27}
        text/csv:
          schema: {type: string}
    responses:
      200: {description: "{ok, counts, file_errors, rows: [{line, action, errors, ...}], preview_token?}"}
      403: {description: Not a school admin.}
      413: {description: Larger than SCHOOLCLOUD_MAX_IMPORT_BYTES.}
    """
    user = await caller(request)
    require_school_admin(user)
    _fields, year, data = await _upload(request)
    result = await services.preview_import(user, data, school_year=year, max_bytes=_max_bytes(request))
    body = result.as_json(current_locale.get())
    if result.ok:
        body["preview_token"] = await handover.seal(handover.IMPORT, user, pack(year, data))
    return ok(body)


async def commit(request: Request):
    """
    summary: Import a class list in one transaction (school admins).
    description: >
      Either JSON `{preview_token, reset_passwords}` after POST /imports/preview, or the CSV itself as in
      the preview (field or query `reset_passwords`). Accounts are matched by name and birth date within
      the school and updated; the others are created with a one-time password (with `reset_passwords`
      every imported account gets one). Nothing is written if any row has an error. When passwords were
      set, `letters_token` opens their access letters once, within 15 minutes, at POST /imports/letters.
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [preview_token]
            properties:
              preview_token: {type: string}
              reset_passwords: {type: boolean, default: false}
        multipart/form-data:
          schema:
            type: object
            properties:
              file: {type: string, format: binary}
              school_year: {type: string}
              reset_passwords: {type: boolean}
        text/csv:
          schema: {type: string}
    responses:
      200: {description: "{created, updated, unchanged, classes_created, passwords_issued, letters_token}"}
      409: {description: Accounts changed between preview and commit; preview again.}
      410: {description: The preview token was used already or has expired.}
      422: {description: "The file has errors (error.rows, error.file_errors); nothing was imported."}
    """
    user = await caller(request)
    require_school_admin(user)
    if "application/json" in request.headers.get("content-type", ""):
        body = await body_fields(request, ("preview_token", "reset_passwords"))
        year, data = unpack(await handover.take(body.get("preview_token"), handover.IMPORT, user))
        reset = flag(body.get("reset_passwords", False))
    else:
        fields, year, data = await _upload(request)
        reset = flag(fields.get("reset_passwords", ""))
    result = await services.commit_import(user, data, school_year=year, max_bytes=_max_bytes(request),
                                          reset_passwords=reset)
    body = result.as_json()
    body["letters_token"] = await handover.seal_json(handover.CREDENTIALS, user, result.credentials.as_dict()) \
        if result.credentials.items else None
    return ok(body)


async def letters(request: Request):
    """
    summary: The access letters of an import as PDF, once.
    description: One page per account that got a one-time password, grouped by class. The token is used up.
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [letters_token]
            properties:
              letters_token: {type: string}
    responses:
      200:
        description: The PDF.
        content:
          application/pdf: {}
      410: {description: Used already or expired.}
    """
    user = await caller(request)
    require_school_admin(user)
    body = await body_fields(request, ("letters_token",))
    batch = CredentialsBatch.from_dict(await handover.take_json(body.get("letters_token"), handover.CREDENTIALS,
                                                                user))
    return await pdf(request, batch, "zugangsdaten.pdf")


routes = [
    Route("/imports/preview", preview, methods=["POST"]),
    Route("/imports", commit, methods=["POST"]),
    Route("/imports/letters", letters, methods=["POST"]),
]
