"""The editor pages of one plan: the overview (/plans/{id}: status and its steps, figures and charts,
invited teachers, exports) and one page per step (/plans/{id}/steps/{key}) with the validator's
findings and the calculator's figures beside the form.

The step form works without JavaScript (its Save button posts here); static/planning-editor.js
saves it in the background through the JSON API instead (autosave) and re-renders the panel.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.auth.current import page
from schoolcloud.files.routes import actor, back, notify, refused, short_time, take_notice
from schoolcloud.planning import domain, forms, services_editors, services_plans, services_status, services_steps
from schoolcloud.planning.access import Access
from schoolcloud.planning.models import PlanDocument
from schoolcloud.planning.routes_export import plan_formats
from schoolcloud.planning.serialize import domain_editable
from schoolcloud.planning.services_plans import PlanConflict
from schoolcloud.planning.views import checks, page_context
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render


def _pid(request: Request):
    return request.path_params["plan_id"]


@page
async def overview(request: Request):
    user = actor(request)
    plan, access = await services_plans.get_plan(user, _pid(request))
    content = domain.parse(services_plans.content_of(plan))
    await plan.fetch_related("school")
    editors = await services_editors.editors(plan) if access == Access.ADMIN else []
    invitable = await services_editors.invitable_teachers(plan) if access == Access.ADMIN else []
    return render(request, "planning/overview.html", page_title=plan.title, plan=plan, access=access,
                  checks=checks(plan, content, None), actions=services_status.allowed(plan, access),
                  history=await services_status.history(user, plan.id), editors=editors, invitable=invitable,
                  may_edit=domain_editable(plan, access), short_time=short_time, notice=take_notice(request),
                  exports=plan_formats(),
                  **page_context(plan))


async def _step_page(request: Request, plan: PlanDocument, access: str, key: str, *, content=None, typed=None,
                     field_errors=None, conflict: PlanConflict | None = None, status: int = 200):
    step = services_steps.section(key)
    model = content or domain.parse(services_plans.content_of(plan))
    programme = model.programme.rule_pack_id
    choices = forms.Choices(model, domain.programmes(), domain.categories(programme), domain.parameters(programme))
    widgets = forms.build(step, model, choices, typed, field_errors)
    context = page_context(plan)
    context["field_errors"] = field_errors or {}
    return render(request, "planning/step.html", status_code=status, page_title=f"{_(step.label)} – {plan.title}",
                  plan=plan, access=access, step=step, widgets=widgets, checks=checks(plan, model, step.key),
                  readonly=not domain_editable(plan, access), next_step=services_steps.next_step(step.key),
                  conflict=conflict, notice=take_notice(request), **context)


@page
async def step_page(request: Request):
    user = actor(request)
    plan, access = await services_plans.get_plan(user, _pid(request))
    return await _step_page(request, plan, access, request.path_params["key"])


@page
async def save_step(request: Request):
    """The Save button without JavaScript: unreadable values are shown with their errors (the rest is
    saved); a conflict shows what others changed and keeps what was typed, based on the newest version."""
    user = actor(request)
    key = request.path_params["key"]
    form = await checked_form(request, max_fields=forms.MAX_FIELDS)
    here = f"/plans/{_pid(request)}/steps/{key}"
    try:
        saved = await services_steps.save_step(user, _pid(request), key, form)
    except PlanConflict as exc:
        plan, access = await services_plans.get_plan(user, _pid(request))
        base = await services_steps.plan_at(plan, exc.base)
        mine, errors = forms.parse(services_steps.section(key), form, base)
        return await _step_page(request, plan, access, key, content=mine, typed=form, field_errors=errors,
                                conflict=exc, status=409)
    except AppError as exc:
        return refused(request, exc, here)
    if saved.errors:
        _plan, access = await services_plans.get_plan(user, saved.plan.id)
        return await _step_page(request, saved.plan, access, key, content=saved.content, typed=form,
                                field_errors=saved.errors)
    notify(request, "ok", _("Saved (version %(number)s).", number=saved.plan.revision))
    following = services_steps.next_step(key)
    if form.get("then") == "next" and following is not None:
        return back(f"/plans/{saved.plan.id}/steps/{following.key}")
    return back(here)


@page
async def change_status(request: Request):
    user = actor(request)
    form = await checked_form(request)
    here = f"/plans/{_pid(request)}"
    try:
        plan = await services_status.change_status(user, _pid(request), form.get("action"), form.get("comment", ""))
    except AppError as exc:
        return refused(request, exc, here)
    notify(request, "ok", _("The plan's status is now: %(status)s.",
                            status=_(services_status.STATUS_LABELS[plan.status])))
    return back(here)


@page
async def invite(request: Request):
    user = actor(request)
    form = await checked_form(request)
    here = f"/plans/{_pid(request)}#editors-heading"
    try:
        editor = await services_editors.invite(user, _pid(request), form.get("user_id"))
    except AppError as exc:
        return refused(request, exc, here)
    notify(request, "ok", _("%(name)s may now edit this plan.", name=editor.user.display_name))
    return back(here)


@page
async def uninvite(request: Request):
    user = actor(request)
    await checked_form(request)
    here = f"/plans/{_pid(request)}#editors-heading"
    try:
        await services_editors.remove(user, _pid(request), request.path_params["user_id"])
    except AppError as exc:
        return refused(request, exc, here)
    notify(request, "ok", _("The invitation was withdrawn."))
    return back(here)


@page
async def delete(request: Request):
    user = actor(request)
    await checked_form(request)
    try:
        await services_plans.delete_plan(user, _pid(request))
    except AppError as exc:
        return refused(request, exc, f"/plans/{_pid(request)}")
    notify(request, "ok", _("The draft was deleted."))
    return back("/plans")


routes = [
    Route("/plans/{plan_id:int}", overview),
    Route("/plans/{plan_id:int}/steps/{key}", step_page),
    Route("/plans/{plan_id:int}/steps/{key}", save_step, methods=["POST"]),
    Route("/plans/{plan_id:int}/status", change_status, methods=["POST"]),
    Route("/plans/{plan_id:int}/editors", invite, methods=["POST"]),
    Route("/plans/{plan_id:int}/editors/{user_id:int}/remove", uninvite, methods=["POST"]),
    Route("/plans/{plan_id:int}/delete", delete, methods=["POST"]),
]
