"""Login, callback and logout of the relying party."""

from __future__ import annotations

import logging
import secrets

import httpx
from authlib.integrations.base_client import OAuthError
from joserfc.errors import JoseError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from schoolcloud.auth import sessions
from schoolcloud.auth.current import current_user, safe_next
from schoolcloud.auth.provisioning import LoginRefused, user_from_claims
from schoolcloud.privacy import audit
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.i18n import N_, current_locale
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

log = logging.getLogger(__name__)


def _settings(request: Request):
    return request.app.state.settings


async def login(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    if await current_user(request) is not None:
        return RedirectResponse(target, status_code=303)
    request.session["next"] = target
    client = request.app.state.oauth.idp
    return await client.authorize_redirect(request, f"{_settings(request).base_url}/auth/callback",
                                           ui_locales=current_locale.get(), **_login_secrets())


def _login_secrets() -> dict[str, str]:
    """State, nonce and PKCE verifier from the secrets module, 192 bits or more each. Authlib would draw
    them one character at a time from SystemRandom (a getrandom call per character, 98 per login: about
    half of this page's CPU in bench/login_storm.py), with fewer bits for state and nonce."""
    return {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24),
            "code_verifier": secrets.token_urlsafe(48)}


REFUSALS = {
    "no_role": N_("Your account has no role in schoolcloud (pupil, teacher or school administrator). "
                  "Please ask your school's administration."),
    "unknown_school": N_("Your school is not set up in schoolcloud yet. Please ask your school's "
                         "administration."),
    "unknown_account": N_("This account does not exist (any more)."),
    "deactivated": N_("This account has been deactivated. Please ask your school's administration."),
}


def _failed(request: Request, message: str, status: int = 400) -> Response:
    return render(request, "auth/login_failed.html", status_code=status, message=message,
                  page_title=_("Login failed"))


async def callback(request: Request) -> Response:
    client = request.app.state.oauth.idp
    settings = _settings(request)
    try:
        # Options given here replace Authlib's defaults, so each check is spelled out: without "aud" an
        # id_token issued to another client would pass as long as its azp named this one.
        token = await client.authorize_access_token(request, claims_options={
            "iss": {"essential": True, "values": [settings.issuer]},
            "aud": {"essential": True, "value": settings.oidc_client_id},
            "sub": {"essential": True},
        })
        if not token.get("userinfo"):
            raise ValueError("the token response carried no id_token")
    except (OAuthError, JoseError, ValueError, KeyError, httpx.HTTPError) as exc:
        # Wrong state, replayed or unknown code, wrong nonce or audience, expired or forged token; or the
        # provider did not answer in time (overloaded): the user may simply try again.
        log.warning("login callback refused: %s: %s", type(exc).__name__, exc)
        return _failed(request, _("The login could not be completed. Please try again."))
    claims = dict(token.get("userinfo") or {})
    try:
        user = await user_from_claims(settings, claims)
    except LoginRefused as refused:
        await audit.record("login.refused", details={"reason": refused.reason, "issuer": claims.get("iss", "")},
                           ip=request.client.host if request.client else None)
        return _failed(request, _(REFUSALS[refused.reason]), status=403)
    target = safe_next(request.session.get("next"))
    # The session and its login event with one commit (one fsync on SQLite, in the login storm's hot path).
    await audit.record("login", actor=user, school_id=user.school_id,
                       ip=request.client.host if request.client else None,
                       together_with=lambda: sessions.start(request, user, token))
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    await checked_form(request)
    row = await sessions.end(request)
    post_logout = f"{_settings(request).base_url}/logged-out"
    if row is None:
        return RedirectResponse(post_logout, status_code=303)
    await audit.record("logout", actor=await row.user, school_id=(await row.user).school_id)
    client = request.app.state.oauth.idp
    metadata = await client.load_server_metadata()
    if not metadata.get("end_session_endpoint"):
        return RedirectResponse(post_logout, status_code=303)
    response = await client.logout_redirect(request, post_logout_redirect_uri=post_logout,
                                            id_token_hint=row.id_token)
    response.status_code = 303
    return response


async def logged_out(request: Request) -> Response:
    if request.query_params.get("state"):
        try:
            await request.app.state.oauth.idp.validate_logout_response(request)
        except OAuthError:
            pass  # the local session is gone either way
    return render(request, "auth/logged_out.html", page_title=_("Logged out"))


routes = [
    Route("/login", login),
    Route("/auth/callback", callback),
    Route("/logout", logout, methods=["POST"]),
    Route("/logged-out", logged_out),
]
