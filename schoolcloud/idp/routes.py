"""HTTP endpoints of the embedded OpenID Connect provider, mounted under /idp."""

from __future__ import annotations

import base64
from urllib.parse import unquote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import User
from schoolcloud.accounts.passwords import MAX_LENGTH, MIN_LENGTH, check_login, check_password, hash_password
from schoolcloud.idp import keys, service
from schoolcloud.idp.clients import clients
from schoolcloud.privacy import audit
from schoolcloud.web.csrf import checked_form
from schoolcloud.web.i18n import gettext_ as _
from schoolcloud.web.templating import render

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
SESSION_REQUEST = "idp_request"
SESSION_PENDING = "idp_pending_user"


def _settings(request: Request):
    return request.app.state.settings


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def discovery(request: Request) -> JSONResponse:
    issuer = _settings(request).issuer
    return JSONResponse({
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "end_session_endpoint": f"{issuer}/logout",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [keys.ALGORITHM],
        "scopes_supported": list(service.SUPPORTED_SCOPES),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name", "given_name",
                             "family_name", "preferred_username", "email", "roles", "school", "classes"],
        "ui_locales_supported": ["de", "en"],
    })


async def jwks(request: Request) -> JSONResponse:
    return JSONResponse(await keys.jwks(), headers={"Cache-Control": "public, max-age=300"})


def _redirect_with(uri: str, **params) -> RedirectResponse:
    separator = "&" if "?" in uri else "?"
    clean = {k: v for k, v in params.items() if v}
    return RedirectResponse(f"{uri}{separator}{urlencode(clean)}", status_code=302)


def _error_page(request: Request, message: str, status: int = 400) -> Response:
    return render(request, "idp/error.html", status_code=status, message=message, page_title=_("Login"))


async def authorize(request: Request) -> Response:
    if request.method == "POST":
        return await _login_submit(request)
    params = request.query_params
    if not params and _pending_request(request) is not None:
        # Back on the form without the original query (language switch after a failed attempt):
        # the pending request in the session still holds, so show the form again.
        return render(request, "idp/login.html", username="", error="", page_title=_("Login"))
    try:
        auth_request = service.parse_authorization_request(_settings(request), params)
    except service.UntrustedRedirect:
        return _error_page(request, _("This login link is invalid. Please start again from the app."))
    except service.OAuthError as exc:
        return _redirect_with(params["redirect_uri"], error=exc.error, error_description=exc.description,
                              state=params.get("state", ""))
    request.session[SESSION_REQUEST] = auth_request.as_dict()
    request.session.pop(SESSION_PENDING, None)
    return render(request, "idp/login.html", username="", error="", page_title=_("Login"))


async def _finish(request: Request, auth_request: service.AuthorizationRequest, user: User,
                  code: str | None = None) -> Response:
    """Back to the client with a code: ``code`` if already issued, else a new one."""
    request.session.pop(SESSION_REQUEST, None)
    request.session.pop(SESSION_PENDING, None)
    code = code or await service.issue_code(auth_request, user)
    return _redirect_with(auth_request.redirect_uri, code=code, state=auth_request.state)


def _pending_request(request: Request) -> service.AuthorizationRequest | None:
    stored = request.session.get(SESSION_REQUEST)
    return service.AuthorizationRequest(**stored) if stored else None


async def _login_submit(request: Request) -> Response:
    form = await checked_form(request)
    auth_request = _pending_request(request)
    if auth_request is None:
        return _error_page(request, _("Your login took too long. Please start again from the app."))
    username = str(form.get("username", "")).strip().lower()[:150]
    password = str(form.get("password", ""))
    ip = _client_ip(request)

    def again(message: str, status: int) -> Response:
        return render(request, "idp/login.html", status_code=status, username=username, error=message,
                      page_title=_("Login"))

    limiter = request.app.state.throttle
    async with limiter.one_at_a_time(username):
        until = await limiter.locked_until(username, ip)
        if until is not None:
            return again(_("Too many failed attempts. Please wait until %(time)s UTC and try again.",
                           time=until.strftime("%H:%M")), 429)
        user = await service.account_for_login(username) if username else None
        check = await check_login(user, password, _settings(request).workers)
        if not check.valid or not user.active or (user.school is not None and not user.school.active):
            await limiter.record_failure(username, ip)
            if user is not None:
                await audit.record("login.failed", actor=user, school_id=user.school_id, ip=ip)
            return again(_("Wrong login name or password."), 401)
        # What a successful login writes, in one transaction: one commit (an fsync on SQLite) instead of
        # three, in the login storm's hot path.
        async with in_transaction():
            await limiter.record_success(username, ip)
            if check.new_hash:
                await service.store_rehash(user, check.new_hash)
            code = None if user.must_change_password else await service.issue_code(auth_request, user)
    if code is None:
        request.session[SESSION_PENDING] = str(user.public_id)
        return RedirectResponse("/idp/password", status_code=303)
    return await _finish(request, auth_request, user, code)


async def change_password(request: Request) -> Response:
    """The one-time password of a new or reset account must be replaced before the login completes."""
    auth_request = _pending_request(request)
    public_id = request.session.get(SESSION_PENDING)
    user = await User.get_or_none(public_id=public_id, active=True) if public_id else None
    if auth_request is None or user is None:
        return _error_page(request, _("Your login took too long. Please start again from the app."))
    if request.method == "GET":
        return render(request, "idp/change_password.html", error="", page_title=_("Choose a new password"))
    form = await checked_form(request)
    new, repeated = str(form.get("new_password", "")), str(form.get("new_password_repeat", ""))
    error = password_problem(new, repeated, user)
    if not error and await check_password(user.password_hash, new, _settings(request).workers):
        error = _("The new password must differ from the one-time password.")
    if error:
        return render(request, "idp/change_password.html", status_code=422, error=error,
                      page_title=_("Choose a new password"))
    user.password_hash = await run_in_threadpool(hash_password, new, user.role)
    user.must_change_password = False
    await user.save(update_fields=["password_hash", "must_change_password", "updated_at"])
    await audit.record("account.password_changed", actor=user, school_id=user.school_id, target_type="user",
                       target_id=user.public_id, ip=_client_ip(request))
    return await _finish(request, auth_request, user)


def password_problem(new: str, repeated: str, user: User) -> str:
    if len(new) < MIN_LENGTH:
        return _("The password must have at least %(n)s characters.", n=MIN_LENGTH)
    if len(new) > MAX_LENGTH:
        return _("The password must have at most %(n)s characters.", n=MAX_LENGTH)
    if new != repeated:
        return _("The two passwords differ.")
    if new.lower() in (user.username.lower(), user.given_name.lower(), user.family_name.lower()):
        return _("The password must not be your name or login name.")
    return ""


def _token_error(exc: service.OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="schoolcloud"'
    return JSONResponse({"error": exc.error, "error_description": exc.description}, exc.status, headers=headers)


def _client_credentials(request: Request, form) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None, None
        return unquote(client_id), unquote(secret)
    return form.get("client_id"), form.get("client_secret")


async def token(request: Request) -> JSONResponse:
    form = await request.form()
    settings = _settings(request)
    try:
        client = service.authenticate_client(settings, *_client_credentials(request, form))
        grant = form.get("grant_type")
        if grant == "authorization_code":
            result = await service.exchange_code(settings, client, form.get("code", ""),
                                                 form.get("redirect_uri", ""), form.get("code_verifier", ""))
        elif grant == "refresh_token":
            result = await service.refresh(settings, client, form.get("refresh_token", ""))
        else:
            raise service.OAuthError("unsupported_grant_type", "grant type not supported")
    except service.OAuthError as exc:
        return _token_error(exc)
    return JSONResponse(result, headers=NO_STORE)


async def userinfo(request: Request) -> JSONResponse:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return JSONResponse({"error": "invalid_token"}, 401, headers={"WWW-Authenticate": "Bearer"})
    try:
        user = await service.user_from_access_token(_settings(request), header[7:].strip())
    except service.OAuthError as exc:
        return JSONResponse({"error": exc.error, "error_description": exc.description}, 401,
                            headers={"WWW-Authenticate": f'Bearer error="{exc.error}"'})
    return JSONResponse(await service.user_claims(user), headers=NO_STORE)


async def end_session(request: Request) -> Response:
    params = dict(request.query_params)
    if request.method == "POST":
        params.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    settings = _settings(request)
    subject = await service.id_token_subject(settings, params.get("id_token_hint", ""))
    known = clients(settings).get(params.get("client_id", settings.oidc_client_id))
    if subject:
        user = await User.get_or_none(public_id=subject)
        if user is not None and known is not None:
            await service.revoke_user_tokens(user.id, known.client_id)
    request.session.pop(SESSION_REQUEST, None)
    request.session.pop(SESSION_PENDING, None)
    target = params.get("post_logout_redirect_uri", "")
    if subject and known and target in known.post_logout_redirect_uris:
        return _redirect_with(target, state=params.get("state", ""))
    return render(request, "idp/logged_out.html", page_title=_("Logged out"))


routes = [
    Route("/.well-known/openid-configuration", discovery),
    Route("/jwks", jwks),
    Route("/authorize", authorize, methods=["GET", "POST"]),
    Route("/password", change_password, methods=["GET", "POST"]),
    Route("/token", token, methods=["POST"]),
    Route("/userinfo", userinfo, methods=["GET", "POST"]),
    Route("/logout", end_session, methods=["GET", "POST"]),
]
