"""Who may do what. Services call these before touching data, so pages, API and CLI share one rule set."""

from __future__ import annotations

from schoolcloud.accounts.models import Role, User
from schoolcloud.web.errors import Forbidden

STAFF = (Role.TEACHER, Role.SCHOOL_ADMIN)


def require_role(actor: User, *roles: str) -> None:
    if not actor.active or actor.role not in roles:
        raise Forbidden()


def require_school_admin(actor: User) -> int:
    """The school the actor administers; operators administer none directly."""
    require_role(actor, Role.SCHOOL_ADMIN)
    return actor.school_id


def require_same_school(actor: User, school_id: int | None) -> None:
    if actor.role != Role.OPERATOR and (school_id is None or school_id != actor.school_id):
        raise Forbidden()
