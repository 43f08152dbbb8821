"""The JSON API under /api/v1: each domain contributes its routes; the OpenAPI document is generated
from their docstrings."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.schemas import SchemaGenerator

from schoolcloud.accounts.api import routes as accounts_api
from schoolcloud.api.common import api_user
from schoolcloud.courses.api import routes as courses_api
from schoolcloud.courses.api_library import routes as library_api
from schoolcloud.planning.api import routes as planning_api
from schoolcloud.planning.api_steps import routes as planning_steps_api
from schoolcloud.privacy.api import routes as privacy_api
from schoolcloud.tasks.api import routes as tasks_api
from schoolcloud.web.csrf import csrf_token

schemas = SchemaGenerator({
    "openapi": "3.0.3",
    "info": {"title": "schoolcloud API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "schoolcloud_session"},
            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
        },
        "schemas": {
            "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                "code": {"type": "string"}, "message": {"type": "string"}, "message_de": {"type": "string"},
                "message_en": {"type": "string"}, "field": {"type": "string"}}}}},
        },
    },
    "security": [{"session": [], "csrf": []}],
})


async def me(request: Request) -> JSONResponse:
    """
    summary: The logged-in user and the CSRF token for state-changing calls.
    responses:
      200: {description: The user.}
      401: {description: Not logged in.}
    """
    user = await api_user(request)
    return JSONResponse({
        "id": str(user.public_id), "username": user.username, "given_name": user.given_name,
        "family_name": user.family_name, "role": user.role, "school_id": user.school_id,
        "must_change_password": user.must_change_password, "csrf_token": csrf_token(request),
    })


async def openapi(request: Request) -> JSONResponse:
    from schoolcloud.files.api import routes as files_routes  # mounted beside /api/v1 for its streaming paths

    document = schemas.get_schema(routes=[*routes, Mount("/files", routes=files_routes)])
    document["paths"].update(public_link_paths())
    return JSONResponse(document)


def public_link_paths() -> dict:
    """The public link API (/s/{token}...: link landing, downloads, file drops): outside /api/v1 and
    without a login, so its paths carry their own server and no security requirement."""
    from schoolcloud.files.links_api import PREFIX, routes as link_routes

    paths = SchemaGenerator({}).get_schema(routes=[Mount(PREFIX, routes=link_routes)])["paths"]
    for operations in paths.values():
        for operation in operations.values():
            operation["security"] = []
        operations["servers"] = [{"url": "/"}]
    return paths


routes = [
    Route("/me", me),
    Route("/openapi.json", openapi, include_in_schema=False),
    *accounts_api,
    *courses_api,
    *library_api,
    *planning_api,
    *planning_steps_api,
    *privacy_api,
    *tasks_api,
]
