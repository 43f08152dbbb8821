"""JSON API for operators: /schools and a school's first administrator."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts import services
from schoolcloud.accounts.api_common import body_fields, caller, credentials_json, ok, school_json, user_json

SCHOOL_FIELDS = ("name", "school_number", "state")


async def list_schools(request: Request):
    """
    summary: All schools of the instance (operators).
    responses:
      200: {description: "{items: [{id, name, school_number, state, active}]}"}
      403: {description: Not an operator.}
    """
    user = await caller(request)
    return ok({"items": [school_json(s) for s in await services.list_schools(user)]})


async def create_school(request: Request):
    """
    summary: Create a school (operators).
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [name]
            properties:
              name: {type: string, maxLength: 200}
              school_number: {type: string, maxLength: 32, description: Amtliche Schulnummer, unique.}
              state: {type: string, enum: [BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH]}
    responses:
      201: {description: The school.}
      422: {description: Invalid fields or the school number is taken (code school_number_taken).}
    """
    user = await caller(request)
    body = await body_fields(request, SCHOOL_FIELDS)
    school = await services.create_school(user, name=body.get("name", ""), school_number=body.get("school_number"),
                                          state=body.get("state", ""))
    return ok(school_json(school), status=201)


async def get_school(request: Request):
    """
    summary: One school with account counts and its administrators' login names (operators).
    parameters:
      - {name: school_id, in: path, required: true, schema: {type: integer}}
    responses:
      200: {description: "The school, counts per role, admins."}
      404: {description: No such school.}
    """
    user = await caller(request)
    school = await services.get_school(user, request.path_params["school_id"])
    overview = await services.school_overview(user, school)
    return ok({**school_json(school), "counts": overview["counts"],
               "admins": [{"id": str(a.public_id), "username": a.username, "active": a.active}
                          for a in overview["admins"]]})


async def update_school(request: Request):
    """
    summary: Change a school (operators); `active` false deactivates it (its accounts cannot log in).
    parameters:
      - {name: school_id, in: path, required: true, schema: {type: integer}}
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            properties:
              name: {type: string}
              school_number: {type: string, nullable: true}
              state: {type: string}
              active: {type: boolean}
    responses:
      200: {description: The school.}
      404: {description: No such school.}
      422: {description: Invalid fields.}
    """
    user = await caller(request)
    body = await body_fields(request, (*SCHOOL_FIELDS, "active"))
    return ok(school_json(await services.update_school(user, request.path_params["school_id"], **body)))


async def create_admin(request: Request):
    """
    summary: Create the school's first administrator (operators), while it has no active one.
    description: The one-time password is in this response only; it must be changed at the first login.
    parameters:
      - {name: school_id, in: path, required: true, schema: {type: integer}}
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [given_name, family_name]
            properties:
              given_name: {type: string}
              family_name: {type: string}
              email: {type: string}
              username: {type: string}
    responses:
      201: {description: "{user, username, initial_password}"}
      409: {description: The school already has an active administrator (code school_has_admin).}
      422: {description: Invalid fields.}
    """
    user = await caller(request)
    body = await body_fields(request, ("given_name", "family_name", "email", "username"))
    admin, credentials = await services.create_first_admin(
        user, request.path_params["school_id"], given_name=body.get("given_name", ""),
        family_name=body.get("family_name", ""), email=body.get("email"), username=body.get("username"))
    return ok({"user": user_json(admin, classes=False), **credentials_json(credentials)}, status=201)


routes = [
    Route("/schools", list_schools, methods=["GET"]),
    Route("/schools", create_school, methods=["POST"]),
    Route("/schools/{school_id:int}", get_school, methods=["GET"]),
    Route("/schools/{school_id:int}", update_school, methods=["PATCH"]),
    Route("/schools/{school_id:int}/admins", create_admin, methods=["POST"]),
]
