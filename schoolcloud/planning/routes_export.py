"""Downloads of a plan: JSON (complete, re-importable) always; PDF, ODT, DOCX, XLSX and ODS through
``plans.export`` once it is there. Documents are made in a worker thread (WeasyPrint is synchronous)."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schoolcloud.auth.current import page
from schoolcloud.files.routes import actor
from schoolcloud.files.serving import content_disposition
from schoolcloud.planning import domain, services_plans
from schoolcloud.web.errors import NotFound

ORDER = ("pdf", "odt", "docx", "xlsx", "ods", "json")


def exporters():
    """`plans.export`, imported when a plan page or download first needs it: its document builders, the
    PDF templating and Babel's number formats take about 3 MB in every server process that never shows a
    plan."""
    from plans import export

    return export


def plan_formats() -> list[tuple[str, str]]:
    """(format, button text) of the downloads offered for a plan."""
    available = set(exporters().PLAN_FORMATS) | {"json"}
    return [(f, f.upper()) for f in ORDER if f in available]


def carrier_formats() -> list[tuple[str, str]]:
    available = set(exporters().CARRIER_FORMATS) | {"json"}
    return [(f, f.upper()) for f in ORDER if f in available]


def file_name(title: str, suffix: str) -> str:
    stem = re.sub(r"[^\w.-]+", "-", title, flags=re.UNICODE).strip("-") or "plan"
    return f"{stem[:80]}{suffix if suffix.startswith('.') else '.' + suffix}"


def download(data: bytes | str, media_type: str, name: str) -> Response:
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": content_disposition(name, inline=False), "Cache-Control": "no-store"})


@page
async def export_plan(request: Request):
    user = actor(request)
    fmt = request.path_params["fmt"]
    if fmt not in dict(plan_formats()):
        raise NotFound("format")
    plan, _access = await services_plans.get_plan(user, request.path_params["plan_id"])
    if fmt == "json":
        return download(services_plans.export_json(plan), "application/json", file_name(plan.title, ".json"))
    media_type, suffix, make = exporters().PLAN_FORMATS[fmt]
    # The exporter computes the figures and findings itself (it needs the validator's own objects).
    data = await run_in_threadpool(make, domain.parse(services_plans.content_of(plan)))
    return download(data, media_type, file_name(plan.title, suffix))


routes = [Route("/plans/{plan_id:int}/export/{fmt}", export_plan)]
