"""The carrier's consolidated document (Medienentwicklungsplan des Schulträgers): the totals of all
its schools against the carrier budget and the carrier-wide mobile-device cap, the schools side by
side, the carrier's own measures, and one page of figures per school.

The schools are compared in two matrices (school x pillar, school x year) rather than one page each:
the carrier reads them side by side, and each school's own plan PDF has its details. The schools'
measure lists are left out of the PDF by default (`with_measures=False`): the consolidated XLSX/ODS
carries every measure row in funding-form order, and a 60-school carrier's 12,000 rows make a PDF
of several hundred pages that takes WeasyPrint about a minute.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from plans.calculator import CarrierResult
from plans.export.document import Column, Document, Facts, Section, Table
from plans.export.figures import financing_section
from plans.export.findings import by_school, carrier_findings_section, findings_summary
from plans.export.form import schools_table
from plans.export.measures import measure_table
from plans.export.texts import LAENDER
from plans.model import Carrier
from plans.rulepack import RulePack
from plans.validator import Finding

TITLE = "Medienentwicklungsplan des Schulträgers"


def carrier_document(carrier: Carrier, pack: RulePack, result: CarrierResult, findings: list[Finding],
                     issued_on: date, *, with_measures: bool = False) -> Document:
    """`findings` are validate_carrier's (each school's carry its school number)."""
    money, budget, cap = result.money, result.budget, result.mobile_cap
    summaries = {number: findings_summary(found) for number, found in by_school(findings).items()}
    overview = Section("Überblick", [Facts((
        ("Schulträger", carrier.name, "text"),
        ("Trägerkennziffer", carrier.key, "text"),
        ("Land", LAENDER.get(carrier.land, ""), "text"),
        ("Förderprogramm", f"{pack.name_de} (Regelwerk {pack.id}, Version {pack.version})", "text"),
        ("Schulen", len(carrier.plans), "int"),
        ("Gesamtkosten", money.total, "money"),
        ("davon förderfähig", money.eligible, "money"),
        ("Zuwendung (Förderung)", money.funding if money.funding is not None else "unbekannt", "money"),
        ("Eigenmittel insgesamt", money.own_total if money.own_total is not None else "unbekannt", "money"),
        ("Schulträgerbudget", budget.total if budget.total is not None else "unbekannt", "money"),
        ("verbleibendes Budget", budget.left if budget.left is not None else "unbekannt", "money"),
        ("Obergrenze mobile Endgeräte überschritten um", cap.excess, "money"),
        ("Prüfergebnis", findings_summary(findings), "text"),
    ))])
    schools = Section("1. Schulen im Überblick", [schools_table(carrier, result, summaries)])
    figures = Section("3. Kosten, Finanzierung und Budget des Schulträgers", [],
                      financing_section(result, per_school_cap=True))
    own = Section("4. Maßnahmen des Schulträgers (regionale Maßnahmen)")
    own_lines = result.lines[sum(len(s.lines) for s in result.schools):]
    if own_lines:
        own.blocks.append(measure_table(carrier.measures, own_lines, sum((line.total for line in own_lines), 0)))
    else:
        own.blocks.append(Facts((("Maßnahmen", "keine", "text"),)))
    checks = carrier_findings_section(findings, "5. Prüfergebnis")
    sections = [overview, schools, Section("2. Kosten je Schule", [by_school_pillar(result), by_school_year(result)]),
                figures, own, checks]
    if with_measures:
        listing = Section("6. Maßnahmen der Schulen", new_page=True)
        for plan, school in zip(carrier.plans, result.schools):
            listing.subsections.append(Section(
                f"{plan.profile.school_number} {plan.profile.name}",
                [measure_table(plan.measures, school.lines, school.money.total, caption="")]))
        sections.append(listing)
    return Document(TITLE, carrier.name, issued_on, subtitle=pack.name_de, sections=sections)


def _school_matrix(result: CarrierResult, keys: list, buckets_of, key_of, header_of, caption: str) -> Table:
    """Schools down, pillars or years across: the calculator's per-school buckets side by side."""
    rows = []
    for school in result.schools:
        cells = {key_of(b): b.total for b in buckets_of(school)}
        rows.append((school.school_number, school.school_name, *(cells.get(k) for k in keys), school.money.total))
    totals = [sum((row[2 + i] or Decimal(0) for row in rows), Decimal(0)) for i in range(len(keys))]
    return Table((Column("Schulnummer", weight=1.6), Column("Schule", weight=2.4),
                  *(Column(header_of(k), "money") for k in keys), Column("Summe", "money")),
                 rows, caption=caption,
                 totals=("Summe", None, *totals, sum((s.money.total for s in result.schools), Decimal(0))))


def by_school_pillar(result: CarrierResult) -> Table:
    names = {b.pillar: b.name_de for b in result.by_pillar}
    used = [b.pillar for b in result.by_pillar if any(sb.pillar == b.pillar and sb.total
                                                        for s in result.schools for sb in s.by_pillar)]
    return _school_matrix(result, used, lambda s: s.by_pillar, lambda b: b.pillar, names.get,
                          "Gesamtkosten je Schule und Förderbereich")


def by_school_year(result: CarrierResult) -> Table:
    years = sorted({b.year for s in result.schools for b in s.by_year}, key=lambda y: (y is None, y or 0))
    return _school_matrix(result, years, lambda s: s.by_year, lambda b: b.year,
                          lambda y: str(y) if y is not None else "ohne Jahr", "Gesamtkosten je Schule und Jahr")
