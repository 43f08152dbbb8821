"""Teachers invited to edit a plan. School administrators of the plan's school invite and remove them;
only active teachers of the same school can be invited (never pupils)."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from schoolcloud.accounts.models import Role, User
from schoolcloud.accounts.services_base import record
from schoolcloud.planning import access as acl
from schoolcloud.planning.lookup import by_id, whole_number
from schoolcloud.planning.models import PlanDocument, PlanEditor
from schoolcloud.web.errors import AppError, Forbidden, NotFound
from schoolcloud.web.i18n import N_


async def _admin_plan(actor: User, plan_id) -> PlanDocument:
    plan, access = await acl.plan_for(actor, plan_id, fields=("status",))
    if access != acl.Access.ADMIN:
        raise Forbidden()
    return plan


async def editors(plan: PlanDocument) -> list[PlanEditor]:
    return await PlanEditor.filter(plan_id=plan.id).select_related("user").order_by("user__family_name", "id")


async def invitable_teachers(plan: PlanDocument) -> list[User]:
    """Active teachers of the plan's school who are not invited yet (for the invitation form)."""
    invited = await PlanEditor.filter(plan_id=plan.id).values_list("user_id", flat=True)
    return await User.filter(school_id=plan.school_id, role=Role.TEACHER, active=True) \
        .exclude(id__in=list(invited) or [0]).order_by("family_name", "given_name", "id")


async def invite(actor: User, plan_id, user_id) -> PlanEditor:
    plan = await _admin_plan(actor, plan_id)
    user = await by_id(User, user_id, "user")
    if not user.active or user.school_id != plan.school_id:
        raise NotFound("user")
    if user.role != Role.TEACHER:
        raise AppError("not_a_teacher", N_("Only teachers of your school can be invited to a plan."), status=422,
                       field="user_id")
    try:
        editor = await PlanEditor.create(plan_id=plan.id, user=user, invited_by=actor)
    except IntegrityError:
        editor = await PlanEditor.get(plan_id=plan.id, user_id=user.id)
    else:
        await record("plans.editor_add", actor, school_id=plan.school_id, target_type="plan", target_id=plan.id,
                     details={"user": str(user.public_id)})
    editor.user = user
    return editor


async def remove(actor: User, plan_id, user_id) -> None:
    plan = await _admin_plan(actor, plan_id)
    editor = await PlanEditor.get_or_none(plan_id=plan.id, user_id=whole_number(user_id, "user")) \
        .select_related("user")
    if editor is None:
        raise NotFound("user")
    await editor.delete()
    await record("plans.editor_remove", actor, school_id=plan.school_id, target_type="plan", target_id=plan.id,
                 details={"user": str(editor.user.public_id)})
