"""HTTP hardening as plain ASGI middleware: security headers, early refusal of oversized bodies,
and a same-origin check on state-changing requests (defence in depth beside the CSRF tokens)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schoolcloud.web.i18n import N_, in_locale, negotiate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def content_security_policy(form_targets: list[str]) -> str:
    form_action = " ".join(["'self'", *form_targets])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        f"frame-ancestors 'none'; form-action {form_action}"
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, form_targets: list[str], hsts: bool):
        self.app = app
        headers = {
            b"content-security-policy": content_security_policy(form_targets).encode(),
            b"x-content-type-options": b"nosniff",
            b"x-frame-options": b"DENY",
            b"referrer-policy": b"same-origin",
            b"permissions-policy": b"camera=(), microphone=(), geolocation=(), interest-cohort=()",
            b"cross-origin-opener-policy": b"same-origin",
            b"cross-origin-resource-policy": b"same-origin",
        }
        if hsts:
            headers[b"strict-transport-security"] = b"max-age=31536000; includeSubDomains"
        self.headers = list(headers.items())
        self.names = set(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self.names]
                message["headers"] = existing + self.headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


async def _refuse(scope: Scope, send: Send, status: int, code: str, message: str) -> None:
    locale = negotiate(_header(scope, b"accept-language") or "", "de")
    body = {"error": {"code": code, "message": in_locale(locale, message),
                      "message_de": in_locale("de", message), "message_en": in_locale("en", message)}}
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})


class BodyLimit:
    """Refuse bodies over a per-path limit: by Content-Length before reading, else while streaming.

    ``limits`` maps path prefixes to byte limits; the longest matching prefix wins. A limit of None
    leaves the body alone (streaming uploads enforce their own quota).
    """

    def __init__(self, app: ASGIApp, *, default: int, limits: dict[str, int | None]):
        self.app = app
        self.default = default
        self.limits = sorted(limits.items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int | None:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(scope, send, 413, "too_large", N_("The request is too large."))
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLarge:
            await _refuse(scope, send, 413, "too_large", N_("The request is too large."))


class BodyTooLarge(Exception):
    pass


class SameOrigin:
    """Refuse cross-site state changes: browsers send Origin (or Sec-Fetch-Site) on POST.

    Paths in ``exempt`` are called by other servers (the IdP's token endpoint), never by browsers.
    """

    def __init__(self, app: ASGIApp, *, base_url: str, exempt: tuple[str, ...] = ()):
        self.app = app
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS and \
                not scope["path"].startswith(self.exempt):
            origin = _header(scope, b"origin")
            fetch_site = _header(scope, b"sec-fetch-site")
            if (origin and origin != "null" and origin != self.origin) or fetch_site == "cross-site":
                await _refuse(scope, send, 403, "cross_origin", N_("Cross-site request refused."))
                return
        await self.app(scope, receive, send)
