"""JSON API of the privacy domain, mounted at /api/v1 by api/routes.py; each docstring is its OpenAPI
operation."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from schoolcloud.accounts.api_common import NO_STORE, body_fields, caller, ok, page_json
from schoolcloud.privacy import school_contact, services_audit
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


def contact_json(school) -> dict:
    return {"school_id": school.id, "school_name": school.name, **school_contact.values_of(school)}


async def get_contact(request: Request):
    """
    summary: The contact details of the caller's school and of its data protection officer (school admins).
    description: "What the record of processing activities names (Art. 30(1)(a) GDPR), as edited on /privacy:
      head_name, street, postal_code, city, phone, email, dpo_name, dpo_email, dpo_phone; empty strings
      where nothing is entered."
    responses:
      200: {description: "{school_id, school_name, head_name, street, postal_code, city, phone, email, dpo_name, dpo_email, dpo_phone}"}
      403: {description: Not a school admin.}
    """
    user = await caller(request)
    return ok(contact_json(await school_contact.school_of(user)))


async def update_contact(request: Request):
    """
    summary: Change contact details of the caller's school (school admins); fields not sent stay as they are.
    description: "Every field is optional; an empty string clears it. A postal code has five digits, a phone
      number digits, spaces and + ( ) / -. All errors at once (422, error.fields), nothing saved. Audited as
      school.contact_changed with the names of the changed fields."
    requestBody:
      content:
        application/json:
          schema:
            type: object
            properties:
              head_name: {type: string}
              street: {type: string}
              postal_code: {type: string}
              city: {type: string}
              phone: {type: string}
              email: {type: string}
              dpo_name: {type: string}
              dpo_email: {type: string}
              dpo_phone: {type: string}
    responses:
      200: {description: The contact details as saved.}
      403: {description: Not a school admin.}
      422: {description: A field is invalid or unknown (error.fields names it).}
    """
    user = await caller(request)
    body = await body_fields(request, school_contact.NAMES)
    school = await school_contact.school_of(user)
    saved = await school_contact.update_contact(user, {**school_contact.values_of(school), **body})
    return ok(contact_json(saved))


routes = [
    Route("/privacy/contact", get_contact, methods=["GET"]),
    Route("/privacy/contact", update_contact, methods=["PATCH"]),
    Route("/privacy/audit-events", list_events, methods=["GET"]),
    Route("/privacy/audit-events.csv", export_events, methods=["GET"]),
    Route("/privacy/audit-chain", chain, methods=["GET"]),
    *consent_routes,
    *export_routes,
    *restriction_routes,
]
