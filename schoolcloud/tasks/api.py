"""JSON API of tasks, submissions, feedback and notifications (under /api/v1).

Uploads go through the files API: ask for a work folder (``.../folder``), upload into it with tus
(``/api/v1/files/tus``, metadata ``folder``) or ``/api/v1/files/upload/{folder}``, then hand in (the
folder's files at that moment are recorded with the text).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from schoolcloud.api.common import api_user, json_body
from schoolcloud.files.serving import content_disposition, file_response
from schoolcloud.tasks import access, downloads, grading, home, notifications, services, submissions, workfolders
from schoolcloud.tasks.models import WorkPurpose
from schoolcloud.tasks.serialize import iso, notification_json, submission_json, task_json
from schoolcloud.tasks.validation import task_input
from schoolcloud.web.errors import Forbidden, NotFound


def _files(request: Request):
    return request.app.state.files


async def course_tasks(request: Request) -> JSONResponse:
    """
    summary: A course's tasks (GET; teachers all, pupils those for them) or a new task (POST, teachers).
    description: 'POST {"title", "instructions" (Markdown), "available_from"?, "due_at"? (ISO 8601; without offset
      Europe/Berlin), "late_allowed", "audience": "course"|"chosen", "pupil_ids": [..], "group_submission",
      "groups": [{"name", "pupil_ids"}], "grade_scale": "grades"|"points"|"none"}'
    responses:
      200: {description: "{items: [task]}"}
      201: {description: The new task.}
      404: {description: No such course for the caller.}
      422: {description: Invalid fields.}
    """
    user = await api_user(request)
    course_id = request.path_params["course_id"]
    if request.method == "POST":
        task = await services.create_task(user, course_id, task_input(await json_body(request)))
        return JSONResponse(task_json(task, access.TEACHER), status_code=201)
    course, role, tasks = await services.course_tasks(user, course_id)
    return JSONResponse({"course": {"id": course.id, "name": course.name}, "role": role,
                         "items": [task_json(t) for t in tasks]})


async def task_detail(request: Request) -> Response:
    """
    summary: One task (GET), change it (PATCH, the same fields as POST; teachers) or delete it (DELETE).
    responses:
      200: {description: The task with its attachments.}
      204: {description: Deleted.}
      404: {description: No such task for the caller.}
    """
    user = await api_user(request)
    task_id = request.path_params["task_id"]
    if request.method == "DELETE":
        await services.delete_task(request.app.state.files, user, task_id)
        return Response(status_code=204)
    if request.method == "PATCH":
        await services.update_task(user, task_id, task_input(await json_body(request)))
    view = await access.task_view(user, task_id)
    return JSONResponse(task_json(view.task, view.role, await workfolders.attachments(view.task.id)))


async def close_task(request: Request) -> JSONResponse:
    """
    summary: 'Close a task (no more hand-ins) or open it again: {"closed": bool}; teachers.'
    responses:
      200: {description: The task.}
    """
    user = await api_user(request)
    body = await json_body(request)
    task = await services.set_closed(user, request.path_params["task_id"], body.get("closed") is True)
    return JSONResponse(task_json(task, access.TEACHER))


async def attachments_folder(request: Request) -> JSONResponse:
    """
    summary: The caller's material folder of the task (made on first use); upload into it to attach files.
    responses:
      200: {description: "{folder_id}"}
    """
    user = await api_user(request)
    view = await access.teacher_view(user, request.path_params["task_id"])
    folder = await workfolders.work_folder(user, view.task, WorkPurpose.ATTACHMENTS)
    return JSONResponse({"folder_id": folder.id})


async def attachment(request: Request) -> Response:
    """
    summary: Download one file of the task's material.
    responses:
      200: {description: The file.}
      404: {description: No such file of this task for the caller.}
    """
    user = await api_user(request)
    served = await downloads.attachment(user, request.path_params["task_id"], request.path_params["node_id"])
    return await file_response(request, _files(request).store, served.node, served.version,
                               force_download=request.query_params.get("download") == "1")


async def overview(request: Request) -> JSONResponse:
    """
    summary: Teachers - every pupil (or group) of the task with the state of their work.
    description: state is missing, submitted, late, graded or released.
    responses:
      200: {description: "{counts, items: [{label, pupils, state, submission_id, grade}]}"}
    """
    user = await api_user(request)
    _view, result = await grading.overview(user, request.path_params["task_id"])
    return JSONResponse({"counts": result.counts, "items": [{
        "label": row.label, "pupils": [{"id": str(p.public_id), "name": p.display_name} for p in row.pupils],
        "group_id": row.group.id if row.group else None, "state": row.status,
        "submission_id": row.submission.id if row.submission else None,
        "submitted_at": iso(row.submission.submitted_at) if row.submission else None,
        "grade": (row.submission.grade or None) if row.submission else None} for row in result.rows]})


async def submissions_zip(request: Request) -> Response:
    """
    summary: Teachers - all submissions of the task as one ZIP (a folder per pupil or group, latest versions).
    responses:
      200: {description: application/zip, streamed.}
    """
    user = await api_user(request)
    name, entries = await downloads.zip_entries(user, request.path_params["task_id"])
    return StreamingResponse(downloads.zip_stream(_files(request), entries), media_type="application/zip",
                             headers={"Content-Disposition": content_disposition(name, False),
                                      "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


async def release(request: Request) -> JSONResponse:
    """
    summary: Teachers - release the feedback of every graded submission at once.
    responses:
      200: {description: "{released: n}"}
    """
    user = await api_user(request)
    return JSONResponse({"released": await grading.release_all(user, request.path_params["task_id"])})


async def my_submission(request: Request) -> JSONResponse:
    """
    summary: 'Pupils - own (or own group''s) submission (GET), or hand in a new version (POST {"text"}).'
    description: A hand-in records the text and the files now in the pupil's work folder.
    responses:
      200: {description: "{state, group, submission|null}"}
      201: {description: The submission with the new version.}
      409: {description: Past the due date without late work, task closed, or already graded.}
      422: {description: Nothing to hand in, or text too long.}
    """
    user = await api_user(request)
    task_id = request.path_params["task_id"]
    if request.method == "POST":
        body = await json_body(request)
        await submissions.submit(user, task_id, body.get("text"))
    view = await access.task_view(user, task_id)
    if view.is_teacher:
        raise Forbidden()
    submission = await submissions.own_submission(view, user)
    body = {"state": services.submission_state(view.task), "group": await submissions.group_names(view),
            "submission": None}
    if submission is not None:
        body["submission"] = submission_json(submission, await submissions.versions_of(submission),
                                             await grading.feedback_files(submission), teacher=False)
    return JSONResponse(body, status_code=201 if request.method == "POST" else 200)


async def my_folder(request: Request) -> JSONResponse:
    """
    summary: Pupils - the work folder to upload files for the hand-in to (made on first use).
    responses:
      200: {description: "{folder_id}"}
      409: {description: Nothing can be handed in any more.}
    """
    user = await api_user(request)
    _view, folder = await submissions.submission_folder(user, request.path_params["task_id"])
    return JSONResponse({"folder_id": folder.id})


async def submission_detail(request: Request) -> JSONResponse:
    """
    summary: One submission with all versions; for its teachers, or the pupil (group) it belongs to.
    responses:
      200: {description: The submission.}
      404: {description: No such submission for the caller.}
    """
    user = await api_user(request)
    view, submission = await access.submission_view(user, request.path_params["submission_id"])
    return JSONResponse(submission_json(submission, await submissions.versions_of(submission),
                                        await grading.feedback_files(submission), teacher=view.is_teacher))


async def feedback(request: Request) -> JSONResponse:
    """
    summary: 'Teachers - grade and comment: PUT {"grade", "feedback" (Markdown), "release": bool}.'
    description: The files in the teacher's feedback folder for this submission go with the feedback.
    responses:
      200: {description: The submission.}
      422: {description: Grade off the task's scale.}
    """
    user = await api_user(request)
    body = await json_body(request)
    submission = await grading.save_feedback(user, request.path_params["submission_id"], grade=body.get("grade"),
                                             feedback=body.get("feedback"), release=body.get("release") is True)
    return JSONResponse(submission_json(submission, await submissions.versions_of(submission),
                                        await grading.feedback_files(submission), teacher=True))


async def feedback_folder(request: Request) -> JSONResponse:
    """
    summary: Teachers - the folder for feedback files of this submission (made on first use).
    responses:
      200: {description: "{folder_id}"}
    """
    user = await api_user(request)
    view, submission = await grading.teacher_submission(user, request.path_params["submission_id"])
    folder = await grading.feedback_folder(user, view, submission, str(submission.id))
    return JSONResponse({"folder_id": folder.id})


async def reopen(request: Request) -> JSONResponse:
    """
    summary: Teachers - give graded work back so the pupil can hand in again.
    responses:
      200: {description: "{id, graded: false}"}
    """
    user = await api_user(request)
    submission = await grading.reopen(user, request.path_params["submission_id"])
    return JSONResponse({"id": submission.id, "graded": False})


async def task_file(request: Request) -> Response:
    """
    summary: Download a handed-in file (exactly the version handed in) or a feedback file.
    responses:
      200: {description: The file.}
      404: {description: No such file for the caller (feedback files only once released).}
      410: {description: The owner has deleted the file.}
    """
    user = await api_user(request)
    kind = request.path_params["kind"]
    if kind == "submitted":
        served = await downloads.submitted_file(user, request.path_params["file_id"])
    elif kind == "feedback":
        served = await downloads.feedback_file(user, request.path_params["file_id"])
    else:
        raise NotFound("file")
    return await file_response(request, _files(request).store, served.node, served.version,
                               force_download=request.query_params.get("download") == "1")


async def notification_list(request: Request) -> JSONResponse:
    """
    summary: The caller's notifications, newest first (?offset=), with the unread count.
    responses:
      200: {description: "{unread, items: [{id, kind: new_task|due_soon|feedback|retention, created_at, read, task}], has_more}; retention (to school admins, task null): retention rules not applied until saved on /admin/retention"}
    """
    user = await api_user(request)
    try:
        offset = max(0, int(request.query_params.get("offset") or 0))
    except ValueError:
        offset = 0
    rows, more = await notifications.recent(user, offset)
    return JSONResponse({"unread": await notifications.unread_count(user),
                         "items": [notification_json(r) for r in rows], "has_more": more})


async def notification_read(request: Request) -> JSONResponse:
    """
    summary: 'Mark notifications read: {"id": n} one, {} all.'
    responses:
      200: {description: "{marked, unread}"}
    """
    user = await api_user(request)
    body = await json_body(request)
    marked = await notifications.mark_read(user, body.get("id"))
    return JSONResponse({"marked": marked, "unread": await notifications.unread_count(user)})


async def start(request: Request) -> JSONResponse:
    """
    summary: The start page's sections for the caller (pupils - open tasks, new feedback; teachers - tasks with
      work waiting for feedback).
    responses:
      200: {description: "{open_tasks, new_feedback, waiting}"}
    """
    user = await api_user(request)
    return JSONResponse({
        "open_tasks": [{**task_json(t), "course": t.course.name} for t in await home.open_tasks(user)],
        "new_feedback": [{"submission_id": s.id, "task_id": s.task_id, "title": s.task.title,
                          "course": s.task.course.name, "released_at": iso(s.feedback_released_at)}
                         for s in await home.new_feedback(user)],
        "waiting": [{**row, "due_at": iso(row["due_at"])} for row in await home.tasks_with_new_work(user)],
    })


routes = [
    Route("/courses/{course_id}/tasks", course_tasks, methods=["GET", "POST"]),
    Route("/tasks/{task_id}", task_detail, methods=["GET", "PATCH", "DELETE"]),
    Route("/tasks/{task_id}/close", close_task, methods=["POST"]),
    Route("/tasks/{task_id}/attachments-folder", attachments_folder, methods=["POST"]),
    Route("/tasks/{task_id}/attachments/{node_id}", attachment, methods=["GET", "HEAD"]),
    Route("/tasks/{task_id}/submissions", overview),
    Route("/tasks/{task_id}/submissions.zip", submissions_zip),
    Route("/tasks/{task_id}/release", release, methods=["POST"]),
    Route("/tasks/{task_id}/my-submission", my_submission, methods=["GET", "POST"]),
    Route("/tasks/{task_id}/my-submission/folder", my_folder, methods=["POST"]),
    Route("/submissions/{submission_id}", submission_detail),
    Route("/submissions/{submission_id}/feedback", feedback, methods=["PUT"]),
    Route("/submissions/{submission_id}/feedback-folder", feedback_folder, methods=["POST"]),
    Route("/submissions/{submission_id}/reopen", reopen, methods=["POST"]),
    Route("/task-files/{kind}/{file_id}", task_file, methods=["GET", "HEAD"]),
    Route("/notifications", notification_list),
    Route("/notifications/read", notification_read, methods=["POST"]),
    Route("/start", start),
]
