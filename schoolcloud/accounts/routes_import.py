"""Pages: class-list import. Upload -> preview (nothing written) -> commit -> access letters.

Between the steps the uploaded file lives only as an encrypted, short-lived hand-over row whose key is
in the admin's session cookie (accounts/handover.py); committing consumes it. The new one-time passwords
are handed to the letter download the same way and exist in plaintext only in that PDF response.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts import handover, services
from schoolcloud.accounts.import_service import ImportRejected
from schoolcloud.accounts.pages import actor, form, hand_over_letters, letters_response, notify, redirect, take_notice
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.accounts.uploads import read_upload
from schoolcloud.accounts.validation import FieldErrors, current_school_year, school_year
from schoolcloud.auth.current import page
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_, current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

PENDING = "accounts_import"  # session key: token of the uploaded file awaiting confirmation
DONE = "accounts_import_done"  # session key: counts of the last commit, for the result page
LETTERS = "accounts_import_letters"  # session key: token of the new passwords, for one letter download


def pack(year: str, data: bytes) -> bytes:
    return year.encode() + b"\n" + data


def unpack(packed: bytes) -> tuple[str, bytes]:
    year, _sep, data = packed.partition(b"\n")
    return year.decode(), data


def _max_bytes(request: Request) -> int:
    return request.app.state.settings.max_import_bytes


def _upload_page(request: Request, *, year: str, errors: dict | None = None, status: int = 200):
    return render(request, "accounts/import_upload.html", status_code=status, page_title=_("Import class list"),
                  values={"school_year": year}, errors=errors or {}, pending=PENDING in request.session,
                  max_kib=_max_bytes(request) // 1024, notice=take_notice(request))


@page
async def upload(request: Request):
    user = actor(request)
    require_school_admin(user)
    if request.method == "GET":
        return _upload_page(request, year=current_school_year())
    fields, data = await read_upload(request, csrf_field=True)
    errors = FieldErrors()
    year = school_year(fields.get("school_year", ""), errors)
    if not data:
        errors.add("file", "file_missing", N_("Please choose a CSV file."))
    if errors:
        locale = current_locale.get()
        return _upload_page(request, year=year, status=422,
                            errors={e.field: e.text(locale) for e in errors.errors})
    await handover.discard(request.session.pop(PENDING, None))
    request.session.pop(DONE, None)
    request.session[PENDING] = await handover.seal(handover.IMPORT, user, pack(year, data))
    return redirect("/admin/import/preview")


async def _pending(request: Request, user, *, consume: bool) -> tuple[str, bytes] | None:
    token = request.session.get(PENDING)
    if not token:
        return None
    try:
        packed = await handover.take(token, handover.IMPORT, user, consume=consume)
    except handover.HandoverGone:
        request.session.pop(PENDING, None)
        return None
    if consume:
        request.session.pop(PENDING, None)
    return unpack(packed)


def _preview_page(request: Request, preview, year: str, status: int = 200):
    return render(request, "accounts/import_preview.html", status_code=status, page_title=_("Check the import"),
                  preview=preview, counts=preview.counts, year=year,
                  text=lambda m: m["message_en" if current_locale.get() == "en" else "message_de"],
                  notice=take_notice(request))


@page
async def preview_page(request: Request):
    user = actor(request)
    require_school_admin(user)
    pending = await _pending(request, user, consume=False)
    if pending is None:
        notify(request, N_("Please choose the file again: the upload has expired."))
        return redirect("/admin/import")
    year, data = pending
    preview = await services.preview_import(user, data, school_year=year, max_bytes=_max_bytes(request))
    return _preview_page(request, preview, year)


@page
async def commit(request: Request):
    user = actor(request)
    require_school_admin(user)
    submitted = await form(request)
    pending = await _pending(request, user, consume=True)  # single use: a second click finds nothing
    if pending is None:
        notify(request, N_("Please choose the file again: the upload has expired."))
        return redirect("/admin/import")
    year, data = pending
    reset = str(submitted.get("reset_passwords", "")) in ("1", "on", "true")
    try:
        result = await services.commit_import(user, data, school_year=year, max_bytes=_max_bytes(request),
                                              reset_passwords=reset)
    except (ImportRejected, AppError) as exc:
        # Nothing was written; keep the file for another look at the preview.
        request.session[PENDING] = await handover.seal(handover.IMPORT, user, pack(year, data))
        if isinstance(exc, ImportRejected):
            return _preview_page(request, exc.preview, year, status=422)
        notify(request, exc.message, **exc.params)
        return redirect("/admin/import/preview")
    if result.credentials.items:
        await hand_over_letters(request, user, result.credentials, LETTERS)
    request.session[DONE] = result.as_json()
    return redirect("/admin/import/done")


@page
async def done(request: Request):
    user = actor(request)
    require_school_admin(user)
    counts = request.session.get(DONE)
    if counts is None:
        return redirect("/admin/import")
    return render(request, "accounts/import_done.html", page_title=_("Import finished"), counts=counts,
                  printable=LETTERS in request.session)


@page
async def letters(request: Request):
    """The access letters of the last import: the only response that ever contains their passwords."""
    user = actor(request)
    require_school_admin(user)
    await form(request)
    return await letters_response(request, user, request.session.pop(LETTERS, None))


@page
async def cancel(request: Request):
    user = actor(request)
    require_school_admin(user)
    await form(request)
    await handover.discard(request.session.pop(PENDING, None))
    notify(request, N_("The import was cancelled. Nothing was changed."))
    return redirect("/admin/import")


routes = [
    Route("/admin/import", upload, methods=["GET", "POST"]),
    Route("/admin/import/preview", preview_page),
    Route("/admin/import/commit", commit, methods=["POST"]),
    Route("/admin/import/done", done),
    Route("/admin/import/letters", letters, methods=["POST"]),
    Route("/admin/import/cancel", cancel, methods=["POST"]),
]
