"""The embedded OpenID Connect provider at protocol level: discovery, JWKS, authorize, token, userinfo and
end-session, spoken to directly with httpx as a relying party would (no app pages in between)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from argon2 import PasswordHasher
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from schoolcloud.accounts.models import Role, User
from schoolcloud.config import load_settings
from schoolcloud.idp.models import AuthorizationCode, RefreshToken, SigningKey
from tests.support import browser
from tests.support.data import make_school, make_user, unique
from tests.support.server import AppServer, free_port

PASSWORD = "correct horse battery"
CLIENT_ID = "schoolcloud"

# Accounts get a hash with low argon2 costs, computed once: the IdP verifies with the parameters a hash
# names, so logins stay fast without changing the flow under test.
CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)


async def quick_user(school, role: str, **fields) -> User:
    username = unique(f"{role}.").lower()
    fields.setdefault("given_name", "Test")
    return await User.create(school=school, role=role, username=username, family_name=username,
                             password_hash=CHEAP_HASH, **fields)


def settings_of(server: AppServer):
    return load_settings({k: v for k, v in server.env.items() if k.startswith("SCHOOLCLOUD_")})


def client_secret(server: AppServer) -> str:
    """The embedded client's secret is derived from SECRET_KEY, as the app derives it."""
    return settings_of(server).client_secret


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorization_params(server: AppServer, **overrides) -> tuple[dict, str]:
    verifier, challenge = pkce()
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": f"{server.base_url}/auth/callback",
        "response_type": "code",
        "scope": "openid profile email",
        "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    return {k: v for k, v in params.items() if v is not None}, verifier


async def authorization_code(http: httpx.AsyncClient, server: AppServer, user: User, **overrides):
    """Authorize and log in at the IdP; return (code, code_verifier, params)."""
    params, verifier = authorization_params(server, **overrides)
    form = await http.get("/idp/authorize", params=params)
    assert form.status_code == 200, form.text[:300]
    response = await browser.submit_login(http, form, user.username, PASSWORD)
    assert response.status_code == 302, response.text[:300]
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == params["redirect_uri"]
    query = parse_qs(location.query)
    assert query["state"] == [params["state"]]
    return query["code"][0], verifier, params


async def exchange(http: httpx.AsyncClient, server: AppServer, code: str, verifier: str,
                   secret: str | None = None) -> httpx.Response:
    return await http.post("/idp/token", auth=(CLIENT_ID, secret or client_secret(server)), data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": f"{server.base_url}/auth/callback"})


async def refresh(http: httpx.AsyncClient, server: AppServer, refresh_token: str) -> httpx.Response:
    return await http.post("/idp/token", auth=(CLIENT_ID, client_secret(server)), data={
        "grant_type": "refresh_token", "refresh_token": refresh_token})


async def tokens_for(http: httpx.AsyncClient, server: AppServer, user: User) -> tuple[dict, dict]:
    code, verifier, params = await authorization_code(http, server, user)
    response = await exchange(http, server, code, verifier)
    assert response.status_code == 200, response.text
    return response.json(), params


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def teacher() -> User:
    return await quick_user(await make_school(), Role.TEACHER)


async def test_discovery_document(app):
    async with browser.client(app.base_url) as http:
        response = await http.get("/idp/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    issuer = f"{app.base_url}/idp"
    assert doc["issuer"] == issuer
    assert doc["authorization_endpoint"] == f"{issuer}/authorize"
    assert doc["token_endpoint"] == f"{issuer}/token"
    assert doc["userinfo_endpoint"] == f"{issuer}/userinfo"
    assert doc["jwks_uri"] == f"{issuer}/jwks"
    assert doc["end_session_endpoint"] == f"{issuer}/logout"
    assert doc["response_types_supported"] == ["code"]
    assert set(doc["grant_types_supported"]) == {"authorization_code", "refresh_token"}
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "openid" in doc["scopes_supported"]
    assert set(doc["ui_locales_supported"]) == {"de", "en"}


@pytest.mark.postgres
async def test_jwks_verifies_rs256_id_token(app):
    user = await teacher()
    async with browser.client(app.base_url) as http:
        jwks = (await http.get("/idp/jwks")).json()
        token, params = await tokens_for(http, app, user)
    assert jwks["keys"]
    for key in jwks["keys"]:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key), "private key material published"
    decoded = jwt.decode(token["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    assert decoded.header["alg"] == "RS256"
    assert decoded.header["kid"] in {key["kid"] for key in jwks["keys"]}
    claims = decoded.claims
    assert claims["iss"] == f"{app.base_url}/idp"
    assert claims["aud"] == CLIENT_ID
    assert claims["sub"] == str(user.public_id)
    assert claims["nonce"] == params["nonce"]
    assert claims["roles"] == ["teacher"]
    assert 0 < claims["exp"] - time.time() <= 300


@pytest.mark.parametrize("override", [
    pytest.param({"client_id": "unknown-client"}, id="unknown-client"),
    pytest.param({"redirect_uri": "https://evil.example/auth/callback"}, id="foreign-redirect-uri"),
    pytest.param({"redirect_uri": "CALLBACK?next=https://evil.example/"}, id="redirect-uri-with-extra-query"),
    pytest.param({"redirect_uri": None}, id="no-redirect-uri"),
])
async def test_authorize_refuses_unknown_client_or_redirect_without_redirecting(app, override):
    if (override.get("redirect_uri") or "").startswith("CALLBACK"):
        override = {"redirect_uri": override["redirect_uri"].replace("CALLBACK", f"{app.base_url}/auth/callback")}
    params, _ = authorization_params(app, **override)
    async with browser.client(app.base_url) as http:
        response = await http.get("/idp/authorize", params=params)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert 'name="password"' not in response.text


@pytest.mark.parametrize("override", [
    pytest.param({"code_challenge": None, "code_challenge_method": None}, id="no-pkce"),
    pytest.param({"code_challenge_method": "plain"}, id="plain"),
    pytest.param({"code_challenge_method": None}, id="method-missing-means-plain"),
    pytest.param({"code_challenge": "too-short"}, id="short-challenge"),
])
async def test_authorize_requires_pkce_s256(app, override):
    params, _ = authorization_params(app, **override)
    async with browser.client(app.base_url) as http:
        response = await http.get("/idp/authorize", params=params)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{app.base_url}/auth/callback"
    query = parse_qs(location.query)
    assert query["error"] == ["invalid_request"]
    assert query["state"] == [params["state"]]
    assert "code" not in query


async def test_token_refuses_wrong_client_secret(app):
    user = await teacher()
    async with browser.client(app.base_url) as http:
        code, verifier, _ = await authorization_code(http, app, user)
        response = await exchange(http, app, code, verifier, secret="not-the-secret")
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic")
        assert "access_token" not in response.json()
        # client_secret_post with a wrong secret fails the same way
        response = await http.post("/idp/token", data={
            "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
            "redirect_uri": f"{app.base_url}/auth/callback", "client_id": CLIENT_ID, "client_secret": "nope"})
        assert response.status_code == 401 and response.json()["error"] == "invalid_client"


@pytest.mark.postgres
async def test_token_refuses_wrong_code_verifier(app):
    user = await teacher()
    async with browser.client(app.base_url) as http:
        code, _verifier, _ = await authorization_code(http, app, user)
        other_verifier, _ = pkce()
        response = await exchange(http, app, code, other_verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "PKCE" in response.json()["error_description"]


@pytest.mark.postgres
async def test_replayed_code_is_refused_and_revokes_what_it_issued(app):
    user = await teacher()
    async with browser.client(app.base_url) as http:
        code, verifier, _ = await authorization_code(http, app, user)
        first = await exchange(http, app, code, verifier)
        assert first.status_code == 200
        replay = await exchange(http, app, code, verifier)
        assert replay.status_code == 400
        assert replay.json()["error"] == "invalid_grant"
        assert "already used" in replay.json()["error_description"]
        # The refresh token from the first exchange no longer works (RFC 6749 section 4.1.2).
        row = await RefreshToken.get(token_hash=digest(first.json()["refresh_token"]))
        assert row.revoked_at is not None
        refreshed = await refresh(http, app, first.json()["refresh_token"])
        assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


async def test_expired_code_is_refused(app):
    user = await teacher()
    async with browser.client(app.base_url) as http:
        code, verifier, _ = await authorization_code(http, app, user)
        changed = await AuthorizationCode.filter(code_hash=digest(code)).update(
            expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
        assert changed == 1
        response = await exchange(http, app, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "expired" in response.json()["error_description"]


@pytest.mark.postgres
async def test_refresh_token_rotation(app):
    user = await teacher()
    async with browser.client(app.base_url) as http:
        token, _ = await tokens_for(http, app, user)
        first = await refresh(http, app, token["refresh_token"])
        assert first.status_code == 200, first.text
        rotated = first.json()
        assert rotated["refresh_token"] != token["refresh_token"]
        assert rotated["access_token"] != token["access_token"]
        assert rotated["id_token"]
        old = await refresh(http, app, token["refresh_token"])
        assert old.status_code == 400 and old.json()["error"] == "invalid_grant"
        again = await refresh(http, app, rotated["refresh_token"])
        assert again.status_code == 200


async def _signing_key() -> RSAKey:
    row = await SigningKey.filter(active=True).order_by("-created_at").first()
    return RSAKey.import_key(row.private_pem, {"kid": row.kid})


@pytest.mark.postgres
async def test_userinfo_needs_a_valid_access_token(app):
    school = await make_school()
    user = await quick_user(school, Role.PUPIL, given_name="Paula")
    async with browser.client(app.base_url) as http:
        token, _ = await tokens_for(http, app, user)
        response = await http.get("/idp/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
        assert response.status_code == 200
        claims = response.json()
        assert claims["sub"] == str(user.public_id)
        assert claims["preferred_username"] == user.username
        assert claims["given_name"] == "Paula"
        assert claims["roles"] == ["pupil"]
        assert claims["school"] == str(school.id)

        async def refused(bearer: str | None) -> None:
            headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
            answer = await http.get("/idp/userinfo", headers=headers)
            assert answer.status_code == 401, answer.text
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert "sub" not in answer.json()

        await refused(None)
        await refused("not-a-jwt")
        key = await _signing_key()
        genuine = jwt.decode(token["access_token"], key).claims
        # Signed by another key that claims the real key's id.
        forger = RSAKey.generate_key(2048, parameters={"kid": key.kid}, private=True)
        await refused(jwt.encode({"alg": "RS256", "kid": key.kid}, genuine, forger))
        # Signed by the real key but expired.
        expired = {**genuine, "iat": int(time.time()) - 900, "exp": int(time.time()) - 600}
        await refused(jwt.encode({"alg": "RS256", "kid": key.kid}, expired, key))
        # The id_token is meant for the client, not for the userinfo endpoint.
        await refused(token["id_token"])
        # A deactivated account's still unexpired token.
        await User.filter(id=user.id).update(active=False)
        await refused(token["access_token"])


@pytest.mark.postgres
async def test_end_session_redirects_only_to_registered_uris(app):
    user = await teacher()
    async with browser.client(app.base_url) as http:
        token, _ = await tokens_for(http, app, user)
        foreign = await http.get("/idp/logout", params={
            "id_token_hint": token["id_token"], "post_logout_redirect_uri": "https://evil.example/",
            "state": "s1"})
        assert foreign.status_code == 200
        assert "location" not in foreign.headers
        # Without a valid id_token_hint even the registered URI is not redirected to.
        unhinted = await http.get("/idp/logout", params={
            "post_logout_redirect_uri": f"{app.base_url}/logged-out", "state": "s2"})
        assert unhinted.status_code == 200 and "location" not in unhinted.headers
        registered = await http.get("/idp/logout", params={
            "id_token_hint": token["id_token"], "post_logout_redirect_uri": f"{app.base_url}/logged-out",
            "state": "s3"})
        assert registered.status_code == 302
        assert registered.headers["location"] == f"{app.base_url}/logged-out?state=s3"
        # Logging out at the IdP revokes the session's refresh token.
        after = await refresh(http, app, token["refresh_token"])
        assert after.status_code == 400 and after.json()["error"] == "invalid_grant"


async def test_password_change_at_first_login_stores_an_argon2id_hash(app):
    user = await make_user(await make_school(), Role.PUPIL, password="one-time-pass", must_change_password=True)
    async with browser.client(app.base_url) as http:
        await browser.login(http, user.username, "one-time-pass", new_password="a brand new secret")
    await user.refresh_from_db()
    assert user.password_hash.startswith("$argon2id$")
    assert "a brand new secret" not in user.password_hash


@pytest.mark.postgres
async def test_signing_keys_survive_a_restart(app, tmp_path):
    """A fresh server process on the same database publishes the same keys and accepts tokens signed
    before it started."""
    user = await teacher()
    port = free_port()
    first = AppServer(tmp_path / "first", database_url=app.database_url, port=port).start()
    try:
        async with browser.client(first.base_url) as http:
            jwks_before = (await http.get("/idp/jwks")).json()
            token, _ = await tokens_for(http, first, user)
    finally:
        first.stop()
    second = AppServer(tmp_path / "second", database_url=app.database_url, port=port).start()
    try:
        async with browser.client(second.base_url) as http:
            jwks_after = (await http.get("/idp/jwks")).json()
            assert jwks_after == jwks_before
            claims = jwt.decode(token["id_token"], KeySet.import_key_set(jwks_after), algorithms=["RS256"]).claims
            assert claims["sub"] == str(user.public_id)
            userinfo = await http.get("/idp/userinfo", headers={"Authorization": f"Bearer {token['access_token']}"})
            assert userinfo.status_code == 200 and userinfo.json()["sub"] == str(user.public_id)
            assert (await refresh(http, second, token["refresh_token"])).status_code == 200
    finally:
        second.stop()
