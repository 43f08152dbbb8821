"""Pages of one lesson (/courses/{course_id}/lessons/{lesson_id}): pupils read it once published;
the course's editors change, publish, move and delete it there."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.auth.current import page
from schoolcloud.courses import hooks, services_blocks, services_copy, services_lessons
from schoolcloud.courses.display import HELPERS, licence_name
from schoolcloud.courses.models import Licence
from schoolcloud.courses.services_library import GRADES
from schoolcloud.courses.routes import field_errors
from schoolcloud.courses.validation import local_input, week_input
from schoolcloud.files import spaces
from schoolcloud.files.routes import actor, back, human_size, notify, refused, take_notice
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render


def lesson_values(lesson) -> dict:
    """The stored lesson as form values."""
    mode = "draft" if lesson.publish_at is None else "at"
    return {"title": lesson.title, "description": lesson.description,
            "date": "" if lesson.by_week or lesson.date is None else lesson.date.isoformat(),
            "week": week_input(lesson.date) if lesson.by_week else "",
            "publish": mode, "publish_at": local_input(lesson.publish_at)}


def block_values(block) -> dict:
    return {"text": block.text, "url": block.url, "title": block.title, "node_id": block.node_id or "",
            "task_id": block.task_id or ""}


async def render_lesson(request: Request, *, values=None, errors=None, block_form=None, library_form=None,
                        status_code: int = 200):
    """The lesson page; ``block_form`` = (form id, values, errors) and ``library_form`` = (values, errors)
    bring a refused form back with what was typed."""
    user = actor(request)
    params = request.path_params
    view = await services_lessons.get_lesson(user, params["lesson_id"], course_id=params["course_id"])
    blocks = await services_blocks.list_blocks(view.lesson)
    space = await spaces.course_space(view.course)
    tasks = await hooks.tasks_named(user, view.course, [b.task_id for b in blocks if b.task_id])
    return render(request, "courses/lesson.html", status_code=status_code, page_title=view.lesson.title,
                  view=view, lesson=view.lesson, course=view.course, now=services_lessons.now(),
                  values=values or lesson_values(view.lesson), errors=errors or {},
                  blocks=[(b, services_blocks.node_is_usable(b, space.id)) for b in blocks], tasks=tasks,
                  picker=await services_blocks.picker_entries(view.course) if view.may_edit else [],
                  block_form=block_form or ("", {}, {}), human_size=human_size, block_values=block_values,
                  files_root_id=(await spaces.root_of(space)).id,
                  copy_targets=await services_copy.copy_targets(user), library_form=library_form or ({}, {}),
                  licences=Licence.ALL, licence_name=licence_name, grades=list(GRADES),
                  notice=take_notice(request), **HELPERS)


@page
async def lesson_page(request: Request):
    return await render_lesson(request)


def lesson_path(request: Request) -> str:
    return f"/courses/{request.path_params['course_id']}/lessons/{request.path_params['lesson_id']}"


@page
async def update_lesson(request: Request):
    user = actor(request)
    form = await checked_form(request)
    params = request.path_params
    try:
        await services_lessons.update_lesson(user, params["lesson_id"], form, course_id=params["course_id"])
    except ValidationError as exc:
        return await render_lesson(request, values=dict(form), errors=field_errors(exc), status_code=422)
    notify(request, "ok", _("The lesson was saved."))
    return back(lesson_path(request))


@page
async def delete_lesson(request: Request):
    user = actor(request)
    await checked_form(request)
    params = request.path_params
    await services_lessons.delete_lesson(user, params["lesson_id"], course_id=params["course_id"])
    notify(request, "ok", _("The lesson was deleted."))
    return back(f"/courses/{params['course_id']}")


@page
async def move_lesson(request: Request):
    user = actor(request)
    form = await checked_form(request)
    params = request.path_params
    course_path = f"/courses/{params['course_id']}"
    try:
        await services_lessons.move_lesson(user, params["lesson_id"], 1 if form.get("step") == "1" else -1,
                                           course_id=params["course_id"])
    except AppError as exc:
        return refused(request, exc, course_path)
    return back(course_path + f"#lesson-{params['lesson_id']}")


LESSON = "/courses/{course_id:int}/lessons/{lesson_id:int}"
routes = [
    Route(LESSON, lesson_page),
    Route(LESSON + "/edit", update_lesson, methods=["POST"]),
    Route(LESSON + "/delete", delete_lesson, methods=["POST"]),
    Route(LESSON + "/move", move_lesson, methods=["POST"]),
]
