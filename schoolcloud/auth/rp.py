"""The OpenID Connect relying party (Authlib). The same code serves the embedded and external IdPs."""

from __future__ import annotations

import httpx
from authlib.integrations.starlette_client import OAuth

from schoolcloud.config import Settings


def make_oauth(settings: Settings) -> OAuth:
    # Authlib makes a new HTTP client for each call to the provider (two per login), and each would load the
    # CA bundle into a new TLS context: ~20 ms of CPU, most of a login's cost besides the password hash.
    # One context, made once, serves them all.
    tls = httpx.create_ssl_context()
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
        },
    )
    return oauth
