"""Security headers, CSRF, same-origin checks, body limits and JSON errors, over real HTTP."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest

from schoolcloud.accounts.models import Role
from tests.support import browser
from tests.support.data import make_school, make_user

ROOT = Path(__file__).resolve().parents[1]


async def test_pages_carry_strict_security_headers(app):
    async with browser.client(app.base_url) as http:
        for path in ("/", "/idp/.well-known/openid-configuration", "/static/app.css", "/nope"):
            response = await http.get(path)
            csp = response.headers["content-security-policy"]
            assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert "unsafe-inline" not in csp and "http" not in csp
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["referrer-policy"] == "same-origin"


def test_templates_and_assets_reference_no_external_resource():
    external = re.compile(r"""(src|href|action|url)\s*[=(]\s*["']?\s*(https?:)?//""", re.I)
    files = [*ROOT.joinpath("templates").rglob("*.html"), *ROOT.joinpath("schoolcloud/web/static").rglob("*")]
    offenders = [str(f) for f in files if f.is_file() and external.search(f.read_text(errors="ignore"))]
    assert not offenders


async def test_logout_without_csrf_token_is_refused(app):
    school = await make_school()
    user = await make_user(school, Role.TEACHER)
    async with browser.client(app.base_url) as http:
        await browser.login(http, user.username, "correct horse battery")
        response = await http.post("/logout", data={"csrf_token": "forged"})
        assert response.status_code == 403
        assert (await http.get("/api/v1/me")).status_code == 200


async def test_cross_site_post_is_refused_before_anything_runs(app):
    async with browser.client(app.base_url) as http:
        response = await http.post("/logout", headers={"Origin": "https://evil.example"})
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "cross_origin"
        assert error["message_en"] and error["message_de"]


async def test_oversized_body_is_refused_early(app):
    """The answer comes on the headers alone: the client has not sent a byte of the body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", app.port)
    writer.write(b"POST /logout HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
                 b"\r\nContent-Length: 2097152\r\n\r\n")
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), timeout=10)
    writer.close()
    assert status_line.split()[1] == b"413"


async def test_oversized_chunked_body_is_refused(app):
    """Without Content-Length the limit is enforced while reading: 413 after the limit, not after the end."""
    reader, writer = await asyncio.open_connection("127.0.0.1", app.port)
    writer.write(b"POST /logout HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
                 b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"10000\r\n" + b"y" * 0x10000 + b"\r\n"
    status_line = b""
    for _ in range(64):  # up to 4 MiB, far over the 1 MiB form limit
        writer.write(chunk)
        await writer.drain()
        try:
            # Look for the answer after every chunk: once the server has answered and closed, more
            # writes would make the kernel reset the connection and drop the answer.
            status_line = await asyncio.wait_for(reader.readline(), timeout=0.2)
            break
        except asyncio.TimeoutError:
            continue
    writer.close()
    assert status_line.split()[1] == b"413"


async def test_api_errors_are_json_with_code_and_both_languages(app):
    async with browser.client(app.base_url) as http:
        response = await http.get("/api/v1/me")
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["code"] == "login_required"
        assert error["message_en"] == "Please log in."
        assert error["message_de"] and error["message_de"] != error["message_en"]
        missing = await http.get("/api/v1/does-not-exist")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "http_404"


async def test_api_state_change_needs_csrf_header(app):
    school = await make_school()
    user = await make_user(school, Role.SCHOOL_ADMIN)
    async with browser.client(app.base_url) as http:
        await browser.login(http, user.username, "correct horse battery")
        token = (await http.get("/api/v1/me")).json()["csrf_token"]
        assert token
        refused = await http.post("/logout")
        assert refused.status_code == 403


async def test_openapi_document_lists_the_api(app):
    async with httpx.AsyncClient(base_url=app.base_url) as http:
        document = (await http.get("/api/v1/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    assert "/me" in document["paths"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method != "servers":
                assert operation.get("responses"), f"{method.upper()} {path} documents no responses"
    # the public link API: outside /api/v1 (its own server), no login, its refusals documented
    landing = document["paths"]["/s/{token}"]
    assert landing["servers"] == [{"url": "/"}] and landing["get"]["security"] == []
    assert {404, 410, 429} <= {int(code) for code in landing["get"]["responses"]}
    assert {"post", "options"} <= set(document["paths"]["/s/{token}/tus"])


@pytest.mark.parametrize("accept, expected", [("en-GB,en;q=0.9", "en"), ("de-DE", "de"), ("fr-FR", "de"),
                                              ("fr;q=1, en;q=0.5", "en")])
async def test_language_follows_browser(app, accept, expected):
    async with browser.client(app.base_url, headers={"Accept-Language": accept}) as http:
        page = await http.get("/")
        assert f'<html lang="{expected}">' in page.text


async def test_language_can_be_switched(app):
    async with browser.client(app.base_url, headers={"Accept-Language": "de"}) as http:
        switched = await http.get("/lang/en", params={"next": "/"})
        assert switched.status_code == 303 and switched.headers["location"] == "/"
        page = await http.get("/")
        assert '<html lang="en">' in page.text
        evil = await http.get("/lang/de", params={"next": "//evil.example/"})
        assert evil.headers["location"] == "/"


async def test_health_endpoints(app):
    async with httpx.AsyncClient(base_url=app.base_url) as http:
        assert (await http.get("/healthz/live")).text == "ok"
        assert (await http.get("/healthz/ready")).json() == {"status": "ok"}


async def test_error_page_keeps_navigation_of_logged_in_user(app):
    school = await make_school()
    user = await make_user(school, Role.TEACHER, given_name="Ilse")
    async with browser.client(app.base_url) as http:
        await browser.login(http, user.username, "correct horse battery")
        page = await http.get("/no-such-page")
        assert page.status_code == 404
        assert 'action="/logout"' in page.text and "Ilse" in page.text


def test_every_api_endpoint_has_a_parsable_openapi_docstring():
    """The OpenAPI document is built from YAML docstrings; one broken docstring breaks the whole document."""
    from starlette.routing import Mount

    from schoolcloud.api.routes import routes, schemas
    from schoolcloud.files.api import routes as files_routes

    document = schemas.get_schema(routes=[*routes, Mount("/files", routes=files_routes)])
    documented = {path for path in document["paths"]}
    assert "/files/spaces/{space_id}" in documented and "/me" in documented
