"""The carrier's view (/carrier): for each of the user's carriers, its schools with the plan that counts
for each, the consolidated totals against the carrier budget, the mobile-device cap across schools,
charts, and the consolidated application as one download."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from plans import serialize
from schoolcloud.auth.current import page
from schoolcloud.files.routes import actor, short_time
from schoolcloud.planning import domain, figures, services_carriers
from schoolcloud.planning.routes_export import carrier_formats, download, exporters, file_name
from schoolcloud.planning.services_status import STATUS_LABELS
from schoolcloud.planning.views import SEVERITY_LABELS
from schoolcloud.web.errors import NotFound
from schoolcloud.web.i18n import current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render


def _calculated(consolidated):
    if figures.calculator is None or not consolidated.model.plans:
        return None
    try:
        result = figures.calculator.calculate_carrier(consolidated.model)
    except LookupError:
        return None
    return figures.arrange(result, f"carrier-{consolidated.carrier.id}")


def _school_rows(consolidated, computed) -> list[dict]:
    results = iter(computed.result.schools) if computed else iter(())
    rows = []
    for school, plan in consolidated.schools:
        result = next(results) if plan is not None and computed else None
        rows.append({"school": school, "plan": plan, "result": result})
    return rows


@page
async def carrier_home(request: Request):
    user = actor(request)
    carriers = await services_carriers.my_carriers(user)
    if len(carriers) == 1:
        return RedirectResponse(f"/carrier/{carriers[0].id}", status_code=303)
    return render(request, "planning/carriers_mine.html", page_title=_("School carriers"), carriers=carriers)


@page
async def carrier_page(request: Request):
    user = actor(request)
    consolidated = await services_carriers.consolidated(user, request.path_params["carrier_id"])
    computed = _calculated(consolidated)
    found = domain.carrier_findings(consolidated.model) if consolidated.model.plans else None
    english = current_locale.get() != "de"
    # The carrier-wide findings only (cap, budget); each school's own are on its plan's pages.
    carrier_wide = [{"severity": f["severity"], "message": f["message_en"] if english else f["message_de"],
                     "sources": [s.strip() for s in f["source"].split(";") if s.strip()]}
                    for f in found or [] if not f["school_number"]]
    return render(request, "planning/carrier.html", page_title=consolidated.carrier.name, findings=carrier_wide,
                  carrier=consolidated.carrier, rows=_school_rows(consolidated, computed), figures=computed,
                  euro=figures.euro, status_labels=STATUS_LABELS, short_time=short_time, exports=carrier_formats(),
                  severity_labels=SEVERITY_LABELS)


@page
async def carrier_export(request: Request):
    user = actor(request)
    fmt = request.path_params["fmt"]
    if fmt not in dict(carrier_formats()):
        raise NotFound("format")
    consolidated = await services_carriers.consolidated(user, request.path_params["carrier_id"])
    name = consolidated.carrier.name
    if fmt == "json":
        return download(serialize.carrier_to_json(consolidated.model), "application/json", file_name(name, ".json"))
    media_type, suffix, make = exporters().CARRIER_FORMATS[fmt]
    return download(await run_in_threadpool(make, consolidated.model), media_type, file_name(name, suffix))


routes = [
    Route("/carrier", carrier_home),
    Route("/carrier/{carrier_id:int}", carrier_page),
    Route("/carrier/{carrier_id:int}/export/{fmt}", carrier_export),
]
