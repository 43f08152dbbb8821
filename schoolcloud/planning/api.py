"""JSON API of the plan editor, under /api/v1/plans (see the docstrings for the OpenAPI document)."""

from __future__ import annotations

import json
from decimal import Decimal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from schoolcloud.accounts.api_common import caller, ok
from schoolcloud.api.common import json_body
from schoolcloud.planning import serialize, services_editors, services_plans, services_status
from schoolcloud.privacy.pseudonyms import person_name


def _pid(request: Request):
    return request.path_params["plan_id"]


async def plans(request: Request) -> JSONResponse:
    """
    summary: The plans the caller may see (GET), or create a draft (POST {"title", "programme"}; school
      administrators, for their school).
    responses:
      200: {description: "{items: [plan summary]}"}
      201: {description: The new plan.}
      403: {description: Pupils and operators have no plans.}
      422: {description: Invalid title or programme.}
    """
    user = await caller(request)
    if request.method == "POST":
        body = await json_body(request)
        plan = await services_plans.create_plan(user, title=body.get("title"), programme=body.get("programme"))
        return ok(serialize.plan_detail(plan, "admin", services_plans.content_of(plan)), status=201)
    return ok({"items": [serialize.plan_summary(p) for p in await services_plans.list_plans(user)]})


async def plan_detail(request: Request) -> Response:
    """
    summary: A plan with its content, the validator's findings and the calculator's figures (GET); save it
      (PUT {"base_revision", "plan", "title"?}); delete a draft (DELETE, school administrators).
    description: A save names the revision it was based on. If someone saved meanwhile, the answer is 409
      with error.conflict = {base_revision, current_revision, changed_by, changes[{path, kind, old, new}]}
      and nothing is written. A draft may be invalid; only unreadable data is refused.
    responses:
      200: {description: "The plan (GET) or {revision, changed, findings, figures} (PUT)."}
      404: {description: No such plan for the caller.}
      409: {description: "Conflict (code conflict) or the plan is submitted (code plan_locked)."}
    """
    user = await caller(request)
    if request.method == "PUT":
        body = await decimal_body(request)
        saved = await services_plans.save_plan(user, _pid(request), base_revision=body.get("base_revision"),
                                               content=body.get("plan"), title=body.get("title"))
        content = services_plans.content_of(saved.plan)
        return ok({"revision": saved.plan.revision, "changed": saved.changed,
                   **serialize.checks(saved.plan, content)})
    if request.method == "DELETE":
        await services_plans.delete_plan(user, _pid(request))
        return Response(status_code=204)
    plan, access = await services_plans.get_plan(user, _pid(request))
    return ok(serialize.plan_detail(plan, access, services_plans.content_of(plan)))


async def plan_status(request: Request) -> JSONResponse:
    """
    summary: Take a step of the status flow (POST {"action", "comment"?}).
    description: "Actions: submit, withdraw (school administrators); return (comment required), approve
      (carrier users); reopen (editors, for a returned plan)."
    responses:
      200: {description: The plan summary with its new status.}
      403: {description: Not the caller's step.}
      409: {description: Not possible in the current status (code transition_not_allowed).}
      422: {description: "Comment missing, the school has no carrier (no_carrier), or the plan has errors."}
    """
    user = await caller(request)
    body = await json_body(request)
    plan = await services_status.change_status(user, _pid(request), body.get("action"), body.get("comment", ""))
    return ok(serialize.plan_summary(plan))


async def plan_history(request: Request) -> JSONResponse:
    """
    summary: The status steps of a plan, newest first, with their comments.
    responses:
      200: {description: "{items: [{from, to, comment, revision, created_at, actor}]}"}
    """
    user = await caller(request)
    return ok({"items": [serialize.status_change(c) for c in await services_status.history(user, _pid(request))]})


async def plan_revisions(request: Request) -> JSONResponse:
    """
    summary: The saved versions of a plan, newest first (number, author, time).
    responses:
      200: {description: "{items: [{number, note, title, created_at, author}]}"}
    """
    user = await caller(request)
    rows = await services_plans.revisions(user, _pid(request))
    return ok({"items": [serialize.revision_row(r) for r in rows]})


async def plan_revision(request: Request) -> JSONResponse:
    """
    summary: One saved version of a plan, complete.
    responses:
      200: {description: "{number, title, created_at, author, plan}"}
      404: {description: No such version.}
    """
    user = await caller(request)
    found = await services_plans.revision(user, _pid(request), request.path_params["number"])
    return ok({"number": found.number, "title": found.title, "created_at": found.created_at.isoformat(),
               "author": person_name(found.author, found.author_pseudonym),
               "plan": services_plans.content_of(found)})


async def plan_diff(request: Request) -> JSONResponse:
    """
    summary: What changed between two versions (?from=N&to=M), field by field.
    responses:
      200: {description: "{from, to, changes: [{path, kind (added|removed|changed), old, new}]}"}
      404: {description: No such version.}
    """
    user = await caller(request)
    old, new = request.query_params.get("from"), request.query_params.get("to")
    changes = await services_plans.compare_revisions(user, _pid(request), old, new)
    return ok({"from": int(old), "to": int(new), "changes": [c.as_json() for c in changes]})


async def plan_editors(request: Request) -> JSONResponse:
    """
    summary: The teachers invited to edit the plan (GET), or invite one (POST {"user_id"}); school
      administrators of the plan's school.
    responses:
      200: {description: "{items: [{user_id, name}]}"}
      201: {description: The invitation.}
      422: {description: Not a teacher of the school (code not_a_teacher).}
    """
    user = await caller(request)
    if request.method == "POST":
        body = await json_body(request)
        editor = await services_editors.invite(user, _pid(request), body.get("user_id"))
        return ok({"user_id": editor.user_id, "name": editor.user.display_name}, status=201)
    plan, _access = await services_plans.get_plan(user, _pid(request))
    return ok({"items": [{"user_id": e.user_id, "name": e.user.display_name}
                         for e in await services_editors.editors(plan)]})


async def plan_editor(request: Request) -> Response:
    """
    summary: Withdraw a teacher's invitation (school administrators).
    responses:
      204: {description: Removed.}
    """
    user = await caller(request)
    await services_editors.remove(user, _pid(request), request.path_params["user_id"])
    return Response(status_code=204)


async def plan_export_json(request: Request) -> Response:
    """
    summary: "The complete plan as JSON (plans' format, money and quantities as decimal strings); POST
      /plans/import turns it into the same plan."
    responses:
      200: {description: The plan document.}
    """
    user = await caller(request)
    plan, _access = await services_plans.get_plan(user, _pid(request))
    return Response(services_plans.export_json(plan), media_type="application/json", headers={
        "Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="plan-{plan.id}.json"'})


async def plan_import_json(request: Request) -> JSONResponse:
    """
    summary: A new draft of the caller's school from an exported plan (body = the export's JSON).
    responses:
      201: {description: The new plan.}
      422: {description: "Not a well-formed plan (code invalid_plan; error.field names the path)."}
    """
    user = await caller(request)
    plan = await services_plans.import_plan(user, await request.body())
    return ok(serialize.plan_detail(plan, "admin", services_plans.content_of(plan)), status=201)


async def decimal_body(request: Request) -> dict:
    """The JSON body with numbers read as Decimal, never float (plans' money and quantities)."""
    await json_body(request)  # the checks and their messages (content type, a JSON object)
    return json.loads(await request.body(), parse_float=Decimal)


routes = [
    Route("/plans", plans, methods=["GET", "POST"]),
    Route("/plans/import", plan_import_json, methods=["POST"]),
    Route("/plans/{plan_id:int}", plan_detail, methods=["GET", "PUT", "DELETE"]),
    Route("/plans/{plan_id:int}/status", plan_status, methods=["POST"]),
    Route("/plans/{plan_id:int}/history", plan_history),
    Route("/plans/{plan_id:int}/revisions", plan_revisions),
    Route("/plans/{plan_id:int}/revisions/{number:int}", plan_revision),
    Route("/plans/{plan_id:int}/diff", plan_diff),
    Route("/plans/{plan_id:int}/editors", plan_editors, methods=["GET", "POST"]),
    Route("/plans/{plan_id:int}/editors/{user_id:int}", plan_editor, methods=["DELETE"]),
    Route("/plans/{plan_id:int}/export.json", plan_export_json),
]
