"""Pages that take files: a pupil hands in (text and files), a teacher adds material, a teacher gives
feedback (text, files, grade) on the grading page.

Forms are ``multipart/form-data`` parsed as they arrive (``files.routes_upload.stream_form``): each file
streams through the files layer (``content.upload``: upload limit and quota while streaming) into the
user's work folder. With JavaScript (static/tasks-upload.js) the files go through the resumable tus
endpoint first, with a progress bar, and the form follows without them. Everything that can refuse is
checked before the first byte is stored (deadline, grade); a refusal shows the page again with what was
typed, and nothing saved before is lost.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from schoolcloud.auth.current import page
from schoolcloud.files import content
from schoolcloud.files.names import OnConflict
from schoolcloud.files.routes import actor, back, files_context, human_size, notify, refused, take_notice
from schoolcloud.files.routes_upload import stream_form
from schoolcloud.tasks import access, grading, submissions, workfolders
from schoolcloud.tasks.models import WorkPurpose
from schoolcloud.tasks.pages import grade_options, helpers
from schoolcloud.tasks.routes import task_context
from schoolcloud.tasks.validation import check_grade
from schoolcloud.web.csrf import CsrfError, checked_form
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

UPLOAD_PREFIX = "/tasks/upload/"  # exempt from the app's body limit: these forms stream their files


def _base_name(filename: str) -> str:
    return filename.replace("\\", "/").rsplit("/", 1)[-1]


async def _stream_into(request: Request, user, folder_id: int, fields: dict, before_first_file=None) -> int:
    """Parse the form, storing each file into the folder; returns how many files came."""
    ctx = files_context(request)
    count = 0

    async def store(filename: str, content_type: str | None, chunks) -> None:
        nonlocal count
        if count == 0 and before_first_file is not None:
            before_first_file()
        await content.upload(ctx, user, folder_id, _base_name(filename), chunks, content_type=content_type,
                             on_conflict=OnConflict.RENAME)
        count += 1

    await stream_form(request, store, fields)
    return count


async def _read_text_only(request: Request, fields: dict, refusal: AppError) -> None:
    """Read the form's text fields (they come before the files) so the page can show them again; the
    first file part ends the reading with the refusal, before any of its bytes is stored."""

    async def refuse(filename, content_type, chunks) -> None:
        raise refusal

    try:
        await stream_form(request, refuse, fields)
    except (AppError, ClientDisconnect):
        pass


@page
async def hand_in(request: Request):
    """A pupil hands in: the text and the files of this form (plus those already in the work folder)."""
    user = actor(request)
    task_id = request.path_params["task_id"]
    fields: dict[str, str] = {}
    try:
        try:
            _view, folder = await submissions.submission_folder(user, task_id)  # refuses before any byte
        except AppError as exc:
            await _read_text_only(request, fields, exc)
            raise
        await _stream_into(request, user, folder.id, fields)
        version = await submissions.submit(user, task_id, fields.get("text", ""))
    except CsrfError:
        raise
    except ClientDisconnect:
        return Response(status_code=400)
    except AppError as exc:
        if exc.status_code == 404:
            raise
        view = await access.task_view(user, task_id)
        return render(request, "tasks/task.html", status_code=exc.status_code, page_title=view.task.title,
                      notice=None, grade_options=grade_options,
                      **await task_context(user, view, text=fields.get("text", ""),
                                           error=exc.text(current_locale.get())), **helpers())
    notify(request, "ok", _("Handed in (version %(number)s).", number=version.number))
    return back(f"/tasks/{task_id}")


@page
async def add_material(request: Request):
    user = actor(request)
    task_id = request.path_params["task_id"]
    here = f"/tasks/{task_id}"
    try:
        view = await access.teacher_view(user, task_id)
        folder = await workfolders.work_folder(user, view.task, WorkPurpose.ATTACHMENTS)
        count = await _stream_into(request, user, folder.id, {})
    except CsrfError:
        raise
    except ClientDisconnect:
        return Response(status_code=400)
    except AppError as exc:
        if exc.status_code == 404:
            raise
        return refused(request, exc, here)
    notify(request, "ok", _("Files added: %(count)s", count=count) if count else _("Please choose at least one file."))
    return back(here)


async def _grading_context(user, submission_id) -> dict:
    view, submission = await grading.teacher_submission(user, submission_id)
    who = await grading.overview(user, view.task.id)
    row = next((r for r in who[1].rows if r.submission and r.submission.id == submission.id), None)
    label = row.label if row else ""
    folder = await workfolders.existing_work_folder(
        user, view.task.id, workfolders.work_key(WorkPurpose.FEEDBACK, submission.id))
    return {"view": view, "task": view.task, "submission": submission, "label": label,
            "members": row.pupils if row else [], "versions": await submissions.versions_of(submission),
            "feedback_files": await grading.feedback_files(submission), "human_size": human_size,
            "folder": folder, "folder_files": await workfolders.folder_files([folder.id]) if folder else [],
            "grades": grade_options(view.task.grade_scale)}


@page
async def grading_page(request: Request):
    user = actor(request)
    context = await _grading_context(user, request.path_params["submission_id"])
    if context["task"].id != request.path_params["task_id"]:
        return back(f"/tasks/{context['task'].id}/submissions/{context['submission'].id}")
    return render(request, "tasks/grading.html", page_title=_("Feedback: %(who)s", who=context["label"]),
                  notice=take_notice(request), values={}, error=None, **context, **helpers())


@page
async def save_feedback(request: Request):
    """Grade, feedback text and files in one form; a grade off the scale is refused before any file is
    stored, and the form comes back with what was typed."""
    user = actor(request)
    submission_id = request.path_params["submission_id"]
    fields: dict[str, str] = {}
    try:
        view, submission = await grading.teacher_submission(user, submission_id)

        def check() -> None:
            check_grade(view.task.grade_scale, fields.get("grade"))

        folder = await grading.feedback_folder(user, view, submission, str(submission.id))
        await _stream_into(request, user, folder.id, fields, before_first_file=check)
        await grading.save_feedback(user, submission_id, grade=fields.get("grade"), feedback=fields.get("feedback"),
                                    release=bool(fields.get("release")))
    except CsrfError:
        raise
    except ClientDisconnect:
        return Response(status_code=400)
    except AppError as exc:
        if exc.status_code == 404:
            raise
        context = await _grading_context(user, submission_id)
        return render(request, "tasks/grading.html", status_code=exc.status_code,
                      page_title=_("Feedback: %(who)s", who=context["label"]), notice=None, values=fields,
                      error=exc.text(current_locale.get()), **context, **helpers())
    notify(request, "ok", _("The feedback was released.") if fields.get("release") else _("The feedback was saved."))
    return back(f"/tasks/{view.task.id}/submissions/{submission.id}")


@page
async def reopen_submission(request: Request):
    user = actor(request)
    await checked_form(request)
    view, submission = await grading.teacher_submission(user, request.path_params["submission_id"])
    await grading.reopen(user, submission.id)
    notify(request, "ok", _("The work was given back: a new version can be handed in."))
    return back(f"/tasks/{view.task.id}/submissions/{submission.id}")


routes = [
    Route("/tasks/upload/{task_id:int}/hand-in", hand_in, methods=["POST"]),
    Route("/tasks/upload/{task_id:int}/material", add_material, methods=["POST"]),
    Route("/tasks/upload/feedback/{submission_id:int}", save_feedback, methods=["POST"]),
    Route("/tasks/{task_id:int}/submissions/{submission_id:int}", grading_page),
    Route("/tasks/submissions/{submission_id:int}/reopen", reopen_submission, methods=["POST"]),
]
