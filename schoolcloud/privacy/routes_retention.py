"""Page: the school's retention rules (/admin/retention) with the dry run of what they would delete
today, and "apply now" (the same run as the daily job)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts.pages import actor, errors_by_field, form, form_values, notify, redirect, take_notice
from schoolcloud.accounts.permissions import require_school_admin
from schoolcloud.auth.current import page
from schoolcloud.files.routes import files_context
from schoolcloud.privacy import retention_rules
from schoolcloud.privacy import services_retention as retention
from schoolcloud.web.errors import AppError, ValidationError
from schoolcloud.web.i18n import N_
from schoolcloud.web.i18n import current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

SHOWN = 200  # entries per list on the page; the counts are complete


async def _page(request: Request, user, values: dict, errors: dict | None = None, status: int = 200):
    ctx = files_context(request)
    plan = await retention.plan_for_admin(ctx, user)
    labels = {r.name: _(r.label) for r in retention_rules.RULES}
    return render(request, "privacy/retention.html", status_code=status, page_title=_("Retention"),
                  rules=retention_rules.RULES, labels=labels, values=values, errors=errors or {}, plan=plan,
                  shown=SHOWN,
                  instance_trash_days=ctx.limits.trash_days, notice=take_notice(request),
                  refusals=[e.text(current_locale.get()) for e in plan.refusals],
                  pending=[labels[name] for name in plan.pending])


@page
async def retention_index(request: Request):
    user = actor(request)
    school_id = require_school_admin(user)
    rules = await retention.rules_of(school_id)
    return await _page(request, user, {k: "" if v is None else str(v) for k, v in rules.items()})


@page
async def save_rules(request: Request):
    user = actor(request)
    require_school_admin(user)
    data = await form(request)
    values = form_values(data, tuple(retention_rules.BY_NAME))
    try:
        await retention.update_rules(user, values)
    except ValidationError as exc:
        return await _page(request, user, values, errors_by_field(exc), status=422)
    except AppError as exc:
        if exc.status_code != 409:
            raise
        return await _page(request, user, values, {"_form": exc.text(current_locale.get())}, status=409)
    notify(request, N_("The retention rules were saved."))
    return redirect("/admin/retention")


@page
async def apply_now(request: Request):
    user = actor(request)
    require_school_admin(user)
    await form(request)
    _plan, done = await retention.apply_for_admin(files_context(request), user)
    notify(request, N_("Deleted: %(leavers)d accounts of pupils who left, %(trash)d trash entries, %(links)d public "
                       "links, %(notifications)d notifications, %(task_records)d task records of deleted teachers; "
                       "the content of %(audit_events)d audit events."), **done)
    return redirect("/admin/retention")


routes = [
    Route("/admin/retention", retention_index, methods=["GET"]),
    Route("/admin/retention", save_rules, methods=["POST"]),
    Route("/admin/retention/apply", apply_now, methods=["POST"]),
]
