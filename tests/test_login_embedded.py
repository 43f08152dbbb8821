"""Login through the real OpenID Connect flow against the embedded IdP."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest

from schoolcloud.accounts.models import Role, User
from schoolcloud.auth.models import LoginSession
from schoolcloud.privacy.models import AuditEvent
from tests.support import browser
from tests.support.data import make_school, make_user

URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.postgres
async def test_login_sets_session_and_shows_start_page(app):
    school = await make_school()
    user = await make_user(school, Role.TEACHER, given_name="Greta")
    async with browser.client(app.base_url) as http:
        page = await browser.login(http, user.username, "correct horse battery")
        assert page.status_code == 200
        assert "Greta" in page.text
        cookie = next(c for c in http.cookies.jar if c.name == "schoolcloud_session")
        assert cookie.has_nonstandard_attr("httponly")
        assert cookie.get_nonstandard_attr("samesite") == "lax"
        assert await LoginSession.filter(user=user).count() == 1
        me = (await http.get("/api/v1/me")).json()
        assert me["username"] == user.username and me["role"] == "teacher"
    assert await AuditEvent.filter(action="login", actor=str(user.public_id)).exists()


async def test_authorization_request_uses_pkce_s256_and_nonce(app):
    async with browser.client(app.base_url) as http:
        response = await http.get("/login")
        query = parse_qs(urlsplit(response.headers["location"]).query)
        assert query["code_challenge_method"] == ["S256"]
        assert len(query["code_challenge"][0]) >= 43
        assert query["nonce"][0] and query["state"][0]


async def test_state_and_nonce_carry_192_bits_and_differ_per_login(app):
    seen = set()
    for _ in range(2):
        async with browser.client(app.base_url) as http:
            query = parse_qs(urlsplit((await http.get("/login")).headers["location"]).query)
        for name in ("state", "nonce"):
            value = query[name][0]
            # URL-safe base64 of 24 random bytes (authlib drew 20 nonce characters of 62: 119 bits)
            assert len(value) >= 32 and set(value) <= URL_SAFE, (name, value)
            seen.add(value)
    assert len(seen) == 4


async def test_wrong_password_is_refused_in_users_language(app):
    school = await make_school()
    user = await make_user(school, Role.PUPIL)
    async with browser.client(app.base_url, headers={"Accept-Language": "en"}) as http:
        form = await browser.start_login(http)
        response = await browser.submit_login(http, form, user.username, "wrong password")
        assert response.status_code == 401
        assert "Wrong login name or password" in response.text
    async with browser.client(app.base_url, headers={"Accept-Language": "de-DE,de;q=0.9"}) as http:
        form = await browser.start_login(http)
        response = await browser.submit_login(http, form, user.username, "wrong password")
        assert "Falscher Benutzername oder falsches Passwort" in response.text


@pytest.mark.postgres
async def test_one_time_password_must_be_changed(app):
    school = await make_school()
    user = await make_user(school, Role.PUPIL, password="one-time-123", must_change_password=True)
    async with browser.client(app.base_url) as http:
        form = await browser.start_login(http)
        response = await browser.submit_login(http, form, user.username, "one-time-123")
        assert response.status_code == 303 and response.headers["location"].endswith("/idp/password")
        page = await http.get("/idp/password")
        same = await http.post("/idp/password", data={"csrf_token": browser.csrf_from(page.text),
                                                      "new_password": "one-time-123",
                                                      "new_password_repeat": "one-time-123"})
        assert same.status_code == 422
        done = await http.post("/idp/password", data={"csrf_token": browser.csrf_from(page.text),
                                                      "new_password": "my own secret 42",
                                                      "new_password_repeat": "my own secret 42"})
        assert done.status_code == 302
        await browser.follow(http, done)
        assert (await http.get("/api/v1/me")).status_code == 200
    await user.refresh_from_db()
    assert not user.must_change_password
    async with browser.client(app.base_url) as http:
        await browser.login(http, user.username, "my own secret 42")


async def test_login_form_requires_csrf_token(app):
    school = await make_school()
    user = await make_user(school, Role.PUPIL)
    async with browser.client(app.base_url) as http:
        await browser.start_login(http)
        response = await http.post("/idp/authorize", data={"username": user.username,
                                                           "password": "correct horse battery"})
        assert response.status_code == 403


@pytest.mark.postgres
async def test_logout_ends_session_and_revokes_at_idp(app):
    school = await make_school()
    user = await make_user(school, Role.TEACHER)
    async with browser.client(app.base_url) as http:
        page = await browser.login(http, user.username, "correct horse battery")
        response = await http.post("/logout", data={"csrf_token": browser.csrf_from(page.text)})
        assert response.status_code == 303
        end_session = urlsplit(response.headers["location"])
        assert end_session.path == "/idp/logout"
        assert "id_token_hint" in parse_qs(end_session.query)
        final = await browser.follow(http, response)
        assert final.status_code == 200 and urlsplit(str(final.url)).path == "/logged-out"
        assert (await http.get("/api/v1/me")).status_code == 401
    assert not await LoginSession.filter(user=user).exists()


async def test_deactivated_account_cannot_log_in_and_loses_session(app):
    school = await make_school()
    user = await make_user(school, Role.PUPIL)
    async with browser.client(app.base_url) as http:
        await browser.login(http, user.username, "correct horse battery")
        await User.filter(id=user.id).update(active=False)
        assert (await http.get("/api/v1/me")).status_code == 401
        form = await browser.start_login(http)
        response = await browser.submit_login(http, form, user.username, "correct horse battery")
        assert response.status_code == 401


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


async def test_login_form_survives_language_switch_after_failed_attempt(app):
    """The failed attempt's page came from a POST; the language switch sends the browser to a bare GET."""
    school = await make_school()
    user = await make_user(school, Role.PUPIL)
    async with browser.client(app.base_url) as http:
        form = await browser.start_login(http)
        failed = await browser.submit_login(http, form, user.username, "wrong password")
        assert failed.status_code == 401
        switched = await http.get("/lang/en", params={"next": "/idp/authorize"})
        again = await http.get(switched.headers["location"])
        assert again.status_code == 200 and 'name="password"' in again.text
        response = await browser.submit_login(http, again, user.username, "correct horse battery")
        assert response.status_code == 302 and "/auth/callback?code=" in response.headers["location"]
