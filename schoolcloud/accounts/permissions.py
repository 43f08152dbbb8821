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
    if actor.school_id is None:  # never scope a query by "school IS NULL": that is the operators
        raise Forbidden()
    return actor.school_id


def require_same_school(actor: User, school_id: int | None) -> None:
    if actor.role != Role.OPERATOR and (school_id is None or school_id != actor.school_id):
        raise Forbidden()


# Roles a school administrator may give to accounts of their school (operators are made by operators).
MANAGEABLE_ROLES = (Role.PUPIL, Role.TEACHER, Role.SCHOOL_ADMIN)
# Roles that can be members of classes and courses.
MEMBER_ROLES = (Role.PUPIL, Role.TEACHER)


def require_staff(actor: User) -> int:
    """Teachers and school admins act inside their own school; returns that school's id."""
    require_role(actor, *STAFF)
    if actor.school_id is None:
        raise Forbidden()
    return actor.school_id


def require_operator(actor: User) -> None:
    """Operators run the instance: schools and their first administrators, never pupils' data."""
    require_role(actor, Role.OPERATOR)


def is_school_admin(actor: User) -> bool:
    return actor.active and actor.role == Role.SCHOOL_ADMIN and actor.school_id is not None
