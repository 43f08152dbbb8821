"""One school's plan as a document: overview, the eight sections of mep-domain.md 1.3 with the
calculator's figures where they belong, the planning indicators and the validator's findings."""

from __future__ import annotations

from datetime import date

from plans.calculator import PlanResult
from plans.export import sections
from plans.export.document import Document, Facts, Section
from plans.export.figures import financing_section, indicator_section
from plans.export.findings import findings_section, findings_summary
from plans.export.measures import measure_table
from plans.export.texts import SECTION_HEADINGS
from plans.model import Plan
from plans.rulepack import RulePack
from plans.validator import Finding

TITLE = "Medienentwicklungsplan"


def overview(plan: Plan, pack: RulePack, result: PlanResult, findings: list[Finding]) -> Section:
    money, budget = result.money, result.budget
    return Section("Überblick", [Facts((
        ("Schule", plan.profile.name, "text"),
        ("Schulnummer", plan.profile.school_number, "text"),
        ("Förderprogramm", f"{pack.name_de} (Regelwerk {pack.id}, Version {pack.version})", "text"),
        ("Gesamtkosten", money.total, "money"),
        ("davon förderfähig", money.eligible, "money"),
        ("Zuwendung (Förderung)", money.funding if money.funding is not None else "unbekannt", "money"),
        ("Eigenmittel insgesamt", money.own_total if money.own_total is not None else "unbekannt", "money"),
        ("Budget", budget.total if budget.total is not None else "unbekannt", "money"),
        ("verbleibendes Budget", budget.left if budget.left is not None else "unbekannt", "money"),
        ("Prüfergebnis", findings_summary(findings), "text"),
    ))])


def plan_document(plan: Plan, pack: RulePack, result: PlanResult, findings: list[Finding], issued_on: date) -> Document:
    measures = Section(SECTION_HEADINGS["measures"], [measure_table(plan.measures, result.lines, result.money.total)],
                       financing_section(result, per_school_cap=False))
    return Document(
        title=TITLE,
        owner=plan.profile.name or plan.title or "Schule",
        issued_on=issued_on,
        subtitle=" – ".join(x for x in (plan.title, pack.name_de) if x),
        sections=[
            overview(plan, pack, result, findings),
            sections.profile_section(plan),
            sections.inventory_section(plan),
            sections.pedagogy_section(plan),
            sections.target_section(plan),
            sections.training_section(plan, result.training),
            sections.support_section(plan),
            measures,
            sections.evaluation_section(plan),
            indicator_section(result.indicators, "9. Kennzahlen und Orientierungswerte"),
            findings_section(findings, "10. Prüfergebnis"),
        ])
