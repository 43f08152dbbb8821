"""The external OpenID Connect provider harness works on its own, without the app.

Authlib's AsyncOAuth2Client stands in for the relying party; joserfc validates the id_tokens
against the provider's JWKS.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet

try:  # tests/ is a package once it has an __init__.py; until then pytest puts tests/ on sys.path
    from tests.support.external_idp import (
        TAMPER_MODES,
        ExternalIdP,
        LoginFailed,
        login_at_provider,
        logout_at_provider,
        node_available,
    )
except ModuleNotFoundError:
    from support.external_idp import (  # type: ignore[no-redef]
        TAMPER_MODES,
        ExternalIdP,
        LoginFailed,
        login_at_provider,
        logout_at_provider,
        node_available,
    )

REDIRECT_URI = "http://testserver/auth/callback"
POST_LOGOUT_URI = "http://testserver/logged-out"
SCOPE = "openid profile email"


@pytest.fixture(scope="module")
def idp():
    if not node_available():
        if os.environ.get("CI") == "true":
            pytest.fail("Node.js and npm are required for the external OIDC provider (CI=true)")
        pytest.skip("Node.js and npm are not installed: no external OIDC provider")
    with ExternalIdP(rp_base_url="http://testserver", access_token_ttl=120) as provider:
        assert provider.client["redirect_uris"] == [REDIRECT_URI]
        assert provider.client["post_logout_redirect_uris"] == [POST_LOGOUT_URI]
        yield provider


@pytest.fixture(scope="module")
def metadata(idp):
    response = httpx.get(idp.discovery_url, timeout=10)
    response.raise_for_status()
    return response.json()


@pytest.fixture(scope="module")
def jwks(metadata):
    response = httpx.get(metadata["jwks_uri"], timeout=10)
    response.raise_for_status()
    return KeySet.import_key_set(response.json())


def make_rp(idp) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=idp.client_id,
        client_secret=idp.client_secret,
        scope=SCOPE,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        timeout=10,
    )


def validate_id_token(id_token: str, jwks: KeySet, *, issuer: str, client_id: str, nonce: str) -> dict:
    """What a relying party must check: signature (RS256 only), iss, aud, exp, iat, nonce."""
    token = jwt.decode(id_token, jwks, algorithms=["RS256"])
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    registry.validate(token.claims)
    return token.claims


async def authorize(idp, metadata, rp, browser, login="teacher", **params):
    """Run authorize + login; return (callback_url, code_verifier, nonce, state)."""
    code_verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = rp.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=code_verifier, nonce=nonce, **params
    )
    response = await login_at_provider(browser, url, login, idp.password_of(login))
    assert response.status_code in (302, 303)
    return response.headers["location"], code_verifier, nonce, state


async def code_flow(idp, metadata, rp, browser, login="teacher"):
    callback, code_verifier, nonce, state = await authorize(idp, metadata, rp, browser, login)
    token = await rp.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=code_verifier, state=state
    )
    return token, nonce


async def test_discovery(idp, metadata):
    assert metadata["issuer"] == idp.issuer
    assert idp.issuer.startswith("http://127.0.0.1:")
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "refresh_token" in metadata["grant_types_supported"]
    assert metadata["end_session_endpoint"] == f"{idp.issuer}/session/end"
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    for name in ("roles", "school", "classes", "realm_access", "preferred_username", "email"):
        assert name in metadata["claims_supported"]


async def test_full_code_flow_with_pkce_refresh_and_logout(idp, metadata, jwks):
    teacher = idp.claims_of("teacher")
    async with httpx.AsyncClient(timeout=10) as browser, make_rp(idp) as rp:
        callback, code_verifier, nonce, state = await authorize(idp, metadata, rp, browser)
        assert callback.startswith(REDIRECT_URI + "?")
        query = parse_qs(urlsplit(callback).query)
        assert query["state"] == [state]
        assert query["iss"] == [idp.issuer]
        assert "code" in query

        token = await rp.fetch_token(
            metadata["token_endpoint"], authorization_response=callback, code_verifier=code_verifier, state=state
        )
        assert token["token_type"].lower() == "bearer"
        assert 0 < token["expires_in"] <= 120
        assert token["refresh_token"]

        claims = validate_id_token(
            token["id_token"], jwks, issuer=idp.issuer, client_id=idp.client_id, nonce=nonce
        )
        assert claims["sub"] == teacher["sub"]
        for name in ("preferred_username", "given_name", "family_name", "email", "roles", "school", "classes"):
            assert claims[name] == teacher[name], name
        assert claims["realm_access"] == {"roles": ["teacher", "offline_access"]}
        assert claims["at_hash"]

        userinfo = (await rp.get(metadata["userinfo_endpoint"])).json()
        assert userinfo["sub"] == teacher["sub"]
        assert userinfo["roles"] == ["teacher"]
        assert userinfo["school"] == "gymnasium-musterstadt"
        assert userinfo["classes"] == ["5a", "7b"]
        assert userinfo["realm_access"] == {"roles": ["teacher", "offline_access"]}
        assert userinfo["email"] == teacher["email"]

        # A second authorization in the same browser reuses the provider's session: no form.
        second_verifier = generate_token(48)
        url, _ = rp.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=second_verifier, nonce=generate_token(20)
        )
        sso = await login_at_provider(browser, url, "teacher", "not-asked-for")
        assert "code=" in sso.headers["location"]

        # Refresh token grant.
        refreshed = await rp.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
        assert refreshed["access_token"] != token["access_token"]
        refreshed_claims = jwt.decode(refreshed["id_token"], jwks, algorithms=["RS256"]).claims
        assert refreshed_claims["sub"] == teacher["sub"]
        assert refreshed_claims["roles"] == ["teacher"]
        userinfo = (await rp.get(metadata["userinfo_endpoint"])).json()
        assert userinfo["sub"] == teacher["sub"]

        # RP-initiated logout.
        end_session_url = metadata["end_session_endpoint"] + "?" + urlencode(
            {
                "id_token_hint": token["id_token"],
                "post_logout_redirect_uri": POST_LOGOUT_URI,
                "state": "bye",
                "client_id": idp.client_id,
            }
        )
        response = await logout_at_provider(browser, end_session_url)
        assert response.status_code in (302, 303)
        assert response.headers["location"] == POST_LOGOUT_URI + "?state=bye"

        # The provider's session and the grant are gone: the refresh token no longer works and
        # the next authorization asks for the password again.
        with pytest.raises(OAuthError) as refused:
            await rp.refresh_token(metadata["token_endpoint"], refresh_token=rp.token["refresh_token"])
        assert refused.value.error == "invalid_grant"
        url, _ = rp.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce=generate_token(20)
        )
        with pytest.raises(LoginFailed):
            await login_at_provider(browser, url, "teacher", "wrong-password")


async def test_student_claims(idp, metadata, jwks):
    async with httpx.AsyncClient(timeout=10) as browser, make_rp(idp) as rp:
        token, nonce = await code_flow(idp, metadata, rp, browser, login="student")
        claims = validate_id_token(token["id_token"], jwks, issuer=idp.issuer, client_id=idp.client_id, nonce=nonce)
        assert claims["roles"] == ["student"]
        assert claims["classes"] == ["5a"]
        assert claims["realm_access"] == {"roles": ["student"]}


async def test_wrong_password_is_refused(idp, metadata):
    async with httpx.AsyncClient(timeout=10) as browser, make_rp(idp) as rp:
        url, _ = rp.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce=generate_token(20)
        )
        with pytest.raises(LoginFailed) as failed:
            await login_at_provider(browser, url, "teacher", "wrong-password")
        assert failed.value.response is not None
        assert failed.value.response.status_code == 401
        assert "Invalid login or password" in failed.value.response.text


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="no-code-challenge"),
        pytest.param({"code_challenge": "x" * 43, "code_challenge_method": "plain"}, id="plain"),
    ],
)
async def test_pkce_s256_is_required(idp, metadata, params):
    query = {
        "response_type": "code",
        "client_id": idp.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPE,
        "state": "s1",
        "nonce": "n1",
        **params,
    }
    async with httpx.AsyncClient(timeout=10) as browser:
        response = await browser.get(metadata["authorization_endpoint"] + "?" + urlencode(query))
    assert response.status_code in (302, 303)
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI)
    error = parse_qs(urlsplit(location).query)
    assert error["error"] == ["invalid_request"]
    assert error["state"] == ["s1"]


async def test_wrong_code_verifier_is_refused(idp, metadata):
    async with httpx.AsyncClient(timeout=10) as browser, make_rp(idp) as rp:
        callback, _verifier, _nonce, state = await authorize(idp, metadata, rp, browser)
        with pytest.raises(OAuthError) as refused:
            await rp.fetch_token(
                metadata["token_endpoint"],
                authorization_response=callback,
                code_verifier=generate_token(48),
                state=state,
            )
        assert refused.value.error == "invalid_grant"


EXPECTED_FAILURES = {
    "nonce": (InvalidClaimError, "nonce"),
    "aud": (InvalidClaimError, "aud"),
    "exp": (ExpiredTokenError, None),
    "signature": (BadSignatureError, None),
    "iss": (InvalidClaimError, "iss"),
    "alg_none": (UnsupportedAlgorithmError, None),
}


@pytest.mark.parametrize("mode", TAMPER_MODES)
async def test_tamper_modes(idp, metadata, jwks, mode):
    async with httpx.AsyncClient(timeout=10) as browser, make_rp(idp) as rp:
        callback, code_verifier, nonce, state = await authorize(idp, metadata, rp, browser)
        await idp.aset_tamper(mode)
        token = await rp.fetch_token(
            metadata["token_endpoint"], authorization_response=callback, code_verifier=code_verifier, state=state
        )
        assert idp.tamper_mode() == "none", "tamper modes are one-shot"

        def check():
            return validate_id_token(token["id_token"], jwks, issuer=idp.issuer, client_id=idp.client_id, nonce=nonce)

        if mode == "none":
            assert check()["sub"] == idp.claims_of("teacher")["sub"]
            return
        error_class, claim = EXPECTED_FAILURES[mode]
        with pytest.raises(error_class) as failure:
            check()
        if claim is not None:
            assert failure.value.claim == claim

        # Only the id_token was altered: the access token still works, and the next token
        # response (the refresh) is normal again.
        assert (await rp.get(metadata["userinfo_endpoint"])).status_code == 200
        refreshed = await rp.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
        claims = jwt.decode(refreshed["id_token"], jwks, algorithms=["RS256"]).claims
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": idp.issuer}, aud={"essential": True, "value": idp.client_id}
        ).validate(claims)


async def test_tamper_mode_is_validated(idp):
    with pytest.raises(ValueError):
        idp.set_tamper("bogus")
    response = httpx.post(f"{idp.issuer}/__test__/tamper", json={"mode": "bogus"}, timeout=10)
    assert response.status_code == 400
    with idp.tampered("exp"):
        assert idp.tamper_mode() == "exp"
    assert idp.tamper_mode() == "none"


async def test_cancel_at_the_login_form(idp, metadata):
    async with httpx.AsyncClient(timeout=10) as browser, make_rp(idp) as rp:
        url, state = rp.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce=generate_token(20)
        )
        form_page = await browser.get(url, follow_redirects=True)
        assert form_page.status_code == 200
        assert 'name="password"' in form_page.text
        response = await browser.get(str(form_page.url) + "/abort", follow_redirects=False)
        while response.is_redirect and response.headers["location"].startswith(idp.issuer):
            response = await browser.get(response.headers["location"], follow_redirects=False)
        location = response.headers["location"]
        assert location.startswith(REDIRECT_URI + "?")
        query = parse_qs(urlsplit(location).query)
        assert query["error"] == ["access_denied"]
        assert query["state"] == [state]
