"""Downloads of all data about a person as ZIP: one's own (/privacy/export) and, for school
administrators, an account of their school (/admin/users/{id}/export). The archive is streamed while it
is written (no background job, no temporary file)."""

from __future__ import annotations

import contextlib

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from schoolcloud.accounts.pages import actor, form, notify, redirect
from schoolcloud.auth.current import page
from schoolcloud.privacy import services_export
from schoolcloud.web.errors import AppError


class _ZipResponse(StreamingResponse):
    """Ends the export's claim however the response ends: a client that stops reading leaves the
    archive's generator suspended at a ``yield``, where its own ``finally`` would wait for the garbage
    collector."""

    def __init__(self, subject, chunks, **kwargs):
        super().__init__(chunks, **kwargs)
        self._subject = subject

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with contextlib.suppress(RuntimeError):
                await self.body_iterator.aclose()
            await services_export.release(self._subject)


def zip_response(subject, chunks) -> StreamingResponse:
    filename = f"schoolcloud-daten-{subject.username}.zip"
    return _ZipResponse(subject, chunks, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


async def _download(request: Request, user_id, back: str):
    user = actor(request)
    try:
        subject, chunks = await services_export.export_zip(request.app.state.files, user, user_id)
    except AppError as exc:
        if exc.status_code != 409:
            raise
        notify(request, exc.message, **exc.params)  # already running: say so where the button was
        return redirect(back)
    return zip_response(subject, chunks)


@page
async def own_export(request: Request):
    await form(request)
    return await _download(request, None, "/privacy")


@page
async def account_export(request: Request):
    await form(request)
    user_id = request.path_params["user_id"]
    return await _download(request, user_id, f"/admin/users/{user_id}/privacy")


routes = [
    Route("/privacy/export", own_export, methods=["POST"]),
    Route("/admin/users/{user_id}/export", account_export, methods=["POST"]),
]
