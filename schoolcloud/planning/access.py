"""Who may see and change which plan. Every planning service asks here first.

- School administrators: every plan of their school; they create, edit, invite, submit.
- Teachers: only the plans they were invited to; they edit while the plan is editable.
- Carrier users: the plans of their carrier's schools, read-only; they return or approve.
- Pupils and operators: nothing (operators manage carriers, not their plans).
A plan the actor may not see is "not found", so its existence does not leak.
"""

from __future__ import annotations

from tortoise.expressions import Q

from schoolcloud.accounts.models import Role, User
from schoolcloud.planning.lookup import whole_number
from schoolcloud.planning.models import CarrierMember, CarrierSchool, PlanDocument, PlanEditor
from schoolcloud.web.errors import Forbidden, NotFound

PLANNER_ROLES = (Role.SCHOOL_ADMIN, Role.TEACHER, Role.CARRIER)


class Access:
    ADMIN = "admin"  # school administrator of the plan's school
    EDITOR = "editor"  # invited teacher
    CARRIER = "carrier"  # carrier user of the plan's school
    WRITERS = (ADMIN, EDITOR)


def require_planner(actor: User) -> None:
    if not actor.active or actor.role not in PLANNER_ROLES:
        raise Forbidden()
    if actor.role != Role.CARRIER and actor.school_id is None:
        raise Forbidden()


async def carrier_ids(actor: User) -> list[int]:
    if actor.role != Role.CARRIER or not actor.active:
        return []
    return await CarrierMember.filter(user_id=actor.id).values_list("carrier_id", flat=True)


async def carrier_school_ids(actor: User) -> list[int]:
    ids = await carrier_ids(actor)
    if not ids:
        return []
    return await CarrierSchool.filter(carrier_id__in=ids).values_list("school_id", flat=True)


async def access_to(actor: User, plan: PlanDocument) -> str | None:
    if actor.role == Role.SCHOOL_ADMIN and actor.school_id == plan.school_id:
        return Access.ADMIN
    if actor.role == Role.TEACHER and actor.school_id == plan.school_id and \
            await PlanEditor.filter(plan_id=plan.id, user_id=actor.id).exists():
        return Access.EDITOR
    if actor.role == Role.CARRIER and plan.school_id in await carrier_school_ids(actor):
        return Access.CARRIER
    return None


async def plan_for(actor: User, plan_id, *, fields: tuple[str, ...] | None = None) -> tuple[PlanDocument, str]:
    """The plan and the actor's access to it; NotFound when the actor may not see it."""
    require_planner(actor)
    query = PlanDocument.filter(id=whole_number(plan_id, "plan"))
    plan = await (query.only(*fields, "id", "school_id") if fields else query).first()
    access = await access_to(actor, plan) if plan is not None else None
    if access is None:
        raise NotFound("plan")
    return plan, access


async def plan_to_write(actor: User, plan_id) -> tuple[PlanDocument, str]:
    plan, access = await plan_for(actor, plan_id)
    if access not in Access.WRITERS:
        raise Forbidden()
    return plan, access


def visible_plans(actor: User, school_ids_of_carrier: list[int]):
    """A query of the plans the actor may see (``school_ids_of_carrier`` for carrier users)."""
    require_planner(actor)
    if actor.role == Role.SCHOOL_ADMIN:
        return PlanDocument.filter(school_id=actor.school_id)
    if actor.role == Role.TEACHER:
        return PlanDocument.filter(Q(school_id=actor.school_id) & Q(editors__user_id=actor.id)).distinct()
    return PlanDocument.filter(school_id__in=school_ids_of_carrier or [0])
