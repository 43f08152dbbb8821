"""Operator pages for school carriers (Schulträger): /operator/carriers (list, create) and a carrier
(/operator/carriers/{id}: name, Land, budget; its schools; its users, created with a one-time password
like a school's first administrator). Services: schoolcloud/planning/services_carriers.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts.pages import (actor, errors_by_field, form, form_values, hand_over_credentials, notify,
                                        redirect, take_notice)
from schoolcloud.accounts.permissions import require_operator
from schoolcloud.accounts.services_base import CredentialsBatch
from schoolcloud.accounts.validation import STATES
from schoolcloud.auth.current import page
from schoolcloud.planning import services_carriers as carriers
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import N_
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

CARRIER_FIELDS = ("name", "state", "budget")
MEMBER_FIELDS = ("given_name", "family_name", "email", "username")


def _url(carrier) -> str:
    return f"/operator/carriers/{carrier.id}"


@page
async def carriers_page(request: Request):
    user = actor(request)
    values, errors = {}, {}
    if request.method == "POST":
        values = form_values(await form(request), CARRIER_FIELDS)
        try:
            carrier = await carriers.create_carrier(user, **values)
        except ValidationError as exc:
            errors = errors_by_field(exc)
        else:
            notify(request, N_("The school carrier was created."))
            return redirect(_url(carrier))
    return render(request, "operator/carriers.html", status_code=422 if errors else 200,
                  page_title=_("School carriers"), carriers=await carriers.list_carriers(user), values=values,
                  errors=errors, states=[(code, code) for code in STATES], notice=take_notice(request))


async def _detail(request: Request, user, carrier, *, values=None, errors=None, member_values=None,
                  member_errors=None, status=200):
    values = values or {"name": carrier.name, "state": carrier.state,
                        "budget": "" if carrier.budget is None else str(carrier.budget)}
    return render(request, "operator/carrier_detail.html", status_code=status, page_title=carrier.name,
                  carrier=carrier, values=values, errors=errors or {}, member_values=member_values or {},
                  member_errors=member_errors or {}, schools=await carriers.schools_of(carrier),
                  candidates=await carriers.unassigned_schools(carrier), members=await carriers.members_of(carrier),
                  states=[(code, code) for code in STATES], notice=take_notice(request))


@page
async def carrier_page(request: Request):
    user = actor(request)
    require_operator(user)
    carrier = await carriers.get_carrier(user, request.path_params["carrier_id"])
    if request.method == "POST":
        values = form_values(await form(request), CARRIER_FIELDS)
        try:
            await carriers.update_carrier(user, carrier.id, **values)
        except ValidationError as exc:
            return await _detail(request, user, carrier, values=values, errors=errors_by_field(exc), status=422)
        notify(request, N_("The changes were saved."))
        return redirect(_url(carrier))
    return await _detail(request, user, carrier)


@page
async def add_school(request: Request):
    user = actor(request)
    submitted = await form(request)
    try:
        await carriers.add_school(user, request.path_params["carrier_id"], submitted.get("school_id"))
    except AppError as exc:
        notify(request, exc.message, **exc.params)
    else:
        notify(request, N_("The school was assigned."))
    return redirect(f"/operator/carriers/{request.path_params['carrier_id']}")


@page
async def remove_school(request: Request):
    user = actor(request)
    await form(request)
    await carriers.remove_school(user, request.path_params["carrier_id"], request.path_params["school_id"])
    notify(request, N_("The school was removed from the carrier."))
    return redirect(f"/operator/carriers/{request.path_params['carrier_id']}")


@page
async def add_member(request: Request):
    user = actor(request)
    carrier = await carriers.get_carrier(user, request.path_params["carrier_id"])
    values = form_values(await form(request), MEMBER_FIELDS)
    try:
        _member, credentials = await carriers.create_member(user, carrier.id, **values)
    except ValidationError as exc:
        return await _detail(request, user, carrier, member_values=values, member_errors=errors_by_field(exc),
                             status=422)
    await hand_over_credentials(request, user, CredentialsBatch(carrier.name, [credentials]))
    notify(request, N_("The account of the carrier was created."))
    return redirect("/credentials", next=_url(carrier))


@page
async def remove_member(request: Request):
    user = actor(request)
    await form(request)
    await carriers.remove_member(user, request.path_params["carrier_id"], request.path_params["user_id"])
    notify(request, N_("The account was removed from the carrier and deactivated."))
    return redirect(f"/operator/carriers/{request.path_params['carrier_id']}")


routes = [
    Route("/operator/carriers", carriers_page, methods=["GET", "POST"]),
    Route("/operator/carriers/{carrier_id:int}", carrier_page, methods=["GET", "POST"]),
    Route("/operator/carriers/{carrier_id:int}/schools", add_school, methods=["POST"]),
    Route("/operator/carriers/{carrier_id:int}/schools/{school_id:int}/remove", remove_school, methods=["POST"]),
    Route("/operator/carriers/{carrier_id:int}/members", add_member, methods=["POST"]),
    Route("/operator/carriers/{carrier_id:int}/members/{user_id:int}/remove", remove_member, methods=["POST"]),
]
