"""JSON API of the privacy domain, mounted at /api/v1 by api/routes.py; each docstring is its OpenAPI
operation."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from schoolcloud.accounts.api_common import NO_STORE, caller, ok, page_json
from schoolcloud.privacy import services_audit
from schoolcloud.privacy.api_consent import routes as consent_routes
from schoolcloud.privacy.api_export import routes as export_routes
from schoolcloud.privacy.api_restriction import routes as restriction_routes
from schoolcloud.privacy.models import AuditEvent


def event_json(event: AuditEvent) -> dict:
    return {"id": event.id, "created_at": event.created_at.isoformat(), "action": event.action,
            "actor": event.actor, "target_type": event.target_type, "target_id": event.target_id,
            "ip": event.ip, "details": event.details, "hash": event.hash}


FILTER_PARAMETERS = """
      - {name: from, in: query, schema: {type: string, format: date}, description: "First day (or ISO date-time), UTC."}
      - {name: to, in: query, schema: {type: string, format: date}, description: "Last day, inclusive (or ISO date-time)."}
      - {name: kind, in: query, schema: {type: string}, description: "An action (files.trash) or a category (files)."}
      - {name: actor, in: query, schema: {type: string, format: uuid}, description: The actor's pseudonym.}
      - {name: target, in: query, schema: {type: string}, description: "A target id, e.g. a user's public id."}"""


async def list_events(request: Request):
    user = await caller(request)
    wanted = services_audit.parse_filter(request.query_params)
    params = request.query_params
    result = await services_audit.list_events(user, wanted, page=params.get("page"), per_page=params.get("per_page"))
    return ok(page_json(result, [event_json(e) for e in result.items]))


list_events.__doc__ = f"""
    summary: Audit events of the caller's school (school admins), newest first, paged.
    description: Actors appear by pseudonym (public id); IP addresses are stored truncated (/24, /48).
    parameters:{FILTER_PARAMETERS}
      - {{name: page, in: query, schema: {{type: integer, minimum: 1, default: 1}}}}
      - {{name: per_page, in: query, schema: {{type: integer, minimum: 1, maximum: 200, default: 50}}}}
    responses:
      200: {{description: "{{items, total, page, per_page, pages}}"}}
      403: {{description: Not a school admin.}}
      422: {{description: A filter field is invalid (error.fields names it).}}
    """


async def export_events(request: Request):
    user = await caller(request)
    wanted = services_audit.parse_filter(request.query_params)
    rows = await services_audit.export_csv(user, wanted)
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8", headers={
        **NO_STORE, "Content-Disposition": 'attachment; filename="audit.csv"'})


export_events.__doc__ = f"""
    summary: The filtered audit events of the caller's school as CSV (school admins), oldest first.
    description: "Columns: {', '.join(services_audit.CSV_COLUMNS)}. The export is itself recorded."
    parameters:{FILTER_PARAMETERS}
    responses:
      200: {{description: CSV, UTF-8., content: {{text/csv: {{}}}}}}
      403: {{description: Not a school admin.}}
      422: {{description: A filter field is invalid.}}
    """


async def chain(request: Request):
    """
    summary: Whether the audit trail's hash chain is intact (school admins).
    responses:
      200: {description: "{intact, checked, event_id, reason}: reason is changed or removed when broken."}
      403: {description: Not a school admin.}
    """
    user = await caller(request)
    status = await services_audit.chain_status(user)
    return ok({"intact": status.intact, "checked": status.checked, "event_id": status.event_id,
               "reason": status.reason or None})


routes = [
    Route("/privacy/audit-events", list_events, methods=["GET"]),
    Route("/privacy/audit-events.csv", export_events, methods=["GET"]),
    Route("/privacy/audit-chain", chain, methods=["GET"]),
    *consent_routes,
    *export_routes,
    *restriction_routes,
]
