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
from schoolcloud.courses import services, services_blocks, services_copy, services_lessons
from schoolcloud.courses.models import Lesson, LessonBlock
from schoolcloud.files import tree
from schoolcloud.files.api import caller, files_context


def _time(value) -> str | None:
    return value.isoformat() if value is not None else None


def course_json(course) -> dict:
    return {"id": course.id, "name": course.name, "subject": course.subject, "school_year": course.school_year}


def block_json(block: LessonBlock, usable: bool, lesson: Lesson) -> dict:
    body = {"id": block.id, "kind": block.kind, "position": block.position, "title": block.title,
            "text": block.text, "html": block.html, "url": block.url, "task_id": block.task_id,
            "node": None, "file_url": None}
    if block.node_id is not None and usable:
        node = block.node
        body["node"] = {"id": node.id, "kind": node.kind, "name": node.name, "size": node.size,
                        "content_type": node.content_type}
        body["file_url"] = f"/courses/{lesson.course_id}/lessons/{lesson.id}/blocks/{block.id}/file"
    return body


async def blocks_json(lesson: Lesson, course) -> list[dict]:
    space_id = await services_blocks.course_space_id(course)
    return [block_json(b, services_blocks.node_is_usable(b, space_id), lesson)
            for b in await services_blocks.list_blocks(lesson)]


def lesson_json(lesson: Lesson) -> dict:
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
    return JSONResponse(lesson_json(lesson), status_code=201)


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
        if "shared" in body:
            updated = await services_lessons.set_shared(user, lesson_id, body["shared"] is True)
        return JSONResponse(lesson_json(updated))
    view = await services_lessons.get_lesson(user, lesson_id)
    return JSONResponse({**lesson_json(view.lesson), "may_edit": view.may_edit,
                         "blocks": await blocks_json(view.lesson, view.course)})


async def blocks(request: Request) -> JSONResponse:
    """
    summary: Add a content block (POST {"kind" text|file|folder|image|link|task, "text"? Markdown,
      "url"? http(s), "node_id"? a file or folder of the course space, "title"? label or image description,
      "task_id"?}); the course's editors. Text is rendered and sanitised (scripts, event handlers and
      javascript URLs removed).
    responses:
      201: {description: The block.}
      403: {description: Not an editor of the course.}
      404: {description: No such lesson for the caller.}
      422: {description: Invalid fields; nothing was saved.}
    """
    user = await caller(request)
    body = await json_body(request)
    block = await services_blocks.add_block(user, request.path_params["lesson_id"], body)
    await block.fetch_related("lesson", "node")
    return JSONResponse(block_json(block, True, block.lesson), status_code=201)


async def block_order(request: Request) -> JSONResponse:
    """
    summary: Reorder a lesson's blocks (PUT {"block_ids" - every block of the lesson once, in the new order}).
    responses:
      200: {description: "{items: [block]} in the new order."}
      422: {description: The list does not name every block exactly once.}
    """
    user = await caller(request)
    body = await json_body(request)
    await services_blocks.reorder_blocks(user, request.path_params["lesson_id"], body.get("block_ids") or [])
    view = await services_lessons.get_lesson(user, request.path_params["lesson_id"])
    return JSONResponse({"items": await blocks_json(view.lesson, view.course)})


async def block(request: Request) -> Response:
    """
    summary: Change a block's content (PATCH with the fields of POST for its kind) or remove it (DELETE).
    responses:
      200: {description: The block.}
      204: {description: Removed (its file stays in the course space).}
      403: {description: Not an editor of the course.}
      422: {description: Invalid fields; the block is unchanged.}
    """
    user = await caller(request)
    block_id = request.path_params["block_id"]
    if request.method == "DELETE":
        await services_blocks.delete_block(user, block_id)
        return Response(status_code=204)
    body = await json_body(request)
    updated = await services_blocks.update_block(user, block_id, body)
    await updated.fetch_related("lesson", "node")
    return JSONResponse(block_json(updated, True, updated.lesson))


async def copy_lesson(request: Request) -> JSONResponse:
    """
    summary: Copy a lesson into a course the caller edits (POST {"course_id"}); from their own courses, or
      a lesson a colleague shared or published to the library. The copy is a draft; its files are copied
      into the target course space.
    responses:
      201: {description: The new lesson.}
      403: {description: Pupils, or a course the caller only attends.}
      404: {description: No such lesson or target course for the caller.}
      507: {description: The target course space has not enough room.}
    """
    user = await caller(request)
    body = await json_body(request)
    copy = await services_copy.copy_lesson(files_context(request), user, request.path_params["lesson_id"],
                                           body.get("course_id"))
    return JSONResponse(lesson_json(copy), status_code=201)


async def copy_course(request: Request) -> JSONResponse:
    """
    summary: Copy every lesson of a course the caller edits into another course they edit (POST
      {"course_id"}) or into a new course of the next school year (POST {"next_year" - true}).
    responses:
      201: {description: "{course, lessons: [lesson]} - the target course and the new lessons (drafts)."}
      403: {description: Not an editor of the course.}
      404: {description: No such course for the caller.}
      422: {description: No or the same target course.}
    """
    user = await caller(request)
    body = await json_body(request)
    course, made = await services_copy.copy_course(files_context(request), user, request.path_params["course_id"],
                                                   target_course_id=body.get("course_id"),
                                                   next_year=body.get("next_year") is True)
    return JSONResponse({"course": course_json(course), "lessons": [lesson_json(le) for le in made]},
                        status_code=201)


async def shared_lessons(request: Request) -> JSONResponse:
    """
    summary: Lessons colleagues of the caller's school shared (teachers and school admins), newest first, paged.
    responses:
      200: {description: "{items: [lesson with course], offset, limit, has_more}"}
      403: {description: Pupils.}
    """
    user = await caller(request)
    offset, limit = tree.page_bounds(request.query_params.get("offset"), request.query_params.get("limit"), 50)
    lessons, has_more = await services_lessons.list_shared(user, offset=offset, limit=limit)
    return JSONResponse({"items": [{**lesson_json(le), "course": course_json(le.course)} for le in lessons],
                         "offset": offset, "limit": limit, "has_more": has_more})


routes = [
    Route("/my-courses", courses),
    Route("/courses/{course_id:int}/lessons", course, methods=["GET"]),
    Route("/courses/{course_id:int}/lessons", lessons, methods=["POST"]),
    Route("/courses/{course_id:int}/lessons/order", lesson_order, methods=["PUT"]),
    Route("/lessons/{lesson_id:int}", lesson, methods=["GET", "PATCH", "DELETE"]),
    Route("/lessons/{lesson_id:int}/blocks", blocks, methods=["POST"]),
    Route("/lessons/{lesson_id:int}/blocks/order", block_order, methods=["PUT"]),
    Route("/lesson-blocks/{block_id:int}", block, methods=["PATCH", "DELETE"]),
    Route("/lessons/{lesson_id:int}/copy", copy_lesson, methods=["POST"]),
    Route("/courses/{course_id:int}/copy", copy_course, methods=["POST"]),
    Route("/shared-lessons", shared_lessons),
]
