"""Pupils' passwords are hashed with OWASP's minimum argon2id set, staff's with argon2-cffi's RFC 9106
defaults; a hash with other parameters is replaced at the next successful login, and only then (see
schoolcloud/accounts/passwords.py). Logins go through the real server and its embedded IdP."""

from __future__ import annotations

import argon2
import pytest
from argon2 import extract_parameters

from schoolcloud.accounts.models import Role, User
from schoolcloud.accounts.passwords import hash_password
from tests.support import browser
from tests.support.data import PASSWORD, make_member, make_school

PUPIL = (19 * 1024, 2, 1)  # memory KiB, time cost, lanes
STAFF = (argon2.DEFAULT_MEMORY_COST, argon2.DEFAULT_TIME_COST, argon2.DEFAULT_PARALLELISM)


def parameters(user: User) -> tuple[int, int, int]:
    found = extract_parameters(user.password_hash)
    return found.memory_cost, found.time_cost, found.parallelism


async def with_staff_hash(user: User) -> User:
    """As if the password had been chosen before pupils got the light set."""
    user.password_hash = hash_password(PASSWORD, Role.TEACHER)
    await user.save(update_fields=["password_hash"])
    return user


async def log_in(app, user: User) -> str:
    async with browser.client(app.base_url) as http:
        page = await browser.login(http, user.username, PASSWORD)
    assert page.status_code == 200 and page.url.path == "/", page.text[:300]
    await user.refresh_from_db()
    return user.password_hash


async def test_login_moves_each_hash_to_its_roles_parameters_and_only_when_they_differ(app):
    assert PUPIL != STAFF
    school = await make_school()
    # A pupil who chose a password before pupils got the light set; a teacher with the light set.
    pupil = await with_staff_hash(await make_member(school, Role.PUPIL))
    teacher = await make_member(school, Role.TEACHER)
    assert parameters(pupil) == STAFF and parameters(teacher) == PUPIL

    pupil_hash = await log_in(app, pupil)
    teacher_hash = await log_in(app, teacher)
    assert parameters(pupil) == PUPIL
    assert parameters(teacher) == STAFF

    # Fitting hashes are left alone (a rehash would change the salt, so the stored text would differ).
    assert await log_in(app, pupil) == pupil_hash
    assert await log_in(app, teacher) == teacher_hash

    # A role change takes effect at the next login.
    await User.filter(id=pupil.id).update(role=Role.TEACHER)
    await User.filter(id=teacher.id).update(role=Role.PUPIL)
    assert await log_in(app, pupil) != pupil_hash and parameters(pupil) == STAFF
    assert await log_in(app, teacher) != teacher_hash and parameters(teacher) == PUPIL


async def test_a_wrong_password_changes_no_hash(app):
    pupil = await with_staff_hash(await make_member(await make_school(), Role.PUPIL))
    async with browser.client(app.base_url) as http:
        form = await browser.start_login(http)
        refused = await browser.submit_login(http, form, pupil.username, "not the password")
    assert refused.status_code == 401
    stored = pupil.password_hash
    await pupil.refresh_from_db()
    assert pupil.password_hash == stored


@pytest.mark.parametrize("role, expected", [(Role.PUPIL, PUPIL), (Role.SCHOOL_ADMIN, STAFF)])
async def test_one_time_password_is_replaced_by_a_hash_with_the_roles_parameters(app, role, expected):
    user = await make_member(await make_school(), role, password="one-time-pass", must_change_password=True)
    one_time = user.password_hash
    async with browser.client(app.base_url) as http:
        await browser.login(http, user.username, "one-time-pass", new_password="a brand new secret")
    await user.refresh_from_db()
    assert user.password_hash != one_time and not user.must_change_password
    assert parameters(user) == expected
