"""Autosave of one editor step, and table imports.

POST /api/v1/plans/{id}/steps/{key} with the step's form fields (as the page's form posts them, plus
base_revision) answers JSON with the new revision, the fields that could not be read, and the panel of
findings and figures rendered as HTML for the page to put in place. POST /api/v1/plans/{id}/import/{kind}
imports a CSV/XLSX table, all or nothing."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from schoolcloud.accounts.api_common import caller, ok
from plans import serialize
from schoolcloud.planning import forms, services_import, services_steps
from schoolcloud.planning.views import checks, page_context
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import env


async def save_step(request: Request) -> JSONResponse:
    """
    summary: Save one step of the editor from its form fields (application/x-www-form-urlencoded or
      multipart/form-data, with base_revision); the page's autosave uses it.
    description: Values that cannot be read keep their stored value and are listed in field_errors; the
      rest is saved. If someone saved meanwhile without touching this step, the step is applied on top
      (merged true); if they changed this step too, the answer is 409 (code conflict) and nothing is written.
    responses:
      200: {description: "{revision, changed, merged, field_errors{name: message}, new_ids{row prefix: id},
        findings, marks{path: {ids, invalid}}, figures, panel_html}"}
      404: {description: No such plan or step for the caller.}
      409: {description: "Conflict (error.conflict lists what changed) or the plan is submitted (plan_locked)."}
    """
    user = await caller(request)
    form = await request.form(max_fields=forms.MAX_FIELDS)
    saved = await services_steps.save_step(user, request.path_params["plan_id"], request.path_params["key"], form)
    step_checks = checks(saved.plan, saved.content, request.path_params["key"])
    panel = env.get_template("planning/_panel.html").render(
        checks=step_checks, plan=saved.plan, **page_context(saved.plan))
    return ok({"revision": saved.plan.revision, "changed": saved.changed, "merged": saved.merged,
               "field_errors": {name: _(message) for name, message in saved.errors.items()},
               "new_ids": saved.errors.new_ids,
               "findings": step_checks.findings, "marks": step_checks.marks,
               "figures": serialize.to_data(step_checks.figures.result) if step_checks.figures else None,
               "panel_html": panel})


async def import_table(request: Request) -> JSONResponse:
    """
    summary: Import measures, inventory devices or rooms from a CSV or XLSX file (multipart/form-data with
      "file"; ?mode=replace or append).
    description: All or nothing. A file with errors writes nothing and is answered 422 with error.rows =
      [{row, column, code, message_de, message_en}].
    responses:
      200: {description: "{revision, imported}"}
      404: {description: No such plan or kind (measures, devices, rooms).}
      422: {description: The file has errors (code import_rejected); nothing was written.}
    """
    user = await caller(request)
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise AppError("file_missing", N_("Please choose a file."), status=422, field="file")
    done = await services_import.import_table(user, request.path_params["plan_id"], request.path_params["kind"],
                                              await upload.read(), upload.filename or "",
                                              request.query_params.get("mode", "replace"))
    return ok({"revision": done.plan.revision, "imported": done.count})


routes = [
    Route("/plans/{plan_id:int}/steps/{key}", save_step, methods=["POST"]),
    Route("/plans/{plan_id:int}/import/{kind}", import_table, methods=["POST"]),
]
