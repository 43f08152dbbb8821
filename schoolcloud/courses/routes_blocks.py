"""Content blocks on the lesson page: add, change, move and delete them (editors), and the files and
folders they show (everyone who may see the lesson: /courses/{c}/lessons/{l}/blocks/{b}/file|open)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.auth.current import page
from schoolcloud.courses import services_blocks
from schoolcloud.courses.routes import field_errors
from schoolcloud.courses.routes_lessons import LESSON, lesson_path, render_lesson
from schoolcloud.files.routes import actor, back, notify, refused
from schoolcloud.files.serving import file_response
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import gettext_ as _


def _ids(request: Request) -> dict:
    params = request.path_params
    return {"lesson_id": params["lesson_id"], "course_id": params["course_id"]}


@page
async def add_block(request: Request):
    user = actor(request)
    form = await checked_form(request)
    ids = _ids(request)
    try:
        block = await services_blocks.add_block(user, ids["lesson_id"], form, course_id=ids["course_id"])
    except ValidationError as exc:
        form_id = f"add-{form.get('kind')}"
        return await render_lesson(request, block_form=(form_id, dict(form), field_errors(exc)), status_code=422)
    notify(request, "ok", _("The content was added."))
    return back(lesson_path(request) + f"#block-{block.id}")


@page
async def update_block(request: Request):
    user = actor(request)
    form = await checked_form(request)
    block_id = request.path_params["block_id"]
    try:
        await services_blocks.update_block(user, block_id, form, **_ids(request))
    except ValidationError as exc:
        return await render_lesson(request, block_form=(f"block-{block_id}", dict(form), field_errors(exc)),
                                   status_code=422)
    notify(request, "ok", _("The content was saved."))
    return back(lesson_path(request) + f"#block-{block_id}")


@page
async def delete_block(request: Request):
    user = actor(request)
    await checked_form(request)
    await services_blocks.delete_block(user, request.path_params["block_id"], **_ids(request))
    notify(request, "ok", _("The content was removed."))
    return back(lesson_path(request))


@page
async def move_block(request: Request):
    user = actor(request)
    form = await checked_form(request)
    block_id = request.path_params["block_id"]
    try:
        await services_blocks.move_block(user, block_id, 1 if form.get("step") == "1" else -1, **_ids(request))
    except AppError as exc:
        return refused(request, exc, lesson_path(request))
    return back(lesson_path(request) + f"#block-{block_id}")


@page
async def block_file(request: Request):
    """The block's file (inline where safe, ``?download=1`` as an attachment), served like the files API."""
    user = actor(request)
    _, node, version = await services_blocks.block_file(user, request.path_params["block_id"], **_ids(request))
    if version is None:
        return back(f"/files/{node.id}")  # a folder: browse it in the files pages
    return await file_response(request, request.app.state.store, node, version,
                               force_download=request.query_params.get("download") == "1")


BLOCK = LESSON + "/blocks/{block_id:int}"
routes = [
    Route(LESSON + "/blocks", add_block, methods=["POST"]),
    Route(BLOCK + "/edit", update_block, methods=["POST"]),
    Route(BLOCK + "/delete", delete_block, methods=["POST"]),
    Route(BLOCK + "/move", move_block, methods=["POST"]),
    Route(BLOCK + "/file", block_file, methods=["GET", "HEAD"]),
]
