"""JSON API: accounts of the caller's school (/users) and password resets."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from schoolcloud.accounts import services
from schoolcloud.accounts.api_common import (
    body_fields,
    caller,
    credentials_json,
    no_content,
    ok,
    page_json,
    pdf,
    user_json,
    wants_pdf,
)
from schoolcloud.accounts.services_base import CredentialsBatch
from schoolcloud.accounts.services_users import EDITABLE
from schoolcloud.accounts.validation import flag

CREATE_FIELDS = ("role", "given_name", "family_name", "birth_date", "email", "username", "class_id")


async def list_users(request: Request):
    """
    summary: Accounts of the caller's school, paged and sorted by family name.
    description: School admins see every account of their school; teachers see the pupils of their classes.
    parameters:
      - {name: q, in: query, schema: {type: string}, description: Words that must each match a name or the username.}
      - {name: role, in: query, schema: {type: string, enum: [pupil, teacher, school_admin]}}
      - {name: class_id, in: query, schema: {type: integer}}
      - {name: active, in: query, schema: {type: boolean}}
      - {name: page, in: query, schema: {type: integer, minimum: 1, default: 1}}
      - {name: per_page, in: query, schema: {type: integer, minimum: 1, maximum: 200, default: 50}}
    responses:
      200: {description: "{items, total, page, per_page, pages}; items carry id (UUID), username, names, role, classes."}
      403: {description: Pupils and operators.}
    """
    user = await caller(request)
    params = request.query_params
    active = params.get("active")
    result = await services.list_users(
        user, q=params.get("q", ""), role=params.get("role") or None, class_id=params.get("class_id") or None,
        active=None if active in (None, "") else flag(active), page=params.get("page"),
        per_page=params.get("per_page"))
    return ok(page_json(result, [user_json(u) for u in result.items]))


async def create_user(request: Request):
    """
    summary: Create an account in the caller's school (school admins).
    description: >
      The username is made from the names unless given. The response carries the one-time password, this
      once only; the account must replace it at the first login.
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [role, given_name, family_name]
            properties:
              role: {type: string, enum: [pupil, teacher, school_admin]}
              given_name: {type: string, maxLength: 100}
              family_name: {type: string, maxLength: 100}
              birth_date: {type: string, format: date}
              email: {type: string, format: email}
              username: {type: string, pattern: "^[a-z0-9][a-z0-9._-]*$"}
              class_id: {type: integer, description: Class to put the pupil or teacher in.}
    responses:
      201: {description: "{user, initial_password}"}
      403: {description: Not a school admin.}
      422: {description: Invalid fields (error.fields lists code, field and message in German and English).}
    """
    user = await caller(request)
    body = await body_fields(request, CREATE_FIELDS)
    for name in ("role", "given_name", "family_name"):
        body.setdefault(name, "")
    created, credentials = await services.create_user(user, **body)
    await created.fetch_related("classes")
    return ok({"user": user_json(created), **credentials_json(credentials)}, status=201)


async def get_user(request: Request):
    """
    summary: One account of the caller's school.
    parameters:
      - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
    responses:
      200: {description: The account.}
      404: {description: No such account in the caller's school.}
    """
    user = await caller(request)
    return ok(user_json(await services.get_user(user, request.path_params["user_id"])))


async def update_user(request: Request):
    """
    summary: Change an account (school admins); only the given fields change.
    description: "`active: false` deactivates (its sessions end), `active: true` reactivates."
    parameters:
      - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            properties:
              given_name: {type: string}
              family_name: {type: string}
              birth_date: {type: string, format: date, nullable: true}
              email: {type: string, nullable: true}
              username: {type: string}
              role: {type: string, enum: [pupil, teacher, school_admin]}
              active: {type: boolean}
    responses:
      200: {description: The changed account.}
      404: {description: No such account in the caller's school.}
      409: {description: "Refused: own account or the school's last active administrator."}
      422: {description: Invalid fields.}
    """
    user = await caller(request)
    body = await body_fields(request, (*EDITABLE, "active"))
    user_id = request.path_params["user_id"]
    active = body.pop("active", None)
    target = await services.update_user(user, user_id, **body)
    if active is not None:
        target = await (services.reactivate_user if flag(active) else services.deactivate_user)(user, user_id)
    await target.fetch_related("classes")
    return ok(user_json(target))


async def delete_user(request: Request):
    """
    summary: Delete an account for good (school admins, GDPR erasure).
    description: >
      Removes the personal space with its files (objects too), unfinished uploads, the shares and links the
      account made, its sessions, memberships, consents and login grants.
    parameters:
      - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
    responses:
      204: {description: Deleted.}
      404: {description: No such account in the caller's school.}
      409: {description: "Refused: own account, the school's last active administrator, a frozen account, or a deletion already running."}
      410: {description: The account has already been deleted.}
    """
    user = await caller(request)
    await services.delete_user(user, request.path_params["user_id"], files=request.app.state.files)
    return no_content()


async def reset_password(request: Request):
    """
    summary: Set a new one-time password.
    description: >
      School admins: any account of their school. Teachers: pupils of classes they are members of. The
      account's sessions end and it must choose a new password at the next login. The password is in this
      response only: JSON by default, or the printable access letter with `Accept: application/pdf`.
    parameters:
      - {name: user_id, in: path, required: true, schema: {type: string, format: uuid}}
    responses:
      200:
        description: "{username, initial_password, must_change_password}"
        content:
          application/json: {}
          application/pdf: {}
      403: {description: Not allowed to reset this account.}
      404: {description: No such account.}
    """
    user = await caller(request)
    credentials = await services.reset_password(user, request.path_params["user_id"])
    if wants_pdf(request):
        school = await services.school_of(user)
        return await pdf(request, CredentialsBatch(school.name, [credentials]), "zugangsdaten.pdf")
    return ok(credentials_json(credentials))


routes = [
    Route("/users", list_users, methods=["GET"]),
    Route("/users", create_user, methods=["POST"]),
    Route("/users/{user_id}", get_user, methods=["GET"]),
    Route("/users/{user_id}", update_user, methods=["PATCH"]),
    Route("/users/{user_id}", delete_user, methods=["DELETE"]),
    Route("/users/{user_id}/password-reset", reset_password, methods=["POST"]),
]
