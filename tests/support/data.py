"""Test data made through the app's own models and services, in the test process, against the same
database the server uses."""

from __future__ import annotations

import itertools
import uuid

from schoolcloud.accounts.models import School, User
from schoolcloud.accounts.passwords import hash_password

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}-{uuid.uuid4().hex[:6]}"


async def make_school(name: str | None = None, **fields) -> School:
    return await School.create(name=name or unique("Schule "), **fields)


async def make_user(school: School | None, role: str, password: str = "correct horse battery",
                    **fields) -> User:
    username = fields.pop("username", None) or unique(f"{role}.").lower()
    fields.setdefault("given_name", "Test")
    fields.setdefault("family_name", username)
    return await User.create(school=school, role=role, username=username,
                             password_hash=hash_password(password), **fields)


# --- accounts tests ---------------------------------------------------------------------------------------

import contextlib  # noqa: E402

from schoolcloud.accounts.models import SchoolClass  # noqa: E402
from schoolcloud.accounts.passwords import hash_one_time_password  # noqa: E402

PASSWORD = "correct horse battery"
_light_hashes: dict[str, str] = {}


def light_hash(password: str = PASSWORD) -> str:
    """One cheap argon2id hash per password for the whole run: logins in tests stay fast."""
    if password not in _light_hashes:
        _light_hashes[password] = hash_one_time_password(password)
    return _light_hashes[password]


async def make_member(school: School | None, role: str, password: str = PASSWORD, **fields) -> User:
    """Like make_user, with a cached light hash (no 160 ms argon2 per account)."""
    username = fields.pop("username", None) or unique(f"{role}.").lower()
    fields.setdefault("given_name", "Test")
    fields.setdefault("family_name", username)
    return await User.create(school=school, role=role, username=username, password_hash=light_hash(password),
                             **fields)


async def make_class(school: School, name: str | None = None, *, members=(), school_year: str = "2026/27",
                     grade_level: int = 5) -> SchoolClass:
    school_class = await SchoolClass.create(school=school, name=name or unique("5"), grade_level=grade_level,
                                            school_year=school_year)
    if members:
        await school_class.members.add(*members)
    return school_class


@contextlib.asynccontextmanager
async def logged_in(app, user: User, password: str = PASSWORD, **client_kwargs):
    """An httpx client logged in through the real OIDC flow; ``http.csrf`` holds the API header."""
    from tests.support import browser

    async with browser.client(app.base_url, **client_kwargs) as http:
        await browser.login(http, user.username, password)
        me = await http.get("/api/v1/me")
        assert me.status_code == 200, me.text
        http.csrf = {"X-CSRF-Token": me.json()["csrf_token"]}
        yield http
