"""A light browser for the login storm: the same login as tests/support/browser.py (GET /login, the
redirects to the IdP's form, its CSRF token, the credential POST, the callback, the start page), with a
cookie jar and one keep-alive HTTP/1.1 connection per pupil, written on asyncio's streams.

Why not httpx: the load clients run on the server's cores, and httpx spent about 9 ms of CPU per login
(its models, hooks and cookie jar for each of the five requests), about a sixth of the server's cost,
so the storm measured the client too. This one spends well under a millisecond per request. It is a
plain client of the server: it sends what a browser sends, keeps what the server sets, and the server
checks everything as for any browser (CSRF token and cookie, state, nonce, PKCE, throttling).

Only what the app answers is understood: HTTP/1.1 with Content-Length or chunked bodies, cookies for
the one host (attributes other than Max-Age=0 are ignored), redirects by Location.
"""

from __future__ import annotations

import asyncio
import time
from html import unescape
from urllib.parse import urlencode, urlsplit

from tests.support.browser import CSRF_RE

REDIRECTS = (301, 302, 303, 307, 308)


class Response:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes, path: str):
        self.status = status
        self.headers = headers
        self.body = body
        self.path = path  # the path this response answered (after redirects: the final one)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class LightBrowser:
    """One pupil's browser: one connection to ``base_url`` (reopened if the server closes it) and the
    cookies the server set."""

    def __init__(self, base_url: str, timeout: float = 120):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.netloc = parts.netloc
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        # With a list: (method, path, start, end) of each request, perf_counter seconds (login_storm --trace).
        self.steps: list[tuple[str, str, float, float]] | None = None
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> "LightBrowser":
        return self

    async def __aexit__(self, *exc) -> None:
        if self.writer is not None:
            self.writer.close()

    async def request(self, method: str, target: str, form: dict[str, str] | None = None) -> Response:
        if self.steps is None:
            return await asyncio.wait_for(self._request(method, target, form), self.timeout)
        start = time.perf_counter()
        response = await asyncio.wait_for(self._request(method, target, form), self.timeout)
        self.steps.append((method, urlsplit(target).path or "/", start, time.perf_counter()))
        return response

    async def _request(self, method: str, target: str, form: dict[str, str] | None) -> Response:
        parts = urlsplit(target)
        if parts.netloc and parts.netloc != self.netloc:
            raise AssertionError(f"redirect to another host: {target}")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.netloc}", "Accept: text/html",
                 "Accept-Language: de"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = b""
        if form is not None:
            body = urlencode(form).encode()
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Origin: {self.origin}"]
        lines.append(f"Content-Length: {len(body)}")
        message = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(message)
        status, headers, content = await self._read_response()
        for key, value in headers:
            if key == "set-cookie":
                self._keep_cookie(value)
            elif key == "connection" and value.lower() == "close":
                self.writer.close()
        return Response(status, headers, content, parts.path or "/")

    async def _read_response(self) -> tuple[int, list[tuple[str, str]], bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = []
        for line in header_lines:
            if line:
                key, _, value = line.partition(":")
                headers.append((key.strip().lower(), value.strip()))
        fields = dict(headers)
        if fields.get("transfer-encoding", "").lower() == "chunked":
            content = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if not size:
                    break
                content += chunk[:-2]
        else:
            content = await self.reader.readexactly(int(fields.get("content-length", "0")))
        return status, headers, content

    def _keep_cookie(self, value: str) -> None:
        pair, *attributes = value.split(";")
        name, _, content = pair.strip().partition("=")
        expired = any(a.strip().lower() in ("max-age=0", "max-age=-1") for a in attributes)
        if expired or content in ("", '""', "null"):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = content

    async def follow(self, response: Response, limit: int = 10) -> Response:
        for _ in range(limit):
            if response.status not in REDIRECTS:
                return response
            response = await self.request("GET", response.header("location"))
        raise AssertionError("too many redirects")


async def login(browser: LightBrowser, username: str, password: str) -> Response:
    """The login of tests/support/browser.login for an account with a password of its own; returns the
    final page."""
    response = await browser.request("GET", "/login?next=%2F")
    assert response.status == 302, f"GET /login: {response.status}"
    form_page = await browser.follow(response)
    match = CSRF_RE.search(form_page.text)
    assert match, f"the IdP's page ({form_page.status}) has no CSRF token"
    response = await browser.request("POST", "/idp/authorize", form={
        "csrf_token": unescape(match.group(1)), "username": username, "password": password})
    assert response.status in (302, 303), f"POST /idp/authorize: {response.status}"
    return await browser.follow(response)
