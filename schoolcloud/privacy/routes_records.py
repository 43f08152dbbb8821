"""Pages: the record of processing activities and the TOMs of one school (records.py), as a page, a PDF
and an ODT. School administrators reach their own school's, operators every school's (from the school's
page under /operator); another school's answers 404."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schoolcloud.accounts.models import Role
from schoolcloud.accounts.pages import actor
from schoolcloud.auth.current import page
from schoolcloud.files.serving import content_disposition
from schoolcloud.privacy import records_render
from schoolcloud.privacy.records import records_for
from schoolcloud.web.errors import NotFound
from schoolcloud.web.i18n import current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

FORMATS = {"pdf": ("application/pdf", records_render.pdf),
           "odt": ("application/vnd.oasis.opendocument.text", records_render.odt)}


async def _records(request: Request):
    user = actor(request)
    return user, await records_for(user, request.path_params["school_id"], request.app.state.settings)


@page
async def records_page(request: Request):
    user, records = await _records(request)
    locale = current_locale.get()
    back = (f"/operator/schools/{records.school.id}", _("School details")) if user.role == Role.OPERATOR \
        else ("/privacy", _("Privacy"))
    return render(request, "privacy/records.html", page_title=records_render.TITLE.get(locale),
                  base=f"/privacy/records/{records.school.id}", back=back[0], back_label=back[1],
                  **records_render.context(records, locale, with_locale=False))


@page
async def records_download(request: Request):
    if request.path_params["fmt"] not in FORMATS:
        raise NotFound("format")
    _user, records = await _records(request)
    locale = current_locale.get()
    media_type, make = FORMATS[request.path_params["fmt"]]
    data = await run_in_threadpool(make, records, locale)  # WeasyPrint and odfpy are synchronous
    name = records_render.file_name(records, locale, request.path_params["fmt"])
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": content_disposition(name, inline=False), "Cache-Control": "no-store"})


routes = [
    Route("/privacy/records/{school_id:int}", records_page, methods=["GET"]),
    Route("/privacy/records/{school_id:int}.{fmt:str}", records_download, methods=["GET"]),
]
