"""Failed-login throttling of the embedded IdP: guessing is locked per account and address, while a school
behind one NAT address is never locked out by its own pupils.

Different client addresses are real TCP source addresses on the loopback network (127.x.y.z); the server
trusts X-Forwarded-For only from 127.0.0.1 (SCHOOLCLOUD_TRUSTED_PROXIES' default).
"""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from argon2 import PasswordHasher

from schoolcloud.accounts.models import Role, School, User
from schoolcloud.auth.models import LoginSession
from schoolcloud.config import load_settings
from schoolcloud.idp.models import LoginThrottle
from schoolcloud.idp.throttle import name_key
from tests.support import browser
from tests.support.data import make_school, unique

PASSWORD = "correct horse battery"
# These tests log in often: a hash with low argon2 costs makes each check at the IdP cheap (the IdP
# verifies with the parameters the hash names), without changing what is throttled.
CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
_used: set[str] = set()


async def make_user(school: School, role: str) -> User:
    username = unique(f"{role}.").lower()
    return await User.create(school=school, role=role, username=username, given_name="Test",
                             family_name=username, password_hash=CHEAP_HASH)


def throttle_name(app, username: str) -> str:
    """What stands for a login name in the throttle's keys of this server: the keyed hash."""
    settings = load_settings({k: v for k, v in app.env.items() if k.startswith("SCHOOLCLOUD_")})
    return name_key(settings.secret_key, username)


def fresh_ip() -> str:
    """A loopback address no other test has used, so throttle rows never carry over between tests."""
    while True:
        ip = f"127.{random.randint(1, 254)}.{random.randint(0, 254)}.{random.randint(1, 254)}"
        if ip not in _used:
            _used.add(ip)
            return ip


def client_from(app, ip: str, headers: dict | None = None) -> httpx.AsyncClient:
    return browser.client(app.base_url, transport=httpx.AsyncHTTPTransport(local_address=ip),
                          headers={"Accept-Language": "en", **(headers or {})})


async def attempt(app, ip: str, username: str, password: str, headers: dict | None = None) -> httpx.Response:
    """One login attempt at the IdP's form from ``ip``; a success is followed into the app."""
    async with client_from(app, ip, headers=headers or {}) as http:
        form = await browser.start_login(http)
        response = await browser.submit_login(http, form, username, password)
        if response.status_code == 302:
            final = await browser.follow(http, response)
            assert final.status_code == 200
            assert (await http.get("/api/v1/me")).json()["username"] == username
        return response


async def attempts(app, ip: str, username: str, passwords: list[str]) -> list[int]:
    """Several attempts on one login form (as a person retrying would)."""
    async with client_from(app, ip) as http:
        form = await browser.start_login(http)
        statuses = []
        for password in passwords:
            response = await browser.submit_login(http, form, username, password)
            statuses.append(response.status_code)
            if response.status_code == 302:
                form = await browser.start_login(http)
        return statuses


@pytest.mark.postgres
async def test_five_failures_lock_the_account_at_that_address_only(app):
    user = await make_user(await make_school(), Role.TEACHER)
    school_ip, home_ip = fresh_ip(), fresh_ip()
    assert await attempts(app, school_ip, user.username, ["wrong"] * 5) == [401] * 5
    locked = await attempt(app, school_ip, user.username, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    assert not await LoginSession.filter(user=user).exists()
    # The owner elsewhere is not locked out by guessing at the school's address.
    assert (await attempt(app, home_ip, user.username, PASSWORD)).status_code == 302
    # Another account at the guessing address is not locked either.
    other = await make_user(await make_school(), Role.PUPIL)
    assert (await attempt(app, school_ip, other.username, PASSWORD)).status_code == 302
    # No row names the account: its counters, lock and known pairs are keyed by the name's keyed hash.
    name = throttle_name(app, user.username)
    assert len(name) == 40 and user.username not in name
    stored = await LoginThrottle.filter(key__contains=name).values_list("key", flat=True)
    assert set(stored) == {f"pair:{name}:{school_ip}", f"account:{name}", f"known:{name}:{home_ip}"}
    assert not await LoginThrottle.filter(key__contains=user.username).exists()


async def test_forwarded_for_from_an_untrusted_address_is_ignored(app):
    user = await make_user(await make_school(), Role.PUPIL)
    ip = fresh_ip()
    for n in range(5):
        spoofed = {"X-Forwarded-For": f"10.9.{n}.1"}
        assert (await attempt(app, ip, user.username, "wrong", headers=spoofed)).status_code == 401
    rotated = await attempt(app, ip, user.username, PASSWORD, headers={"X-Forwarded-For": "10.9.99.1"})
    assert rotated.status_code == 429


async def test_forwarded_for_from_the_trusted_proxy_names_the_client(app):
    user = await make_user(await make_school(), Role.PUPIL)
    for _ in range(5):
        response = await attempt(app, "127.0.0.1", user.username, "wrong", headers={"X-Forwarded-For": "10.8.0.1"})
        assert response.status_code == 401
    assert await LoginThrottle.filter(key=f"pair:{throttle_name(app, user.username)}:10.8.0.1", failures=5).exists()
    locked = await attempt(app, "127.0.0.1", user.username, PASSWORD, headers={"X-Forwarded-For": "10.8.0.1"})
    assert locked.status_code == 429
    other = await attempt(app, "127.0.0.1", user.username, PASSWORD, headers={"X-Forwarded-For": "10.8.0.2"})
    assert other.status_code == 302


async def test_a_successful_login_resets_the_account_and_address_counter(app):
    user = await make_user(await make_school(), Role.PUPIL)
    ip = fresh_ip()
    statuses = await attempts(app, ip, user.username, ["wrong"] * 4 + [PASSWORD] + ["wrong"] * 4 + [PASSWORD])
    assert statuses == [401] * 4 + [302] + [401] * 4 + [302]


@pytest.mark.postgres
async def test_pupils_behind_one_school_address_are_never_locked(app):
    school = await make_school()
    pupils = [await make_user(school, Role.PUPIL) for _ in range(5)]
    nat = fresh_ip()
    # A class logs in, most of them after a typo; one pupil logs in again and again.
    for pupil in pupils:
        assert await attempts(app, nat, pupil.username, ["typo", PASSWORD]) == [401, 302]
    assert await attempts(app, nat, pupils[0].username, [PASSWORD] * 6) == [302] * 6
    assert not await LoginThrottle.filter(key=f"pair:{throttle_name(app, pupils[0].username)}:{nat}").exists()
    assert (await LoginThrottle.get(key=f"ip:{nat}")).failures == len(pupils)

    # Someone at the school makes the address reach its limit (here: the counter is put there).
    now = datetime.now(timezone.utc)
    await LoginThrottle.filter(key=f"ip:{nat}").update(failures=200, locked_until=now + timedelta(minutes=10))
    # Pupils who have logged in there before still log in ...
    for pupil in pupils[:2]:
        assert (await attempt(app, nat, pupil.username, PASSWORD)).status_code == 302
    # ... while guessing at accounts that never logged in from there stays locked.
    stranger = await make_user(school, Role.TEACHER)
    assert (await attempt(app, nat, stranger.username, PASSWORD)).status_code == 429
    assert (await attempt(app, fresh_ip(), stranger.username, PASSWORD)).status_code == 302


async def test_an_account_locked_by_guessing_elsewhere_still_logs_in_where_it_is_known(app):
    user = await make_user(await make_school(), Role.TEACHER)
    school_ip = fresh_ip()
    assert (await attempt(app, school_ip, user.username, PASSWORD)).status_code == 302
    # Guessing spread over many addresses reaches the per-account limit.
    now = datetime.now(timezone.utc)
    await LoginThrottle.create(key=f"account:{throttle_name(app, user.username)}", failures=50, window_start=now,
                               locked_until=now + timedelta(minutes=15))
    assert (await attempt(app, fresh_ip(), user.username, PASSWORD)).status_code == 429
    assert (await attempt(app, school_ip, user.username, PASSWORD)).status_code == 302


@pytest.mark.postgres
async def test_parallel_guesses_cannot_exceed_the_limit(app):
    user = await make_user(await make_school(), Role.PUPIL)
    ip = fresh_ip()
    async with client_from(app, ip) as http:
        form = await browser.start_login(http)
        responses = await asyncio.gather(*(browser.submit_login(http, form, user.username, f"guess {n}")
                                           for n in range(10)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * 5 + [429] * 5
    assert (await LoginThrottle.get(key=f"pair:{throttle_name(app, user.username)}:{ip}")).failures == 5
    assert (await attempt(app, ip, user.username, PASSWORD)).status_code == 429


@pytest.mark.postgres
async def test_parallel_failures_at_one_address_are_all_counted(app):
    school = await make_school()
    pupils = [await make_user(school, Role.PUPIL) for _ in range(6)]
    ip = fresh_ip()

    async def typo(pupil):
        async with client_from(app, ip) as http:
            form = await browser.start_login(http)
            return (await browser.submit_login(http, form, pupil.username, "typo")).status_code

    assert await asyncio.gather(*(typo(pupil) for pupil in pupils)) == [401] * len(pupils)
    assert (await LoginThrottle.get(key=f"ip:{ip}")).failures == len(pupils)


def test_throttle_keys_fit_the_column_for_long_names_and_ipv6():
    from schoolcloud.idp import throttle
    from schoolcloud.idp.models import LoginThrottle

    limit = LoginThrottle._meta.fields_map["key"].max_length
    ip = "2001:0db8:85a3:0000:0000:8a2e:0370:7334"
    secret, throttle._secret = throttle._secret, b"k" * 32
    try:
        for _, key in throttle._keys("x" * 150, ip):
            assert len(key) <= limit
        assert len(throttle._known_key("y" * 150, ip)) <= limit
    finally:
        throttle._secret = secret
