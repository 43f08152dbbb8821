"""Pages of the data export: request one (own on /privacy, an account's on its admin privacy page), the
status for the progress bar's polling script, and the download of a finished archive."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from schoolcloud.accounts.pages import actor, form, notify, redirect
from schoolcloud.auth.current import page
from schoolcloud.privacy import export_archive
from schoolcloud.web.i18n import N_, current_locale, in_locale


async def _request(request: Request, user_id, back: str):
    user = actor(request)
    await form(request)
    try:
        await export_archive.request_export(user, user_id)
    except export_archive.ExportRunning as exc:
        notify(request, exc.message, **exc.params)  # already being prepared: its progress is on the page
    else:
        notify(request, N_("The export is being prepared. Its progress is shown below; the download link "
                           "appears here when it is ready."))
    return redirect(back + "#export-heading")


@page
async def own_export(request: Request):
    return await _request(request, None, "/privacy")


@page
async def account_export(request: Request):
    user_id = request.path_params["user_id"]
    return await _request(request, user_id, f"/admin/users/{user_id}/privacy")


def progress_text(view, locale: str) -> str:
    if view.status == "queued":
        return in_locale(locale, N_("Waiting to start."))
    if view.total:
        return in_locale(locale, N_("%(done)s of %(total)s MB copied (%(percent)s %%)."),
                         done=f"{view.done / 1048576:.1f}", total=f"{view.total / 1048576:.1f}",
                         percent=view.percent)
    return in_locale(locale, N_("Collecting the data."))


async def export_context(request: Request, user, user_id) -> dict:
    """What the privacy pages need for their export section."""
    from schoolcloud.courses.display import local_time

    locale = current_locale.get()
    return {"exports": await export_archive.exports_for(user, user_id), "local_time": local_time,
            "progress_text": lambda view: progress_text(view, locale),
            "export_hours": request.app.state.settings.export_expiry_hours}


@page
async def export_status(request: Request):
    """For the progress bar's script (and anyone curious): status, bytes done and total, a sentence."""
    view = await export_archive.status(actor(request), request.path_params["export_id"])
    return JSONResponse({**view.as_json(), "text": progress_text(view, current_locale.get())},
                        headers={"Cache-Control": "no-store"})


def archive_response(export, subject, stream) -> StreamingResponse:
    async def body():
        async with stream:
            async for chunk in stream:
                yield chunk

    filename = f"schoolcloud-daten-{subject.username}-{export.ready_at:%Y-%m-%d}.zip"
    return StreamingResponse(body(), media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Content-Length": str(export.size),
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@page
async def download(request: Request):
    export, subject, stream = await export_archive.open_download(
        request.app.state.files, actor(request), request.path_params["export_id"])
    return archive_response(export, subject, stream)


routes = [
    Route("/privacy/export", own_export, methods=["POST"]),
    Route("/admin/users/{user_id}/export", account_export, methods=["POST"]),
    Route("/privacy/exports/{export_id}/status", export_status, methods=["GET"]),
    Route("/privacy/exports/{export_id}/download", download, methods=["GET"]),
]
