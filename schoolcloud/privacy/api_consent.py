"""JSON API: consents (own, and a pupil's for their school's administrator) and the class directory."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts.api_common import body_fields, caller, no_content, ok
from schoolcloud.privacy import services_consent as consent
from schoolcloud.privacy.models import Consent
from schoolcloud.privacy.services_consent import PurposeState
from schoolcloud.privacy.services_directory import class_directory


def consent_json(row: Consent) -> dict:
    return {"purpose": row.purpose, "given_by": row.given_by, "text_version": row.text_version,
            "granted_at": row.granted_at.isoformat(), "recorded_by": row.recorded_by, "note": row.note,
            "withdrawn_at": row.withdrawn_at.isoformat() if row.withdrawn_at else None,
            "withdrawn_by": row.withdrawn_by or None}


def state_json(state: PurposeState) -> dict:
    purpose = state.purpose
    return {"purpose": purpose.id, "version": purpose.version, "title_de": purpose.title_de,
            "title_en": purpose.title_en, "text_de": purpose.text_de, "text_en": purpose.text_en,
            "features": list(purpose.features), "needed": sorted(state.needed), "missing": state.missing,
            "given": {giver: consent_json(row) for giver, row in state.active.items()},
            "outdated": sorted(state.outdated), "effective": state.effective}


async def my_consents(request: Request):
    """
    summary: The caller's consents, one entry per declared purpose.
    description: >
      `needed` says whose consent the caller's age needs (self, parent or both), `given` what is in place
      for the current text version, `effective` whether the features of the purpose are available.
    responses:
      200: {description: "{items: [{purpose, version, title_de, text_de, ..., needed, missing, given, effective}]}"}
    """
    user = await caller(request)
    return ok({"items": [state_json(s) for s in await consent.overview(user)]})


async def give_own(request: Request):
    """
    summary: Give one's own consent to a purpose (to its current text version).
    parameters:
      - {name: purpose, in: path, required: true, schema: {type: string}}
    responses:
      201: {description: Recorded; the purpose's state.}
      200: {description: Already given; nothing changed.}
      404: {description: No such purpose.}
      409: {description: "At the caller's age only a parent's consent counts (own_consent_not_applicable)."}
    """
    user = await caller(request)
    purpose = consent.get_purpose(request.path_params["purpose"])
    _row, created = await consent.give_own(user, purpose.id)
    return ok(state_json(await consent.purpose_state(user, purpose)), status=201 if created else 200)


async def withdraw_own(request: Request):
    """
    summary: Withdraw one's own consent; features that need it are blocked from the next request on.
    parameters:
      - {name: purpose, in: path, required: true, schema: {type: string}}
    responses:
      204: {description: Withdrawn.}
      409: {description: Nothing to withdraw (consent_not_given).}
    """
    user = await caller(request)
    await consent.withdraw_own(user, request.path_params["purpose"])
    return no_content()


async def pupil_consents(request: Request):
    """
    summary: A pupil's consents (school admins, pupils of their own school).
    parameters:
      - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
    responses:
      200: {description: "{items: [...]} like /privacy/consents, plus history: every consent row."}
      404: {description: No such account in the caller's school.}
      409: {description: The account is not a pupil.}
    """
    user = await caller(request)
    pupil, states = await consent.subject_overview(user, request.path_params["user_id"])
    return ok({"items": [state_json(s) for s in states],
               "history": [consent_json(row) for row in await consent.history(pupil)]})


async def record_parent(request: Request):
    """
    summary: Record a parent's consent for a pupil, once the signed form has arrived (school admins).
    parameters:
      - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
      - {name: purpose, in: path, required: true, schema: {type: string}}
    requestBody:
      content:
        application/json:
          schema: {type: object, properties: {note: {type: string, maxLength: 200, description: "Reference of the form."}}}
    responses:
      201: {description: Recorded.}
      200: {description: Already recorded; nothing changed.}
      404: {description: No such pupil in the caller's school, or no such purpose.}
      409: {description: "Not a pupil, or at the pupil's age a parent's consent is not recorded."}
    """
    user = await caller(request)
    body = await body_fields(request, ("note",)) if request.headers.get("content-length", "0") != "0" else {}
    row, created = await consent.record_parent(user, request.path_params["user_id"], request.path_params["purpose"],
                                               note=str(body.get("note") or ""))
    return ok(consent_json(row), status=201 if created else 200)


async def withdraw_parent(request: Request):
    """
    summary: Record that a parent withdrew their consent (school admins); takes effect at once.
    parameters:
      - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
      - {name: purpose, in: path, required: true, schema: {type: string}}
    responses:
      204: {description: Withdrawn.}
      409: {description: Nothing to withdraw.}
    """
    user = await caller(request)
    await consent.withdraw_parent(user, request.path_params["user_id"], request.path_params["purpose"])
    return no_content()


async def directory(request: Request):
    """
    summary: The class directory (needs the class_directory consent); lists only members who agreed.
    responses:
      200: {description: "{classes: [{id, name, school_year, members: [{given_name, family_name, role}]}]}"}
      403: {description: "consent_required: the caller's consent is missing (message names the purpose)."}
    """
    user = await caller(request)
    entries = await class_directory(user)
    return ok({"classes": [{"id": e.school_class.id, "name": e.school_class.name,
                            "school_year": e.school_class.school_year,
                            "members": [{"given_name": m.given_name, "family_name": m.family_name, "role": m.role}
                                        for m in e.members]} for e in entries]})


routes = [
    Route("/privacy/consents", my_consents, methods=["GET"]),
    Route("/privacy/consents/{purpose}", give_own, methods=["PUT"]),
    Route("/privacy/consents/{purpose}", withdraw_own, methods=["DELETE"]),
    Route("/privacy/users/{user_id}/consents", pupil_consents, methods=["GET"]),
    Route("/privacy/users/{user_id}/consents/{purpose}/parent", record_parent, methods=["PUT"]),
    Route("/privacy/users/{user_id}/consents/{purpose}/parent", withdraw_parent, methods=["DELETE"]),
    Route("/privacy/class-directory", directory, methods=["GET"]),
]
