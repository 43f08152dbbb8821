"""Plan pages: the list (/plans; school administrators create a plan or import one from its JSON
export there), and the carrier's entry point. Forms carry the CSRF token; Post/Redirect/Get."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts.models import Role
from schoolcloud.auth.current import page
from schoolcloud.files.routes import actor, back, notify, refused, short_time, take_notice
from schoolcloud.planning import domain, services_plans
from schoolcloud.planning.services_status import STATUS_LABELS
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

@page
async def plans_page(request: Request):
    user = actor(request)
    plans = await services_plans.list_plans(user)
    return render(request, "planning/list.html", page_title=_("Media development plans"), plans=plans,
                  may_create=user.role == Role.SCHOOL_ADMIN, is_carrier=user.role == Role.CARRIER,
                  programmes=domain.programmes(), status_labels=STATUS_LABELS, short_time=short_time,
                  notice=take_notice(request))


@page
async def create(request: Request):
    user = actor(request)
    form = await checked_form(request)
    try:
        plan = await services_plans.create_plan(user, title=form.get("title"), programme=form.get("programme"))
    except ValidationError as exc:
        notify(request, "error", " ".join(e.text(current_locale.get()) for e in exc.errors))
        return back("/plans")
    except AppError as exc:
        return refused(request, exc, "/plans")
    notify(request, "ok", _("The plan was created. Start with the school and its goals."))
    return back(f"/plans/{plan.id}/steps/profile")


@page
async def import_json(request: Request):
    user = actor(request)
    form = await checked_form(request)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        notify(request, "error", _("Please choose a file."))
        return back("/plans")
    data = await upload.read()  # the request's size is limited by the BodyLimit middleware
    try:
        plan = await services_plans.import_plan(user, data)
    except ValidationError as exc:
        notify(request, "error", " ".join(e.text(current_locale.get()) for e in exc.errors))
        return back("/plans")
    except AppError as exc:
        return refused(request, exc, "/plans")
    notify(request, "ok", _("The plan was imported as a new draft."))
    return back(f"/plans/{plan.id}")


routes = [
    Route("/plans", plans_page),
    Route("/plans/new", create, methods=["POST"]),
    Route("/plans/import", import_json, methods=["POST"]),
]
