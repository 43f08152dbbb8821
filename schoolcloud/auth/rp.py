"""The OpenID Connect relying party (Authlib). The same code serves the embedded and external IdPs."""

from __future__ import annotations

import asyncio

import httpx
from authlib.integrations.starlette_client import OAuth
from starlette.types import ASGIApp, Receive, Scope, Send

from schoolcloud.config import Settings


def _in_own_context(app: ASGIApp) -> ASGIApp:
    """The app as an ASGI callable that runs each request in a task of its own: a task copies the caller's
    context, so what the inner request sets (its language, its state) does not leak into the request
    that made the call."""

    async def call(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.create_task(app(scope, receive, send))

    return call


def make_oauth(settings: Settings, app: ASGIApp | None = None) -> OAuth:
    """``app``: with the embedded IdP, the app itself; the relying party then reaches the IdP's endpoints
    (metadata, keys, token) in-process instead of over a loopback TCP connection per call (Authlib makes a
    new HTTP client, so a new connection, for each call). The requests still pass the whole app, with the
    IdP's client authentication, PKCE and code checks, and they reach the instance that runs the login,
    which shares the database with every other one."""
    # Authlib makes a new HTTP client for each call to the provider (two per login), and each would load the
    # CA bundle into a new TLS context: ~20 ms of CPU, most of a login's cost besides the password hash.
    # One context, made once, serves them all.
    tls = httpx.create_ssl_context()
    # An error inside the IdP comes back as its 500 response, as over the network, not as an exception.
    in_process = {"transport": httpx.ASGITransport(app=_in_own_context(app), raise_app_exceptions=False)} \
        if app is not None else {}
    oauth = OAuth()
    oauth.register(
        "idp",
        client_id=settings.oidc_client_id,
        client_secret=settings.client_secret,
        server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": settings.oidc_scopes,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic",
            "timeout": 10,
            "verify": tls,
            **in_process,
        },
    )
    return oauth
