"""Restriction of processing (Art. 18 GDPR): a frozen account cannot log in, and neither the person
nor anyone else changes it or its consents; school administrators still read it and export its data.
Lifting the restriction restores the account's previous active state."""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import User
from schoolcloud.accounts.services_base import record
from schoolcloud.accounts.services_users import Conflict, delete_check, school_user
from schoolcloud.auth import sessions
from schoolcloud.privacy.models import AccountRestriction
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_


def frozen_error() -> AppError:
    return Conflict("account_frozen", N_("This account is frozen (restriction of processing): it cannot be "
                                         "changed until the restriction is lifted on its privacy page."))


async def is_frozen(user: User) -> bool:
    return await AccountRestriction.filter(user_id=user.id).exists()


async def require_not_frozen(user: User) -> None:
    if await is_frozen(user):
        raise frozen_error()


async def restriction_of(user: User) -> AccountRestriction | None:
    return await AccountRestriction.get_or_none(user_id=user.id)


async def freeze(actor: User, user_id, reason: str = "") -> tuple[AccountRestriction, bool]:
    """Freeze an account of the admin's school; ``False`` when it was frozen already (nothing changes)."""
    user = await school_user(actor, user_id)  # own school only
    existing = await restriction_of(user)
    if existing is not None:
        return existing, False
    await delete_check(actor, user_id)  # not oneself, not the school's last active administrator
    reason = " ".join(str(reason or "").split())[:200]
    try:
        async with in_transaction() as conn:
            restriction = await AccountRestriction.create(
                using_db=conn, user_id=user.id, school_id=user.school_id, frozen_at=datetime.now(timezone.utc),
                frozen_by=str(actor.public_id), reason=reason, was_active=user.active)
            await User.filter(id=user.id).using_db(conn).update(active=False)
    except IntegrityError:  # frozen by a concurrent request
        return await AccountRestriction.get(user_id=user.id), False
    await sessions.end_all_for(user.id)
    await record("account.frozen", actor, school_id=user.school_id, target_type="user", target_id=user.public_id,
                 details={"reason": reason})
    return restriction, True


async def unfreeze(actor: User, user_id) -> None:
    user = await school_user(actor, user_id)
    restriction = await restriction_of(user)
    if restriction is None:
        raise Conflict("not_frozen", N_("This account is not frozen."))
    async with in_transaction() as conn:
        await User.filter(id=user.id).using_db(conn).update(active=restriction.was_active)
        await AccountRestriction.filter(id=restriction.id).using_db(conn).delete()
    await record("account.unfrozen", actor, school_id=user.school_id, target_type="user", target_id=user.public_id)
