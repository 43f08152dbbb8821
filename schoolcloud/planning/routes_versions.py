"""Versions of a plan (/plans/{id}/versions): every save with author and time, and the comparison of
any two of them (?from=N&to=M), field by field, with readable names of the fields."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.auth.current import page
from schoolcloud.files.routes import actor, short_time
from schoolcloud.planning import labels, services_plans
from schoolcloud.planning.diff import ADDED, CHANGED, REMOVED, Change, IdKey
from schoolcloud.planning.views import page_context
from schoolcloud.web.i18n import N_
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

KINDS = {ADDED: N_("added"), REMOVED: N_("removed"), CHANGED: N_("changed")}


def readable_path(change: Change) -> str:
    """``measures[id=…].unit_price`` as "Measures › 3rd entry › Unit price" in the page's language."""
    parts = []
    for part in change.path:
        if isinstance(part, IdKey):
            parts.append(_("entry %(id)s", id=part.value))
        elif isinstance(part, int):
            parts.append(_("entry %(number)s", number=part + 1))
        else:
            parts.append(_(labels.FIELDS.get(part, part)))
    return " › ".join(parts)


def readable_value(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        shown = [f"{_(labels.FIELDS.get(k, k))}: {readable_value(v)}" for k, v in value.items()
                 if k != "id" and v not in ("", None, [], {}, "0", False)]
        return "; ".join(shown) or "–"
    if isinstance(value, list):
        return ", ".join(readable_value(v) for v in value) or "–"
    return str(value)


def _number(raw) -> int | None:
    return int(raw) if isinstance(raw, str) and re.fullmatch(r"\d{1,9}", raw) else None


@page
async def versions_page(request: Request):
    user = actor(request)
    plan, access = await services_plans.get_plan(user, request.path_params["plan_id"])
    rows = await services_plans.revisions(user, plan.id)
    old, new = _number(request.query_params.get("from")), _number(request.query_params.get("to"))
    changes = None
    if old is not None and new is not None:
        changes = [{"path": readable_path(c), "technical": c.as_json()["path"], "kind": _(KINDS[c.kind]),
                    "old": readable_value(c.old), "new": readable_value(c.new)}
                   for c in await services_plans.compare_revisions(user, plan.id, old, new)]
    default_new = new or plan.revision
    default_old = old or max(1, default_new - 1)
    return render(request, "planning/versions.html", page_title=_("Versions – %(title)s", title=plan.title),
                  plan=plan, access=access, rows=rows, changes=changes, old=default_old, new=default_new,
                  short_time=short_time, **page_context(plan))


routes = [Route("/plans/{plan_id:int}/versions", versions_page)]
