"""Drive the login flow the way a browser does: follow redirects, fill in the IdP's form."""

from __future__ import annotations

import re
from html import unescape

import httpx

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return unescape(match.group(1))


def client(base_url: str, **kwargs) -> httpx.AsyncClient:
    kwargs.setdefault("timeout", 30)
    return httpx.AsyncClient(base_url=base_url, follow_redirects=False, **kwargs)


async def follow(http: httpx.AsyncClient, response: httpx.Response, limit: int = 10) -> httpx.Response:
    for _ in range(limit):
        if response.status_code not in (301, 302, 303, 307, 308):
            return response
        response = await http.get(response.headers["location"])
    raise AssertionError("too many redirects")


async def start_login(http: httpx.AsyncClient, next_path: str = "/") -> httpx.Response:
    """GET /login and follow to the embedded IdP's login form."""
    response = await http.get("/login", params={"next": next_path})
    assert response.status_code == 302, response.text
    return await follow(http, response)


async def submit_login(http: httpx.AsyncClient, form_page: httpx.Response, username: str,
                       password: str) -> httpx.Response:
    return await http.post("/idp/authorize", data={
        "csrf_token": csrf_from(form_page.text), "username": username, "password": password})


async def login(http: httpx.AsyncClient, username: str, password: str, new_password: str | None = None,
                next_path: str = "/") -> httpx.Response:
    """Full login through the embedded IdP; returns the final page."""
    form_page = await start_login(http, next_path)
    response = await submit_login(http, form_page, username, password)
    if response.status_code == 303 and response.headers["location"].endswith("/idp/password"):
        page = await http.get("/idp/password")
        assert new_password, "account needs a new password"
        response = await http.post("/idp/password", data={
            "csrf_token": csrf_from(page.text), "new_password": new_password,
            "new_password_repeat": new_password})
    assert response.status_code in (302, 303), f"{response.status_code}: {response.text[:500]}"
    return await follow(http, response)
