"""Import of the inventory (devices, rooms) or the measures from a CSV or XLSX file
(/plans/{id}/import). A file with errors writes nothing; the page lists every row and column error."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from plans import csv_import
from schoolcloud.auth.current import page
from schoolcloud.files.routes import actor, back, notify, refused
from schoolcloud.planning import services_import, services_plans
from schoolcloud.planning.access import Access
from schoolcloud.planning.views import page_context
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.errors import AppError, Forbidden
from schoolcloud.web.i18n import current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

STEP_OF_KIND = {"measures": "measures", "devices": "inventory", "rooms": "inventory"}


def _columns() -> dict[str, list[str]]:
    """The accepted column headers per kind (their German names), for the page's help text."""
    tables = {"measures": csv_import.MEASURE_COLUMNS, "devices": csv_import.DEVICE_COLUMNS,
              "rooms": csv_import.ROOM_COLUMNS}
    return {kind: [c.headers[0] + ("*" if c.required else "") for c in columns] for kind, columns in tables.items()}


async def _page(request: Request, plan, *, kind="measures", mode="replace", problems=None, status=200):
    english = current_locale.get() != "de"
    rows = [{"row": p.row, "column": p.column, "message": p.message_en if english else p.message_de}
            for p in problems or []]
    return render(request, "planning/import.html", status_code=status, page_title=_("Import tables"), plan=plan,
                  kinds=services_import.KINDS, kind=kind, mode=mode, problems=rows, columns=_columns(),
                  **page_context(plan))


@page
async def import_page(request: Request):
    user = actor(request)
    plan, access = await services_plans.get_plan(user, request.path_params["plan_id"])
    if access not in Access.WRITERS:
        raise Forbidden()
    return await _page(request, plan)


@page
async def import_file(request: Request):
    user = actor(request)
    form = await checked_form(request)
    plan_id = request.path_params["plan_id"]
    kind, mode = form.get("kind") or "measures", form.get("mode") or "replace"
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        notify(request, "error", _("Please choose a file."))
        return back(f"/plans/{plan_id}/import")
    try:
        done = await services_import.import_table(user, plan_id, kind, await upload.read(), upload.filename, mode)
    except services_import.ImportRejected as exc:
        plan, _access = await services_plans.get_plan(user, plan_id)
        return await _page(request, plan, kind=kind, mode=mode, problems=exc.problems, status=422)
    except AppError as exc:
        return refused(request, exc, f"/plans/{plan_id}/import")
    notify(request, "ok", _("%(count)s rows were imported (version %(number)s).", count=done.count,
                            number=done.plan.revision))
    return back(f"/plans/{plan_id}/steps/{STEP_OF_KIND[kind]}")


routes = [
    Route("/plans/{plan_id:int}/import", import_page),
    Route("/plans/{plan_id:int}/import", import_file, methods=["POST"]),
]
