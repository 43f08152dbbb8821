"""Task pages: my tasks (/tasks), a course's tasks (/courses/{id}/tasks), the task form (new, edit) and
a task (/tasks/{id}: for teachers the overview of who handed in, for pupils their own work and
feedback). Forms carry the CSRF token; Post/Redirect/Get with a notice; the same services as the API."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts.models import Course, Role, User
from schoolcloud.accounts.pages import errors_by_field
from schoolcloud.auth.current import page
from schoolcloud.courses import hooks
from schoolcloud.courses.models import Lesson
from schoolcloud.courses.services_lessons import is_visible
from schoolcloud.files.routes import actor, back, human_size, notify, refused, take_notice
from schoolcloud.privacy.pseudonyms import person_name
from schoolcloud.tasks import access, grading, services, submissions, workfolders
from schoolcloud.tasks.models import Audience, GradeScale, Task, WorkPurpose
from schoolcloud.tasks.pages import grade_options, helpers, input_time
from schoolcloud.tasks.validation import task_input
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

MAX_GROUP_CHOICES = 20


@page
async def my_tasks(request: Request):
    """Every task of the user's courses: pupils those for them, teachers those of courses they teach."""
    user = actor(request)
    if user.role == Role.PUPIL and user.school_id is not None:
        query = Task.filter(access.visible_to_pupil(user))
    elif user.role == Role.TEACHER and user.school_id is not None:
        query = Task.filter(course_id__in=access.taught_courses(user))
    else:
        query = Task.filter(id=0)
    tasks = await query.select_related("course").order_by("-available_from", "-id").limit(200)
    courses = await Course.filter(id__in=access.taught_courses(user)).order_by("name") \
        if user.role == Role.TEACHER and user.school_id is not None else []
    return render(request, "tasks/list.html", page_title=_("Tasks"), tasks=tasks, course=None, role=None,
                  courses=courses, notice=take_notice(request), **helpers())


@page
async def course_tasks(request: Request):
    user = actor(request)
    course, role, tasks = await services.course_tasks(user, request.path_params["course_id"])
    for task in tasks:
        task.course = course
    return render(request, "tasks/list.html", page_title=_("Tasks of %(course)s", course=course.name), tasks=tasks,
                  course=course, role=role, courses=[], notice=take_notice(request), **helpers())


def _form_data(form) -> dict:
    """The task form's fields as the services read them (the same shape as the JSON API)."""
    data = {name: form.get(name) for name in ("title", "instructions", "available_from", "due_at", "late_allowed",
                                               "audience", "group_submission", "grade_scale", "lesson_id")}
    data["pupil_ids"] = form.getlist("pupil_ids")
    groups: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if key.startswith("group-") and value:
            groups.setdefault(value, []).append(key.removeprefix("group-"))
    data["groups"] = [{"name": _("Group %(number)s", number=number), "pupil_ids": ids}
                      for number, ids in sorted(groups.items(), key=lambda item: (len(item[0]), item[0]))]
    return data


def _values(task: Task | None, members=None) -> dict:
    if task is None:
        return {"audience": Audience.COURSE, "grade_scale": GradeScale.GRADES, "pupil_ids": set(), "group_of": {}}
    values = {"title": task.title, "instructions": task.instructions,
              "available_from": input_time(task.available_from), "due_at": input_time(task.due_at),
              "late_allowed": task.late_allowed, "audience": task.audience, "group_submission": task.group_submission,
              "grade_scale": task.grade_scale, "lesson_id": task.lesson_id or "", "pupil_ids": set(), "group_of": {}}
    if members is not None:
        values["pupil_ids"] = {p.id for p in members.pupils} if task.audience == Audience.CHOSEN else set()
        numbers = {g.id: str(n) for n, g in enumerate(members.groups, start=1)}
        values["group_of"] = {pid: numbers[g.id] for pid, g in members.group_of.items()}
    return values


def _posted_values(form) -> dict:
    values = {name: form.get(name) or "" for name in ("title", "instructions", "available_from", "due_at",
                                                       "audience", "grade_scale", "lesson_id")}
    values["late_allowed"] = bool(form.get("late_allowed"))
    values["group_submission"] = bool(form.get("group_submission"))
    values["pupil_ids"] = {int(v) for v in form.getlist("pupil_ids") if str(v).isdigit()}
    values["group_of"] = {int(k.removeprefix("group-")): v for k, v in form.multi_items()
                          if k.startswith("group-") and k.removeprefix("group-").isdigit() and v}
    return values


async def _task_form(request: Request, course, pupils, values, errors, task=None):
    lessons = [(lesson.id, lesson.title) for lesson in
               await Lesson.filter(course_id=course.id).order_by("position", "id").limit(500)]
    return render(request, "tasks/form.html", status_code=422 if errors else 200,
                  page_title=_("Edit task") if task else _("New task"), course=course, task=task, pupils=pupils,
                  lessons=lessons,
                  values=values, errors=errors, group_choices=range(1, min(max(len(pupils), 1), MAX_GROUP_CHOICES) + 1),
                  scales=[(k, _(v)) for k, v in helpers()["scale_labels"].items()], **helpers())


@page
async def new_task(request: Request):
    user = actor(request)
    course = await access.require_course_teacher(user, request.path_params["course_id"])
    pupils = await services.course_pupils(course)
    values, errors = _values(None), {}
    if request.method == "POST":
        form = await checked_form(request)
        values = _posted_values(form)
        try:
            task = await services.create_task(user, course.id, task_input(_form_data(form)))
        except ValidationError as exc:
            errors = errors_by_field(exc)
        except AppError as exc:
            errors = {exc.field or "_form": exc.text(current_locale.get())}
        else:
            notify(request, "ok", _("The task was created."))
            return back(f"/tasks/{task.id}")
    return await _task_form(request, course, pupils, values, errors)


@page
async def edit_task(request: Request):
    user = actor(request)
    view = await access.teacher_view(user, request.path_params["task_id"])
    pupils = await services.course_pupils(view.task.course)
    values, errors = _values(view.task, await services.recipients(view)), {}
    if request.method == "POST":
        form = await checked_form(request)
        values = _posted_values(form)
        try:
            await services.update_task(user, view.task.id, task_input(_form_data(form)))
        except ValidationError as exc:
            errors = errors_by_field(exc)
        except AppError as exc:
            errors = {exc.field or "_form": exc.text(current_locale.get())}
        else:
            notify(request, "ok", _("The changes were saved."))
            return back(f"/tasks/{view.task.id}")
    return await _task_form(request, view.task.course, pupils, values, errors, task=view.task)


async def task_context(user, view, *, text: str = "", error: str | None = None) -> dict:
    """What the task page shows: teachers the overview, pupils their own work."""
    task = view.task
    lesson = await Lesson.get_or_none(id=task.lesson_id) if task.lesson_id else None
    if lesson is not None and not view.is_teacher and not is_visible(lesson):
        lesson = None  # a draft lesson stays hidden from pupils
    author = await User.get_or_none(id=task.created_by_id) if task.created_by_id else None
    context = {"view": view, "task": task, "state": services.submission_state(task), "lesson": lesson,
               "author": person_name(author, task.created_by_pseudonym),
               "attachments": await workfolders.attachments(task.id), "human_size": human_size, "error": error,
               "text": text}
    if view.is_teacher:
        _view, context["overview"] = await grading.overview(user, task.id)
        context["material_folder"] = await workfolders.existing_work_folder(user, task.id, WorkPurpose.ATTACHMENTS)
    else:
        submission = await submissions.own_submission(view, user)
        context["submission"] = submission
        context["versions"] = await submissions.versions_of(submission) if submission else []
        context["feedback_files"] = await grading.feedback_files(submission) if submission else []
        context["group"] = await submissions.group_names(view)
        folder = await workfolders.existing_work_folder(user, task.id, WorkPurpose.SUBMISSION)
        context["work_folder"] = folder
        context["work_files"] = await workfolders.folder_files([folder.id]) if folder else []
        context["can_submit"] = context["state"] != "closed" and (submission is None or submission.graded_at is None)
    return context


@page
async def task_page(request: Request):
    user = actor(request)
    view = await access.task_view(user, request.path_params["task_id"])
    return render(request, "tasks/task.html", page_title=view.task.title, notice=take_notice(request),
                  grade_options=grade_options, **await task_context(user, view), **helpers())


async def _teacher_action(request: Request, action, done: str):
    user = actor(request)
    task_id = request.path_params["task_id"]
    await checked_form(request)
    try:
        result = await action(user, task_id)
    except AppError as exc:
        return refused(request, exc, f"/tasks/{task_id}")
    notify(request, "ok", done if "%(count)s" not in done else done % {"count": result})
    return back(f"/tasks/{task_id}")


@page
async def close_task(request: Request):
    return await _teacher_action(request, lambda u, t: services.set_closed(u, t, True),
                                 _("The task is closed: nothing more can be handed in."))


@page
async def reopen_task(request: Request):
    return await _teacher_action(request, lambda u, t: services.set_closed(u, t, False),
                                 _("The task is open again."))


@page
async def release_feedback(request: Request):
    return await _teacher_action(request, grading.release_all, _("Feedback released: %(count)s"))


@page
async def delete_task(request: Request):
    user = actor(request)
    view = await access.teacher_view(user, request.path_params["task_id"])
    await checked_form(request)
    await services.delete_task(request.app.state.files, user, view.task.id)
    notify(request, "ok", _("The task was deleted."))
    return back(f"/courses/{view.task.course_id}/tasks")


async def course_section(user, course_view) -> dict | None:
    """The tasks section of the course page (schoolcloud.courses.hooks); nothing for those who see no
    tasks of the course (e.g. the school's administrators)."""
    try:
        course, role, tasks = await services.course_tasks(user, course_view.course.id)
    except AppError:
        return None
    return {"course": course, "role": role, "tasks": tasks, **helpers()}


async def task_links(user, course, task_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Titles and addresses of the tasks that lessons link to, only those the user may see."""
    try:
        _course, _role, tasks = await services.course_tasks(user, course.id)
    except AppError:
        return {}
    wanted = set(task_ids)
    return {t.id: (t.title, f"/tasks/{t.id}") for t in tasks if t.id in wanted}


hooks.add_course_section("tasks/_course_tasks.html", course_section)
hooks.set_task_links(task_links)

routes = [
    Route("/tasks", my_tasks),
    Route("/courses/{course_id:int}/tasks", course_tasks),
    Route("/courses/{course_id:int}/tasks/new", new_task, methods=["GET", "POST"]),
    Route("/tasks/{task_id:int}", task_page),
    Route("/tasks/{task_id:int}/edit", edit_task, methods=["GET", "POST"]),
    Route("/tasks/{task_id:int}/close", close_task, methods=["POST"]),
    Route("/tasks/{task_id:int}/reopen", reopen_task, methods=["POST"]),
    Route("/tasks/{task_id:int}/release", release_feedback, methods=["POST"]),
    Route("/tasks/{task_id:int}/delete", delete_task, methods=["POST"]),
]
