"""Pages of the material library (/library): search by subject, grade and keyword, copy into a course,
publish a file; publishing a lesson is a form on the lesson page. Teachers and school admins only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.auth.current import page
from schoolcloud.courses import services_copy, services_library
from schoolcloud.courses.display import licence_name
from schoolcloud.courses.models import Licence
from schoolcloud.courses.routes import field_errors
from schoolcloud.courses.routes_lessons import LESSON, lesson_path, render_lesson
from schoolcloud.files.routes import actor, back, files_context, notify, refused, take_notice
from schoolcloud.files.serving import file_response
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

PAGE_SIZE = 20


def search_params(request: Request) -> dict:
    query = request.query_params
    return {k: query.get(k, "").strip() for k in ("subject", "grade", "keyword")}


async def render_library(request: Request, *, values=None, errors=None, status_code: int = 200):
    user = actor(request)
    params = search_params(request)
    try:
        number = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        number = 1
    results = await services_library.search(user, **params, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    return render(request, "courses/library.html", status_code=status_code, page_title=_("Material library"),
                  results=results, params=params, number=number, subjects=await services_library.subjects(user),
                  copy_targets=await services_copy.copy_targets(user),
                  files=await services_library.publishable_files(user), licences=Licence.ALL,
                  licence_name=licence_name, grades=list(services_library.GRADES), user_id=user.id,
                  values=values or {}, errors=errors or {}, notice=take_notice(request))


@page
async def library_page(request: Request):
    return await render_library(request)


@page
async def publish_file(request: Request):
    user = actor(request)
    form = await checked_form(request)
    try:
        await services_library.publish_file(user, form.get("node_id"), form)
    except ValidationError as exc:
        return await render_library(request, values=dict(form), errors=field_errors(exc), status_code=422)
    except AppError as exc:
        return refused(request, exc, "/library")
    notify(request, "ok", _("The file was published in the library."))
    return back("/library")


@page
async def publish_lesson(request: Request):
    user = actor(request)
    form = await checked_form(request)
    try:
        await services_library.publish_lesson(user, request.path_params["lesson_id"], form)
    except ValidationError as exc:
        return await render_lesson(request, library_form=(dict(form), field_errors(exc)), status_code=422)
    notify(request, "ok", _("The lesson was published in the library."))
    return back(lesson_path(request))


@page
async def copy_entry(request: Request):
    user = actor(request)
    form = await checked_form(request)
    try:
        copy = await services_library.copy_entry(files_context(request), user, request.path_params["entry_id"],
                                                 form.get("course_id"))
    except AppError as exc:
        return refused(request, exc, "/library")
    if hasattr(copy, "course_id"):
        notify(request, "ok", _("The lesson was copied as a draft."))
        return back(f"/courses/{copy.course_id}/lessons/{copy.id}")
    notify(request, "ok", _("The file was copied into the course files."))
    return back(f"/files/{copy.parent_id}")


@page
async def withdraw(request: Request):
    user = actor(request)
    await checked_form(request)
    try:
        await services_library.withdraw(user, request.path_params["entry_id"])
    except AppError as exc:
        return refused(request, exc, "/library")
    notify(request, "ok", _("The entry was taken out of the library."))
    return back("/library")


@page
async def entry_file(request: Request):
    user = actor(request)
    node, version = await services_library.entry_file(user, request.path_params["entry_id"])
    return await file_response(request, request.app.state.store, node, version,
                               force_download=request.query_params.get("download") == "1")


ENTRY = "/library/{entry_id:int}"
routes = [
    Route("/library", library_page),
    Route("/library/files", publish_file, methods=["POST"]),
    Route(LESSON + "/library", publish_lesson, methods=["POST"]),
    Route(ENTRY + "/copy", copy_entry, methods=["POST"]),
    Route(ENTRY + "/withdraw", withdraw, methods=["POST"]),
    Route(ENTRY + "/file", entry_file, methods=["GET", "HEAD"]),
]
