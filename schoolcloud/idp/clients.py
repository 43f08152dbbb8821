"""Relying parties the embedded IdP knows: the app itself."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from schoolcloud.config import Settings


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]

    def authenticates(self, secret: str | None) -> bool:
        return bool(secret) and hmac.compare_digest(self.secret, secret)


def clients(settings: Settings) -> dict[str, Client]:
    app = Client(
        client_id=settings.oidc_client_id,
        secret=settings.client_secret,
        redirect_uris=(f"{settings.base_url}/auth/callback",),
        post_logout_redirect_uris=(f"{settings.base_url}/logged-out",),
    )
    return {app.client_id: app}
