"""Pages: My courses (/courses) and a course (/courses/{id}) with its lessons; editors add lessons there.

Every page calls the services (the same as the JSON API). A refused form comes back with its input and
the messages next to the fields (422); a successful one redirects (Post/Redirect/Get) with a notice.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.auth.current import page
from schoolcloud.courses import hooks, services, services_copy, services_lessons
from schoolcloud.courses.display import HELPERS
from schoolcloud.files import spaces
from schoolcloud.files.routes import actor, back, notify, take_notice
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render


def field_errors(exc: ValidationError) -> dict[str, str]:
    locale = current_locale.get()
    return {e.field or "_form": e.text(locale) for e in exc.errors}


@page
async def my_courses(request: Request):
    user = actor(request)
    courses = await services.my_courses(user)
    return render(request, "courses/list.html", page_title=_("My courses"), courses=courses)


async def render_course(request: Request, course_id, *, values=None, errors=None, status_code: int = 200):
    user = actor(request)
    view, lessons = await services_lessons.list_lessons(user, course_id)
    root = await spaces.root_of(await spaces.course_space(view.course))
    return render(request, "courses/course.html", status_code=status_code, page_title=view.course.name,
                  view=view, course=view.course, lessons=lessons, files_root_id=root.id,
                  now=services_lessons.now(), sections=await hooks.sections_for(user, view),
                  values=values or {"publish": "draft"}, errors=errors or {}, notice=take_notice(request),
                  copy_targets=[c for c in await services_copy.copy_targets(user) if c.id != view.course.id]
                  if view.may_edit else [], next_year=next_year(view.course.school_year), **HELPERS)


def next_year(school_year: str) -> str | None:
    try:
        return services_copy.next_school_year(school_year)
    except AppError:
        return None


@page
async def course_page(request: Request):
    return await render_course(request, request.path_params["course_id"])


@page
async def create_lesson(request: Request):
    user = actor(request)
    course_id = request.path_params["course_id"]
    form = await checked_form(request)
    try:
        lesson = await services_lessons.create_lesson(user, course_id, form)
    except ValidationError as exc:
        return await render_course(request, course_id, values=dict(form), errors=field_errors(exc),
                                   status_code=422)
    notify(request, "ok", _("The lesson %(title)s was created.", title=lesson.title))
    return back(f"/courses/{course_id}/lessons/{lesson.id}")


routes = [
    Route("/courses", my_courses),
    Route("/courses/{course_id:int}", course_page),
    Route("/courses/{course_id:int}/lessons", create_lesson, methods=["POST"]),
]
