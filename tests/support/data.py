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
