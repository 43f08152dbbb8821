"""Saving one step of the editor (a form of one section) on top of the revision it was loaded from.

If someone saved meanwhile but did not touch this step's parts of the plan, the step is applied to the
current plan (nothing of theirs is lost, nothing of ours either). If they changed the same parts, the
save is refused as a conflict (409) with what they changed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from plans import serialize
from plans.model import Plan
from schoolcloud.accounts.models import User
from schoolcloud.planning import access as acl
from schoolcloud.planning import domain, forms, services_plans
from schoolcloud.planning.models import PlanDocument, PlanRevision
from schoolcloud.planning import sections
from schoolcloud.planning.sections import BY_KEY, Section
from schoolcloud.web.errors import AppError, NotFound
from schoolcloud.web.i18n import N_


@dataclass
class StepSaved:
    plan: PlanDocument
    content: Plan
    errors: forms.Errors  # values that could not be read (kept as they were)
    changed: bool
    merged: bool  # applied on top of someone else's newer save


def section(key) -> Section:
    found = BY_KEY.get(key) if isinstance(key, str) else None
    if found is None:
        raise NotFound("section")
    return found


async def plan_at(plan: PlanDocument, number: int) -> Plan:
    if number == plan.revision:
        return domain.parse(domain.load(plan.content))
    row = await PlanRevision.get_or_none(plan_id=plan.id, number=number)
    if row is None:
        raise AppError("base_revision_unknown", N_("The plan has no version %(number)d."), status=422,
                       field="base_revision", number=number)
    return domain.parse(domain.load(row.content))


def _same_parts(step: Section, one: Plan, other: Plan) -> bool:
    return all(serialize.to_data(getattr(one, a)) == serialize.to_data(getattr(other, a)) for a in step.attributes)


async def save_step(actor: User, plan_id, key, form) -> StepSaved:
    step = section(key)
    plan, _access = await acl.plan_to_write(actor, plan_id)
    base_number = services_plans.revision_number(form.get("base_revision"))
    base = await plan_at(plan, base_number)
    mine, errors = forms.parse(step, form, base)
    merged = False
    if base_number != plan.revision:
        current = await plan_at(plan, plan.revision)
        if _same_parts(step, base, current):
            combined = copy.deepcopy(current)
            for attribute in step.attributes:
                setattr(combined, attribute, getattr(mine, attribute))
            mine, base_number, merged = combined, plan.revision, True
    saved = await services_plans.save_plan(actor, plan.id, base_revision=base_number,
                                           content=serialize.to_data(mine))
    content = domain.parse(domain.load(saved.plan.content))
    return StepSaved(saved.plan, content, errors, saved.changed, merged and saved.changed)


next_step = sections.next_step
