"""The one place where the editor meets the pure ``plans`` package: a new plan, reading and writing its
JSON, the validator's findings and the calculator's figures. Storage, revisions and diffs handle a plan
as its JSON data (a dict); forms and checks work on ``plans.model.Plan``.
"""

from __future__ import annotations

import json
import uuid

from plans import rulepack, serialize
from plans.model import FundingProgramme, Land, Plan, SchoolProfile
from schoolcloud.web.errors import AppError
from schoolcloud.web.i18n import N_, current_locale, in_locale

MAX_PLAN_CHARS = 4_000_000  # a plan with thousands of measures stays far below this


class PlanFormatProblem(AppError):
    """The serialiser's own message (it names the field path in English and German)."""

    status_code = 422

    def __init__(self, error: serialize.PlanFormatError):
        super().__init__("invalid_plan", N_("The plan data cannot be read: %(detail)s"), field=error.path or None,
                         detail=error.message_en)
        self.error = error

    def text(self, locale: str) -> str:
        detail = self.error.message_de if locale == "de" else self.error.message_en
        where = f"{self.error.path}: " if self.error.path else ""
        return in_locale(locale, self.message, detail=where + detail)


def invalid_plan(detail: str = "") -> AppError:
    return AppError("invalid_plan", N_("The plan data cannot be read: %(detail)s"), status=422, detail=detail)


def new_plan(school, programme: str, title: str) -> dict:
    land = Land(school.state) if school.state in Land.__members__ else None
    plan = Plan(id=uuid.uuid4().hex, title=title, programme=FundingProgramme(rule_pack_id=programme),
                profile=SchoolProfile(school_number=school.school_number or "", name=school.name, land=land))
    return serialize.to_data(plan)


def parse(data) -> Plan:
    """The plan of JSON data; refuses what is not a well-formed plan (an incomplete one is fine)."""
    if not isinstance(data, dict):
        raise invalid_plan("not a JSON object")
    try:
        return serialize.from_data(Plan, data)
    except serialize.PlanFormatError as exc:
        raise PlanFormatProblem(exc) from None


def normalise(data) -> dict:
    """The data as the serialiser writes it (so equal plans are equal text)."""
    return serialize.to_data(parse(data))


def dump(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_PLAN_CHARS:
        raise AppError("plan_too_large", N_("The plan is too large."), status=413)
    return text


def load(text: str) -> dict:
    return json.loads(text)


def carrier_findings(carrier) -> list[dict] | None:
    """The validator's findings on a carrier's consolidated plan (cap and budget across schools), or None."""
    try:
        from plans import validator
    except ImportError:
        return None
    return [serialize.to_data(f) for f in validator.validate_carrier(carrier)]


def findings(plan: Plan, programme: str) -> list[dict] | None:
    """The validator's findings as [{severity, code, path, message_de, message_en, source}], or None
    while no validator is available."""
    try:
        from plans import validator
    except ImportError:
        return None
    return [serialize.to_data(f) for f in validator.validate_plan(plan)]


def programmes() -> list[tuple[str, str]]:
    """(rule pack id, name) of the programmes a plan can be written for, in the page's language."""
    english = current_locale.get() != "de"
    return [(p.id, p.name_en if english else p.name_de) for p in rulepack.available_packs()]


def pack(programme: str) -> rulepack.RulePack | None:
    try:
        return rulepack.load_pack(programme)
    except rulepack.UnknownRulePack:
        return None


def parameters(programme: str) -> list[tuple[str, bool]]:
    """(name, value known) of the values the programme lets a plan supply (programme.parameters)."""
    found = pack(programme)
    return [(name, value.known) for name, value in found.parameters().items()] if found else []


def categories(programme: str) -> list[tuple[str, str]]:
    """(category id, name) of the programme's funding categories, eligible or not."""
    found = pack(programme)
    if found is None:
        return []
    english = current_locale.get() != "de"
    return [(c.id, c.name_en if english else c.name_de) for c in found.categories.values()]


def blocking(plan: Plan, programme: str) -> list[dict]:
    """Findings that stop a submission (a draft may have any)."""
    return [f for f in findings(plan, programme) or [] if f.get("severity") == "error"]
