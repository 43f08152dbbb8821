"""Pages for copying and sharing: copy a lesson or a whole course (also into the next school year),
share a lesson with colleagues, and the list of lessons colleagues shared (/courses/shared)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.auth.current import page
from schoolcloud.courses import services_copy, services_lessons
from schoolcloud.courses.display import HELPERS
from schoolcloud.courses.routes_lessons import LESSON, lesson_path
from schoolcloud.files.routes import actor, back, files_context, notify, refused, take_notice
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

PAGE_SIZE = 50


@page
async def shared_lessons(request: Request):
    user = actor(request)
    try:
        number = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        number = 1
    lessons, has_more = await services_lessons.list_shared(user, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    return render(request, "courses/shared.html", page_title=_("Lessons shared by colleagues"), lessons=lessons,
                  number=number, has_more=has_more, notice=take_notice(request), **HELPERS)


@page
async def share_lesson(request: Request):
    user = actor(request)
    form = await checked_form(request)
    shared = form.get("shared") == "1"
    await services_lessons.set_shared(user, request.path_params["lesson_id"], shared,
                                      course_id=request.path_params["course_id"])
    notify(request, "ok", _("Colleagues can now see and copy this lesson.") if shared
           else _("The lesson is no longer shared with colleagues."))
    return back(lesson_path(request))


@page
async def copy_lesson(request: Request):
    user = actor(request)
    form = await checked_form(request)
    try:
        copy = await services_copy.copy_lesson(files_context(request), user, request.path_params["lesson_id"],
                                               form.get("course_id"))
    except AppError as exc:
        return refused(request, exc, lesson_path(request))
    notify(request, "ok", _("The lesson was copied as a draft."))
    return back(f"/courses/{copy.course_id}/lessons/{copy.id}")


@page
async def copy_course(request: Request):
    user = actor(request)
    form = await checked_form(request)
    here = f"/courses/{request.path_params['course_id']}"
    target = form.get("target", "")
    try:
        course, made = await services_copy.copy_course(
            files_context(request), user, request.path_params["course_id"], next_year=target == "next_year",
            target_course_id=None if target == "next_year" else target)
    except AppError as exc:
        return refused(request, exc, here)
    notify(request, "ok", _("Lessons copied as drafts: %(count)s", count=len(made)))
    return back(f"/courses/{course.id}")


routes = [
    Route("/courses/shared", shared_lessons),
    Route(LESSON + "/share", share_lesson, methods=["POST"]),
    Route(LESSON + "/copy", copy_lesson, methods=["POST"]),
    Route("/courses/{course_id:int}/copy", copy_course, methods=["POST"]),
]
