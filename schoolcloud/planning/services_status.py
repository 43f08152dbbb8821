"""The status flow of a plan, towards the school carrier:

    draft --submit--> submitted --approve--> approved
      ^                  |  |
      |                  |  +--return (with comments)--> returned --submit--> submitted
      +----withdraw------+                                  |
      +--------------------------reopen---------------------+

The school administrator submits and withdraws; carrier users return (a comment is required) or
approve; the school's editors reopen a returned plan as a draft (saving a returned plan is allowed too).
Each step is kept with its comment and recorded in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from schoolcloud.accounts.models import User
from schoolcloud.accounts.services_base import record
from schoolcloud.planning import access as acl
from schoolcloud.planning import domain
from schoolcloud.planning.models import CarrierSchool, PlanDocument, PlanStatus, PlanStatusChange
from schoolcloud.web.errors import AppError, Forbidden
from schoolcloud.web.i18n import N_

COMMENT_MAX = 5000
S = PlanStatus
A = acl.Access


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    actors: tuple[str, ...]
    label: str
    needs_comment: bool = False


TRANSITIONS = {t.action: t for t in (
    Transition("submit", (S.DRAFT, S.RETURNED), S.SUBMITTED, (A.ADMIN,), N_("Submit to the school carrier")),
    Transition("withdraw", (S.SUBMITTED,), S.DRAFT, (A.ADMIN,), N_("Withdraw the submission")),
    Transition("return", (S.SUBMITTED,), S.RETURNED, (A.CARRIER,), N_("Return with comments"),
               needs_comment=True),
    Transition("approve", (S.SUBMITTED,), S.APPROVED, (A.CARRIER,), N_("Approve")),
    Transition("reopen", (S.RETURNED,), S.DRAFT, A.WRITERS, N_("Continue editing as a draft")),
)}

STATUS_LABELS = {S.DRAFT: N_("Draft"), S.SUBMITTED: N_("Submitted to the carrier"),
                 S.RETURNED: N_("Returned with comments"), S.APPROVED: N_("Approved")}


def _not_now() -> AppError:
    return AppError("transition_not_allowed", N_("This step is not possible in the plan's current status."),
                    status=409)


def allowed(plan: PlanDocument, access: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if plan.status in t.sources and access in t.actors]


async def change_status(actor: User, plan_id, action, comment="") -> PlanDocument:
    plan, access = await acl.plan_for(actor, plan_id)
    transition = TRANSITIONS.get(action) if isinstance(action, str) else None
    if transition is None:
        raise AppError("invalid_parameter", N_("The parameter %(name)s has an invalid value."), status=422,
                       field="action", name="action")
    if access not in transition.actors:
        raise Forbidden()
    if plan.status not in transition.sources:
        raise _not_now()
    comment = comment.strip() if isinstance(comment, str) else ""
    if len(comment) > COMMENT_MAX:
        raise AppError("too_long", N_("At most %(max)d characters."), status=422, field="comment", max=COMMENT_MAX)
    if transition.needs_comment and not comment:
        raise AppError("comment_required", N_("Please say what should be changed."), status=422, field="comment")
    if transition.action == "submit":
        await _check_submittable(plan)
    async with in_transaction() as conn:
        moved = await PlanDocument.filter(id=plan.id, status=plan.status).using_db(conn).update(
            status=transition.target)
        if not moved:  # someone else took a step at the same moment
            raise _not_now()
        await PlanStatusChange.create(using_db=conn, plan_id=plan.id, from_status=plan.status,
                                      to_status=transition.target, actor=actor, comment=comment,
                                      revision=plan.revision)
    await record(f"plans.{transition.action}", actor, school_id=plan.school_id, target_type="plan",
                 target_id=plan.id, details={"from": plan.status, "to": transition.target,
                                             "revision": plan.revision})
    plan.status = transition.target
    return plan


async def _check_submittable(plan: PlanDocument) -> None:
    if not await CarrierSchool.filter(school_id=plan.school_id).exists():
        raise AppError("no_carrier", N_("Your school is not assigned to a school carrier yet. Please ask the "
                                        "operators of this instance."), status=422)
    blocking = domain.blocking(domain.parse(domain.load(plan.content)), plan.programme)
    if blocking:
        raise AppError("plan_incomplete", N_("The plan still has %(count)d errors. Please correct them before "
                                             "submitting it."), status=422, count=len(blocking))


async def history(actor: User, plan_id) -> list[PlanStatusChange]:
    plan, _access = await acl.plan_for(actor, plan_id, fields=("status",))
    return await PlanStatusChange.filter(plan_id=plan.id).select_related("actor").order_by("-id")
