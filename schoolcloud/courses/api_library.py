"""JSON API of the material library under /api/v1/library (teachers and school admins; pupils get 403)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from schoolcloud.api.common import json_body
from schoolcloud.courses import services_library
from schoolcloud.courses.api import lesson_json
from schoolcloud.courses.models import LibraryEntry
from schoolcloud.files import errors, tree
from schoolcloud.files.api import caller, files_context
from schoolcloud.files.serialize import node_json
from schoolcloud.privacy.pseudonyms import person_name


def entry_json(entry: LibraryEntry, keywords: list[str] | None = None) -> dict:
    body = {"id": entry.id, "kind": entry.kind, "title": entry.title, "description": entry.description,
            "subject": entry.subject, "grade_from": entry.grade_from, "grade_to": entry.grade_to,
            "licence": entry.licence, "lesson_id": entry.lesson_id, "node_id": entry.node_id,
            "published_at": entry.published_at.isoformat() if entry.published_at else None,
            "published_by": person_name(entry.published_by if entry.published_by_id else None,
                                        entry.published_by_pseudonym) or None}
    body["keywords"] = keywords if keywords is not None else [k.keyword for k in entry.keywords]
    body["file_url"] = f"/library/{entry.id}/file" if entry.node_id else None
    return body


async def library(request: Request) -> JSONResponse:
    """
    summary: Search the school's library (GET ?subject&grade&keyword&offset&limit; one indexed query, newest
      first) or publish (POST {"kind" lesson|file, "lesson_id"|"node_id", "subject", "grade_from", "grade_to"
      1-13, "keywords" list or comma-separated, "licence" cc0|cc-by|cc-by-sa|cc-by-nc|cc-by-nc-sa|cc-by-nd|school,
      "title"?, "description"?}).
    responses:
      200: {description: "{items: [entry], offset, limit, has_more}"}
      201: {description: The new entry.}
      403: {description: Pupils; or not an editor of the lesson / a writer of the file.}
      422: {description: Invalid fields; nothing was published.}
    """
    user = await caller(request)
    if request.method == "POST":
        body = await json_body(request)
        if body.get("kind") == "lesson":
            entry = await services_library.publish_lesson(user, body.get("lesson_id"), body)
        elif body.get("kind") == "file":
            entry = await services_library.publish_file(user, body.get("node_id"), body)
        else:
            raise errors.invalid_parameter("kind")
        await entry.fetch_related("published_by")
        return JSONResponse(entry_json(entry, services_library.keywords_of(body.get("keywords"))), status_code=201)
    query = request.query_params
    offset, limit = tree.page_bounds(query.get("offset"), query.get("limit"), 20)
    found = await services_library.search(user, subject=query.get("subject"), grade=query.get("grade"),
                                          keyword=query.get("keyword"), offset=offset, limit=limit)
    return JSONResponse({"items": [entry_json(e) for e in found.items], "offset": offset, "limit": limit,
                         "has_more": found.has_more})


async def library_entry(request: Request) -> Response:
    """
    summary: Withdraw an entry from the library (DELETE; its publisher or a school admin). The lesson or file stays.
    responses:
      204: {description: Withdrawn.}
      403: {description: Neither the publisher nor a school admin.}
      404: {description: No such entry in the caller's school.}
    """
    user = await caller(request)
    await services_library.withdraw(user, request.path_params["entry_id"])
    return Response(status_code=204)


async def library_copy(request: Request) -> JSONResponse:
    """
    summary: Copy an entry into a course the caller edits (POST {"course_id"}) - a lesson as a draft with its
      files, a file into the course space's top folder.
    responses:
      201: {description: "{lesson} or {node}"}
      404: {description: No such entry or course for the caller.}
      507: {description: The course space has not enough room.}
    """
    user = await caller(request)
    body = await json_body(request)
    copy = await services_library.copy_entry(files_context(request), user, request.path_params["entry_id"],
                                             body.get("course_id"))
    if hasattr(copy, "course_id"):
        return JSONResponse({"lesson": lesson_json(copy)}, status_code=201)
    return JSONResponse({"node": node_json(copy)}, status_code=201)


routes = [
    Route("/library", library, methods=["GET", "POST"]),
    Route("/library/{entry_id:int}", library_entry, methods=["DELETE"]),
    Route("/library/{entry_id:int}/copy", library_copy, methods=["POST"]),
]
