"""JSON shapes of plans, revisions, status changes and carriers (for the API and the autosave answers)."""

from __future__ import annotations

from plans import serialize
from schoolcloud.planning import domain, figures
from schoolcloud.planning.models import PlanDocument, PlanStatusChange
from schoolcloud.planning.services_status import STATUS_LABELS, allowed
from schoolcloud.privacy.pseudonyms import person_name
from schoolcloud.web.i18n import gettext_ as _


def plan_summary(plan: PlanDocument) -> dict:
    return {"id": plan.id, "title": plan.title, "programme": plan.programme, "status": plan.status,
            "status_label": _(STATUS_LABELS[plan.status]), "revision": plan.revision, "school_id": plan.school_id,
            "updated_at": plan.updated_at.isoformat() if plan.updated_at else None}


def checks(plan: PlanDocument, content: dict) -> dict:
    """The validator's findings and the calculator's figures (None while not available)."""
    model = domain.parse(content)
    computed = figures.of_plan(model)
    return {"findings": domain.findings(model, plan.programme),
            "figures": serialize.to_data(computed.result) if computed else None}


def plan_detail(plan: PlanDocument, access: str, content: dict) -> dict:
    return {**plan_summary(plan), "access": access, "may_edit": domain_editable(plan, access),
            "actions": [{"action": t.action, "label": _(t.label), "needs_comment": t.needs_comment}
                        for t in allowed(plan, access)],
            "plan": content, **checks(plan, content)}


def domain_editable(plan: PlanDocument, access: str) -> bool:
    from schoolcloud.planning.access import Access
    from schoolcloud.planning.models import PlanStatus

    return access in Access.WRITERS and plan.status in PlanStatus.EDITABLE


def status_change(change: PlanStatusChange) -> dict:
    return {"from": change.from_status, "to": change.to_status, "comment": change.comment,
            "revision": change.revision, "created_at": change.created_at.isoformat(),
            "actor": person_name(change.actor, change.actor_pseudonym)}


def revision_row(row: dict) -> dict:
    return {**row, "created_at": row["created_at"].isoformat()}
