"""What the editor pages show beside the form: the validator's findings (linked to their fields) and the
calculator's figures, built once per request for the page templates and the autosave answers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from plans.model import Plan
from schoolcloud.planning import domain, figures
from schoolcloud.planning.models import PlanDocument
from schoolcloud.planning.sections import SECTIONS, section_of_path
from schoolcloud.planning.services_status import STATUS_LABELS
from schoolcloud.web.i18n import N_, current_locale

SEVERITY_LABELS = {"error": N_("Error"), "warning": N_("Warning"), "info": N_("Note")}


@dataclass
class Checks:
    findings: list[dict] | None  # None: no validator for this programme
    marks: dict[str, dict] = field(default_factory=dict)  # field path -> {"ids": [...], "invalid": bool}
    figures: figures.Figures | None = None


def _message(finding: dict) -> str:
    english = current_locale.get() != "de"
    return (finding.get("message_en") if english else finding.get("message_de")) or finding.get("message", "")


def checks(plan_row: PlanDocument, plan: Plan, step: str | None) -> Checks:
    """Findings for the page of ``step`` (None: the overview): links go to the field on this page or to
    the step that has it."""
    found = domain.findings(plan, plan_row.programme)
    if found is None:
        return Checks(None, figures=figures.of_plan(plan))
    presented, marks = [], {}
    for index, finding in enumerate(found):
        path = finding.get("path") or ""
        dom_id = f"finding-{index + 1}"
        target = section_of_path(path) if path else None
        anchor = "f-" + re.sub(r"\[(\d+)\]", r"-\1", path).replace(".", "-") if path else ""
        if target is None:
            href = ""
        elif target.key == step:
            href = f"#{anchor}"
        else:
            href = f"/plans/{plan_row.id}/steps/{target.key}#{anchor}"
        sources = [part.strip() for part in (finding.get("source") or "").split(";") if part.strip()]
        presented.append({**finding, "dom_id": dom_id, "href": href, "message": _message(finding), "sources": sources})
        if path:
            mark = marks.setdefault(path, {"ids": [], "invalid": False})
            mark["ids"].append(dom_id)
            mark["invalid"] = mark["invalid"] or finding.get("severity") == "error"
    return Checks(presented, marks, figures.of_plan(plan))


def page_context(plan_row: PlanDocument) -> dict:
    """Names every planning template needs."""
    return {"sections": SECTIONS, "status_labels": STATUS_LABELS, "severity_labels": SEVERITY_LABELS,
            "field_errors": {}, "plan_row": plan_row}
