"""Accounts from an external IdP: created on first login, updated from the claims at every login.

Role, school and classes come from claims named in the settings (see the README's mapping examples for
Keycloak / UCS@school and SchulConnex role codes). Claims that map to no role create nothing.
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schoolcloud import rows
from schoolcloud.accounts.models import Role, School, SchoolClass, User
from schoolcloud.config import Settings
from schoolcloud.privacy import audit


class LoginRefused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # a message id: "no_role", "unknown_school", "unknown_account", "deactivated"


def claim(claims: dict, path: str):
    """Look up a dotted path such as ``realm_access.roles``; lists of objects are searched too."""
    values = [claims]
    for part in path.split("."):
        found = []
        for value in values:
            if isinstance(value, dict) and part in value:
                found.append(value[part])
            elif isinstance(value, list):
                found += [item[part] for item in value if isinstance(item, dict) and part in item]
        values = found
    flat = []
    for value in values:
        flat += value if isinstance(value, list) else [value]
    return [v for v in flat if v not in (None, "")]


def map_role(settings: Settings, claims: dict) -> str | None:
    """The highest role any claim value maps to (an admin who also teaches is an admin)."""
    mapped = {settings.oidc_role_map.get(str(v)) for v in claim(claims, settings.oidc_role_claim)}
    for role in (Role.OPERATOR, Role.SCHOOL_ADMIN, Role.TEACHER, Role.PUPIL):
        if role in mapped:
            return role
    return None


async def _school(settings: Settings, claims: dict) -> School | None:
    """The school whose number (Schulnummer) the claim names. Never our internal id: an external number
    that happens to equal another school's id would put the user into that school."""
    for value in claim(claims, settings.oidc_school_claim):
        school = await School.get_or_none(school_number=str(value))
        if school is not None:
            return school
    return None


async def _unique_username(wanted: str) -> str:
    base = (wanted or "user").strip().lower()[:140]
    candidate, n = base, 1
    while await User.exists(username=candidate):
        n += 1
        candidate = f"{base}{n}"
    return candidate


async def _sync_classes(user: User, school: School, names: list[str]) -> None:
    """Link the classes the IdP names; classes unknown to the school are left for its administrators."""
    wanted = []
    for name in {str(n) for n in names}:
        school_class = await SchoolClass.filter(school=school, name=name).order_by("-school_year").first()
        if school_class is not None:
            wanted.append(school_class)
    await user.classes.clear()
    if wanted:
        await user.classes.add(*wanted)


async def user_from_embedded(claims: dict) -> User:
    # By hand (see schoolcloud.rows): every login runs it.
    found = await rows.fetch_one(f"SELECT {rows.columns(User, 'u')} FROM {User._meta.db_table} u "
                                 "WHERE u.public_id = ?", rows.db_value(User, "public_id", claims.get("sub")))
    user = rows.hydrate(User, found, "u") if found else None
    if user is None:
        raise LoginRefused("unknown_account")
    if not user.active:
        raise LoginRefused("deactivated")
    return user


async def user_from_external(settings: Settings, claims: dict) -> User:
    role = map_role(settings, claims)
    if role is None:
        raise LoginRefused("no_role")
    school = await _school(settings, claims)
    if school is None and role != Role.OPERATOR:
        raise LoginRefused("unknown_school")
    names = {
        "given_name": str(claims.get("given_name", ""))[:100],
        "family_name": str(claims.get("family_name", ""))[:100],
        "email": (str(claims["email"])[:254] if claims.get("email") else None),
        "role": role,
        "school": school,
    }
    try:
        user, created = await _create_or_update(settings, claims, names, school)
    except IntegrityError:
        # A parallel first login of the same person (two tabs) created the row a moment earlier.
        user, created = await _create_or_update(settings, claims, names, school)
    if created:
        await audit.record("account.provisioned", actor=user, school_id=user.school_id, target_type="user",
                           target_id=user.public_id, details={"role": role})
    return user


async def _create_or_update(settings: Settings, claims: dict, names: dict, school) -> tuple[User, bool]:
    issuer, subject = claims.get("iss"), claims.get("sub")
    async with in_transaction():
        user = await User.get_or_none(external_issuer=issuer, external_subject=subject)
        created = user is None
        if created:
            wanted = next(iter(claim(claims, settings.oidc_username_claim)), subject)
            username = await _unique_username(str(wanted))
            user = await User.create(username=username, external_issuer=issuer, external_subject=subject, **names)
        else:
            if not user.active:
                raise LoginRefused("deactivated")
            user.update_from_dict(names)
            await user.save()
        if school is not None:
            await _sync_classes(user, school, claim(claims, settings.oidc_classes_claim))
    return user, created


async def user_from_claims(settings: Settings, claims: dict) -> User:
    if settings.embedded_idp:
        return await user_from_embedded(claims)
    return await user_from_external(settings, claims)
