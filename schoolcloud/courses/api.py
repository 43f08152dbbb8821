"""JSON API of courses and lessons, under /api/v1 (/my-courses, /courses/{id}/lessons..., /lessons/...;
/courses itself is the administrators' course management of accounts/) (session cookie; X-CSRF-Token on changes).

Pupils get only published lessons; a draft or a lesson scheduled for later answers 404 for them, like
a course they do not belong to.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from schoolcloud.api.common import json_body
from schoolcloud.courses import services, services_lessons
from schoolcloud.courses.models import Lesson
from schoolcloud.files.api import caller


def _time(value) -> str | None:
    return value.isoformat() if value is not None else None


def course_json(course) -> dict:
    return {"id": course.id, "name": course.name, "subject": course.subject, "school_year": course.school_year}


def lesson_json(lesson: Lesson, *, full: bool = False) -> dict:
    body = {"id": lesson.id, "course_id": lesson.course_id, "position": lesson.position, "title": lesson.title,
            "date": lesson.date.isoformat() if lesson.date else None, "by_week": lesson.by_week,
            "description": lesson.description, "publish_at": _time(lesson.publish_at),
            "published": services_lessons.is_visible(lesson), "shared": lesson.shared,
            "updated_at": _time(lesson.updated_at)}
    return body


async def courses(request: Request) -> JSONResponse:
    """
    summary: My courses (teachers - those they teach; pupils - theirs; school admins - all of the school).
    responses:
      200: {description: "{items: [{id, name, subject, school_year}]}"}
    """
    user = await caller(request)
    return JSONResponse({"items": [course_json(c) for c in await services.my_courses(user)]})


async def course(request: Request) -> JSONResponse:
    """
    summary: A course with its lessons in order (pupils - only published ones) and may_edit.
    responses:
      200: {description: "{course, may_edit, lessons: [lesson]}"}
      404: {description: No such course for the caller.}
    """
    user = await caller(request)
    view, lessons = await services_lessons.list_lessons(user, request.path_params["course_id"])
    return JSONResponse({"course": course_json(view.course), "may_edit": view.may_edit,
                         "lessons": [lesson_json(lesson) for lesson in lessons]})


async def lessons(request: Request) -> JSONResponse:
    """
    summary: Create a lesson (POST {"title", "date"? YYYY-MM-DD, "week"? YYYY-Www, "description"?,
      "publish"? draft|now|at, "publish_at"? ISO 8601}); the course's teachers and the school's admins.
    responses:
      201: {description: The lesson.}
      403: {description: Not an editor of the course.}
      404: {description: No such course for the caller.}
      422: {description: Invalid fields (error.fields).}
    """
    user = await caller(request)
    body = await json_body(request)
    lesson = await services_lessons.create_lesson(user, request.path_params["course_id"], body)
    return JSONResponse(lesson_json(lesson, full=True), status_code=201)


async def lesson_order(request: Request) -> JSONResponse:
    """
    summary: Reorder the course's lessons (PUT {"lesson_ids" - every lesson of the course once, in the new order}).
    responses:
      200: {description: "{items: [lesson]} in the new order."}
      422: {description: The list does not name every lesson exactly once.}
    """
    user = await caller(request)
    body = await json_body(request)
    ordered = await services_lessons.reorder_lessons(user, request.path_params["course_id"],
                                                     body.get("lesson_ids") or [])
    return JSONResponse({"items": [lesson_json(lesson) for lesson in ordered]})


async def lesson(request: Request) -> Response:
    """
    summary: A lesson (GET; pupils only once published), change it (PATCH with the fields of POST, each
      optional, "shared"? bool) or delete it (DELETE; its files stay in the course space).
    responses:
      200: {description: The lesson.}
      204: {description: Deleted.}
      403: {description: Not an editor of the course.}
      404: {description: No such lesson for the caller (also drafts and future lessons for pupils).}
      422: {description: Invalid fields; nothing was changed.}
    """
    user = await caller(request)
    lesson_id = request.path_params["lesson_id"]
    if request.method == "DELETE":
        await services_lessons.delete_lesson(user, lesson_id)
        return Response(status_code=204)
    if request.method == "PATCH":
        body = await json_body(request)
        updated = await services_lessons.update_lesson(user, lesson_id, body)
        return JSONResponse(lesson_json(updated, full=True))
    view = await services_lessons.get_lesson(user, lesson_id)
    return JSONResponse({**lesson_json(view.lesson, full=True), "may_edit": view.may_edit})


routes = [
    Route("/my-courses", courses),
    Route("/courses/{course_id:int}/lessons", course, methods=["GET"]),
    Route("/courses/{course_id:int}/lessons", lessons, methods=["POST"]),
    Route("/courses/{course_id:int}/lessons/order", lesson_order, methods=["PUT"]),
    Route("/lessons/{lesson_id:int}", lesson, methods=["GET", "PATCH", "DELETE"]),
]
