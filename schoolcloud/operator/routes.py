"""Pages for operators: /operator/schools (list, create, edit, deactivate) and a school's first admin."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts import services
from schoolcloud.accounts.pages import (
    actor,
    errors_by_field,
    form,
    form_values,
    hand_over_credentials,
    notify,
    redirect,
    take_notice,
)
from schoolcloud.accounts.permissions import require_operator
from schoolcloud.accounts.services_base import CredentialsBatch
from schoolcloud.accounts.validation import STATES
from schoolcloud.auth.current import page
from schoolcloud.web.errors import ValidationError
from schoolcloud.web.i18n import N_
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

SCHOOL_FIELDS = ("name", "school_number", "state")
ADMIN_FIELDS = ("given_name", "family_name", "email", "username")


def _school_url(school) -> str:
    return f"/operator/schools/{school.id}"


@page
async def schools(request: Request):
    user = actor(request)
    return render(request, "operator/schools.html", page_title=_("Schools"),
                  schools=await services.list_schools(user), notice=take_notice(request))


async def _school_form(request: Request, user, school=None):
    values = {name: getattr(school, name) or "" for name in SCHOOL_FIELDS} if school else {}
    errors: dict = {}
    if request.method == "POST":
        values = form_values(await form(request), SCHOOL_FIELDS)
        try:
            if school is None:
                school = await services.create_school(user, **values)
                notify(request, N_("The school was created. Now create its first administrator."))
            else:
                await services.update_school(user, school.id, **values)
                notify(request, N_("The changes were saved."))
        except ValidationError as exc:
            errors = errors_by_field(exc)
        else:
            return redirect(_school_url(school))
    return render(request, "operator/school_form.html", status_code=422 if errors else 200,
                  page_title=_("Edit school") if school else _("New school"), values=values, errors=errors,
                  school=school, states=[(code, code) for code in STATES])


@page
async def school_new(request: Request):
    user = actor(request)
    require_operator(user)
    return await _school_form(request, user)


@page
async def school_edit(request: Request):
    user = actor(request)
    return await _school_form(request, user, await services.get_school(user, request.path_params["school_id"]))


async def _detail(request: Request, user, school, *, values=None, errors=None, status=200):
    overview = await services.school_overview(user, school)
    return render(request, "operator/school_detail.html", status_code=status, page_title=school.name,
                  school=school, overview=overview, values=values or {}, errors=errors or {},
                  notice=take_notice(request))


@page
async def school_detail(request: Request):
    user = actor(request)
    return await _detail(request, user, await services.get_school(user, request.path_params["school_id"]))


@page
async def school_deactivate(request: Request):
    user = actor(request)
    school = await services.get_school(user, request.path_params["school_id"])
    if request.method == "POST":
        await form(request)
        await services.deactivate_school(user, school.id)
        notify(request, N_("The school was deactivated. Its accounts can no longer log in."))
        return redirect(_school_url(school))
    return render(request, "accounts/confirm.html", page_title=_("Deactivate school"),
                  question=_("Deactivate %(name)s?", name=school.name),
                  explanation=_("Nobody of this school can log in any more, and open sessions end now. Nothing is "
                                "deleted; you can reactivate the school later."),
                  action=f"{_school_url(school)}/deactivate", button=_("Deactivate"), back=_school_url(school),
                  danger=True)


@page
async def school_reactivate(request: Request):
    user = actor(request)
    await form(request)
    school = await services.activate_school(user, request.path_params["school_id"])
    notify(request, N_("The school was reactivated."))
    return redirect(_school_url(school))


@page
async def school_admin_new(request: Request):
    user = actor(request)
    school = await services.get_school(user, request.path_params["school_id"])
    values = form_values(await form(request), ADMIN_FIELDS)
    try:
        _admin, credentials = await services.create_first_admin(user, school.id, **values)
    except ValidationError as exc:
        return await _detail(request, user, school, values=values, errors=errors_by_field(exc), status=422)
    await hand_over_credentials(request, user, CredentialsBatch(school.name, [credentials]))
    notify(request, N_("The school administrator was created."))
    return redirect("/credentials", next=_school_url(school))


routes = [
    Route("/operator/schools", schools),
    Route("/operator/schools/new", school_new, methods=["GET", "POST"]),
    Route("/operator/schools/{school_id:int}", school_detail),
    Route("/operator/schools/{school_id:int}/edit", school_edit, methods=["GET", "POST"]),
    Route("/operator/schools/{school_id:int}/deactivate", school_deactivate, methods=["GET", "POST"]),
    Route("/operator/schools/{school_id:int}/reactivate", school_reactivate, methods=["POST"]),
    Route("/operator/schools/{school_id:int}/admins", school_admin_new, methods=["POST"]),
]
