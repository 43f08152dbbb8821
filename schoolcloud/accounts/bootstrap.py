"""First start: one school and its first administrator, whose one-time password is printed once."""

from __future__ import annotations

import secrets

from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import Role, School, User
from schoolcloud.accounts.passwords import hash_password
from schoolcloud.privacy import audit


async def bootstrap(school_name: str) -> tuple[str, str] | None:
    """Create school and administrator if the instance has no users; return (login, password) once."""
    if await User.exists():
        return None
    password = secrets.token_urlsafe(12)
    async with in_transaction():
        school = await School.create(name=school_name)
        admin = await User.create(
            school=school, role=Role.SCHOOL_ADMIN, username="admin", given_name="Schul",
            family_name="Administration", password_hash=hash_password(password), must_change_password=True,
        )
    await audit.record("instance.bootstrap", actor=admin, school_id=school.id, target_type="school",
                       target_id=school.id)
    return admin.username, password
