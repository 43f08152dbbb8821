"""Login sessions: the signed cookie, idle and absolute timeouts (SCHOOLCLOUD_SESSION_IDLE_MINUTES /
SESSION_MAX_HOURS), and token refresh at the embedded IdP during a session."""

from __future__ import annotations

import asyncio
import json
from base64 import b64decode, b64encode
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from argon2 import PasswordHasher
from itsdangerous import TimestampSigner

from schoolcloud.accounts.models import Role, User
from schoolcloud.auth.models import LoginSession
from schoolcloud.idp.models import RefreshToken
from tests.support import browser
from tests.support.data import make_school, unique
from tests.support.server import AppServer

PASSWORD = "correct horse battery"
COOKIE = "schoolcloud_session"

# Accounts get a hash with low argon2 costs, computed once: the IdP verifies with the parameters a hash
# names, so logins stay fast without changing the flow under test.
CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)


async def quick_user(school, role: str, **fields) -> User:
    username = unique(f"{role}.").lower()
    fields.setdefault("given_name", "Test")
    return await User.create(school=school, role=role, username=username, family_name=username,
                             password_hash=CHEAP_HASH, **fields)


@pytest.fixture(scope="module")
def short(app, tmp_path_factory):
    """A server with a one-minute idle timeout and one-hour sessions, on the `app` fixture's database."""
    server = AppServer(tmp_path_factory.mktemp("short-sessions"), database_url=app.database_url, extra_env={
        "SCHOOLCLOUD_SESSION_IDLE_MINUTES": "1", "SCHOOLCLOUD_SESSION_MAX_HOURS": "1"}).start()
    yield server
    server.stop()


def now() -> datetime:
    return datetime.now(timezone.utc)


async def logged_in(server: AppServer, http: httpx.AsyncClient, role: str = Role.TEACHER):
    user = await quick_user(await make_school(), role)
    await browser.login(http, user.username, PASSWORD)
    assert (await http.get("/api/v1/me")).status_code == 200
    return user, await LoginSession.get(user=user)


def session_cookie(http: httpx.AsyncClient) -> str:
    return next(c.value for c in http.cookies.jar if c.name == COOKIE)


async def me_with_cookie(server: AppServer, value: str) -> int:
    async with browser.client(server.base_url, cookies={COOKIE: value}) as http:
        return (await http.get("/api/v1/me")).status_code


@pytest.mark.postgres
async def test_cookie_is_signed_httponly_samesite_and_holds_only_a_session_id(app):
    user = await quick_user(await make_school(), Role.PUPIL)
    async with browser.client(app.base_url) as http:
        form = await browser.start_login(http)
        to_callback = await browser.submit_login(http, form, user.username, PASSWORD)
        callback = await http.get(to_callback.headers["location"])
        assert callback.status_code == 303
        header = next(v for v in callback.headers.get_list("set-cookie") if v.startswith(f"{COOKIE}="))
        attributes = [part.strip().lower() for part in header.split(";")[1:]]
        assert "httponly" in attributes and "samesite=lax" in attributes and "path=/" in attributes
        assert "max-age=43200" in attributes  # SESSION_MAX_HOURS' default of 12 hours
        assert "secure" not in attributes  # plain http on a loopback address; https sets it
        value = session_cookie(http)
        content = json.loads(b64decode(value.split(".")[0]))
        assert set(content) <= {"sid", "csrf"}, content
        row = await LoginSession.get(user=user)
        assert row.id_token and row.id_token not in value and row.refresh_token not in value
        assert row.id_hash != content["sid"]  # the database holds only a hash of the id
    assert await me_with_cookie(app, value) == 200


@pytest.mark.postgres
async def test_a_tampered_or_foreign_cookie_is_ignored(app):
    async with browser.client(app.base_url) as http:
        await logged_in(app, http)
        value = session_cookie(http)
    payload, timestamp, signature = value.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert await me_with_cookie(app, f"{payload}.{timestamp}.{flipped}") == 401
    # The same session id, signed with another key.
    forged = TimestampSigner("another-secret-" + "y" * 40).sign(payload.encode()).decode()
    assert await me_with_cookie(app, forged) == 401
    # A payload of one's choosing under the genuine signature.
    other = b64encode(json.dumps({"sid": "guessed"}).encode()).decode()
    assert await me_with_cookie(app, f"{other}.{timestamp}.{signature}") == 401
    assert await me_with_cookie(app, value) == 200  # control: the genuine cookie still works


@pytest.mark.postgres
async def test_the_cookie_is_worthless_after_logout(app):
    async with browser.client(app.base_url) as http:
        user, _ = await logged_in(app, http)
        value = session_cookie(http)
        csrf = (await http.get("/api/v1/me")).json()["csrf_token"]
        assert (await http.post("/logout", data={"csrf_token": csrf})).status_code == 303
    assert not await LoginSession.filter(user=user).exists()
    assert await me_with_cookie(app, value) == 401


@pytest.mark.postgres
async def test_idle_session_ends_and_activity_keeps_it_alive(short):
    async with browser.client(short.base_url) as http:
        user, row = await logged_in(short, http)
        # Active 40 seconds ago: still alive, and this request counts as activity.
        await LoginSession.filter(id_hash=row.id_hash).update(last_seen_at=now() - timedelta(seconds=40))
        assert (await http.get("/api/v1/me")).status_code == 200
        assert (await LoginSession.get(id_hash=row.id_hash)).last_seen_at > now() - timedelta(seconds=10)
        # Idle for longer than SESSION_IDLE_MINUTES=1.
        await LoginSession.filter(id_hash=row.id_hash).update(last_seen_at=now() - timedelta(seconds=61))
        assert (await http.get("/api/v1/me")).status_code == 401
    assert not await LoginSession.filter(user=user).exists()


@pytest.mark.postgres
async def test_session_ends_at_its_absolute_timeout_however_active(short):
    async with browser.client(short.base_url) as http:
        user, row = await logged_in(short, http)
        assert timedelta(minutes=59) < row.expires_at - row.created_at <= timedelta(hours=1)  # SESSION_MAX_HOURS=1
        await LoginSession.filter(id_hash=row.id_hash).update(expires_at=now() - timedelta(seconds=1),
                                                              last_seen_at=now())
        assert (await http.get("/api/v1/me")).status_code == 401
    assert not await LoginSession.filter(user=user).exists()


async def _expire_access_token(row: LoginSession) -> None:
    await LoginSession.filter(id_hash=row.id_hash).update(access_token_expires_at=now() - timedelta(seconds=1))


@pytest.mark.postgres
async def test_expired_access_token_is_refreshed_at_the_embedded_idp(app):
    async with browser.client(app.base_url) as http:
        user, before = await logged_in(app, http)
        assert before.refresh_token and before.access_token_expires_at > now()
        await _expire_access_token(before)
        assert (await http.get("/api/v1/me")).status_code == 200
        after = await LoginSession.get(id_hash=before.id_hash)
        assert after.refresh_token != before.refresh_token  # the IdP rotates refresh tokens
        assert after.access_token_expires_at > now() + timedelta(minutes=4)
        assert after.id_token != before.id_token
        # Revoked at the IdP (logout elsewhere, deactivation): the next refresh ends the session.
        await RefreshToken.filter(user=user).update(revoked_at=now())
        await _expire_access_token(after)
        assert (await http.get("/api/v1/me")).status_code == 401
    assert not await LoginSession.filter(user=user).exists()


@pytest.mark.postgres
async def test_parallel_requests_after_expiry_keep_the_session(app):
    """A page's parallel requests all see the expired access token; only one may use the (rotating)
    refresh token, or the others would present a spent one and end the session."""
    async with browser.client(app.base_url) as http:
        user, row = await logged_in(app, http)
        await _expire_access_token(row)
        responses = await asyncio.gather(*(http.get("/api/v1/me") for _ in range(6)))
        assert [r.status_code for r in responses] == [200] * 6
        assert (await http.get("/api/v1/me")).status_code == 200
        after = await LoginSession.get(id_hash=row.id_hash)
        assert after.refresh_token != row.refresh_token and after.access_token_expires_at > now()
