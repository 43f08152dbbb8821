"""The cost and measure tables for the spreadsheets (XLSX, ODS), in the column order of a funding
application's measure plan.

Which order and why: there is no national form or data standard for DigitalPakt applications
(mep-domain.md 5, "Data formats"); each Land has its own portal or Excel/Word form, and the exact
column layouts of those forms were not retrievable. The order here follows what the known forms ask
for, in the order they ask it:
  1. who applies and for which school: Trägerkennziffer, then Schulnummer, as in Bayern's dBIR
     Antragsmappe (Excel), which keys each row by carrier and school number and uses school number
     "0000" for items covering several schools; we use "0000" for the carrier's own (regional)
     measures the same way;
  2. what is funded: funding pillar (NRW funds four pillars), then the item category (VV/dBIR items
     a-f) and the item description, as in Schleswig-Holstein's Investitionsplanung per item;
  3. when: year and start date (SH asks for cost and timing with a start date per item);
  4. cost: quantity, unit, unit price, total, then eligibility and the eligible amount.
mep-domain.md 5 names exactly these as the practical keys of any export: official school number,
carrier key, funding item or pillar, cost and time plan per measure. Funding and own share are not
given per row, because the calculator applies the funding rate once to the eligible total (see its
rounding rule); they are on the "Finanzierung" sheet.
"""

from __future__ import annotations

from decimal import Decimal

from plans.calculator import BudgetResult, CapCheck, CarrierResult, MeasureLine, MoneySplit, PlanResult
from plans.export.document import Column, Sheet, Table, Workbook
from plans.export.figures import UNKNOWN, pillar_table, pillar_year_table
from plans.export.measures import eligibility
from plans.model import Carrier, Measure, Plan
from plans.rulepack import RulePack

SEVERAL_SCHOOLS = "0000"  # dBIR convention for rows that cover several schools

MEASURE_COLUMNS = (
    Column("Trägerkennziffer", weight=1.4),
    Column("Schulnummer", weight=1.3),
    Column("Schule", weight=3),
    Column("Lfd. Nr.", weight=0.9),
    Column("Förderbereich", weight=2.5),
    Column("Kategorie", weight=3),
    Column("Maßnahme", weight=3),
    Column("Jahr", "year"),
    Column("Beginn", "date"),
    Column("Menge", "number"),
    Column("Einheit", weight=1),
    Column("Einzelpreis (brutto)", "money"),
    Column("Gesamtkosten (brutto)", "money"),
    Column("Förderfähig", weight=1.5),
    Column("Förderfähige Kosten", "money"),
    Column("Mobiles Endgerät (Obergrenze)", weight=1.2),
)


def _measure_row(carrier_key: str, school_number: str, school_name: str, pack: RulePack, measure: Measure,
                 line: MeasureLine) -> tuple:
    pillar = pack.pillars[line.pillar].name_de if line.pillar in pack.pillars else ""
    return (carrier_key, school_number, school_name, measure.id, pillar, line.category_name_de,
            measure.description, measure.year, measure.start, measure.quantity, measure.unit, measure.unit_price,
            line.total, eligibility(line), line.total if line.eligible else Decimal("0.00"),
            "ja" if line.mobile_device else "nein")


def measure_rows(plan: Plan, pack: RulePack, result: PlanResult, carrier_key: str = "") -> list[tuple]:
    key = carrier_key or plan.profile.carrier_key
    return [_measure_row(key, plan.profile.school_number, plan.profile.name, pack, plan.measures[line.index], line)
            for line in result.lines]


def measures_sheet(rows: list[tuple], money: MoneySplit, eligible_lines: Decimal) -> Sheet:
    totals = ("Summe", None, None, None, None, None, None, None, None, None, None, None, money.total, None,
              eligible_lines, None)
    return Sheet("Maßnahmen", Table(MEASURE_COLUMNS, rows, totals=totals))


def financing_sheet(money: MoneySplit, budget: BudgetResult, cap: CapCheck) -> Sheet:
    def known(value):
        return value if value is not None else UNKNOWN

    rows = [
        ("Gesamtkosten", money.total, None),
        ("davon förderfähig (nach Obergrenze)", money.eligible, None),
        ("davon nicht förderfähig", money.not_eligible, None),
        ("Kürzung wegen Obergrenze mobile Endgeräte", money.cap_excess, None),
        ("Zuwendung (Förderung)", known(money.funding), known(money.funding_rate)),
        ("Landesanteil", known(money.land_share), known(money.land_share_rate)),
        ("Eigenanteil an den förderfähigen Kosten", known(money.own_share_eligible), None),
        ("Eigenmittel insgesamt", known(money.own_total), None),
        ("Budget", known(budget.total), None),
        ("beantragte Zuwendung", known(budget.used), None),
        ("verbleibendes Budget", known(budget.left), None),
    ]
    if cap.applies:
        rows += [
            ("Mobile Endgeräte (förderfähig beantragt)", cap.mobile_total, None),
            ("aa) Grenze: Anteil am Investitionsvolumen", known(cap.limit_share), known(cap.carrier_share)),
            ("bb) Grenze: Summe der Beträge je Schule", known(cap.allowed_per_school), None),
            ("Zulässig für mobile Endgeräte", known(cap.allowed), None),
            ("Überschreitung der Obergrenze", cap.excess, None),
        ]
    return Sheet("Finanzierung", Table((Column("Position", weight=4), Column("Betrag", "money"),
                                        Column("Satz", "percent")), rows))


def _eligible_lines(lines: list[MeasureLine]) -> Decimal:
    # The eligible column's sum before the cap; the cap's cut is on the Finanzierung sheet.
    return sum((line.total for line in lines if line.eligible), Decimal("0.00"))


def plan_workbook(plan: Plan, pack: RulePack, result: PlanResult, issued_on) -> Workbook:
    return Workbook("Kosten- und Maßnahmenplan", plan.profile.name or plan.title, issued_on, [
        measures_sheet(measure_rows(plan, pack, result), result.money, _eligible_lines(result.lines)),
        Sheet("Kosten je Förderbereich", pillar_table(result.by_pillar, result.money, caption="")),
        Sheet("Kosten je Jahr", pillar_year_table(result.by_pillar, result.by_year, result.by_pillar_year, caption="")),
        financing_sheet(result.money, result.budget, result.mobile_cap),
        Sheet("Fortbildung", training_table(plan, result)),
    ])


def training_table(plan: Plan, result: PlanResult) -> Table:
    return Table(
        (Column("Lfd. Nr.", weight=0.9), Column("Wer"), Column("Anzahl", "int"), Column("Thema"),
         Column("Jahr", "year"), Column("Wann", weight=1.5), Column("Stunden", "number"), Column("Anbieter"),
         Column("Kosten", "money")),
        [(t.id, t.participants, t.participant_count, t.topic, t.year, t.when, t.hours, t.provider, t.cost)
         for t in plan.training.items],
        totals=("Summe", None, None, None, None, None, result.training.hours, None, result.training.cost))


def school_rows(carrier: Carrier, result: CarrierResult, summaries: dict[str, str]) -> list[tuple]:
    """One row per school; `summaries` maps school numbers to the findings summary."""
    caps = {s.school_number: s for s in result.mobile_cap.schools}
    rows = []
    for plan, school in zip(carrier.plans, result.schools):
        cap = caps.get(school.school_number)
        rows.append((school.school_number, school.school_name, plan.profile.pupils, len(school.lines),
                     school.money.total, _eligible_lines(school.lines), cap.mobile if cap else None,
                     school.budget.total if school.budget.total is not None else UNKNOWN,
                     summaries.get(school.school_number, "keine Befunde")))
    return rows


SCHOOL_COLUMNS = (Column("Schulnummer", weight=1.2), Column("Schule", weight=3), Column("Schüler", "int"),
                  Column("Maßnahmen", "int"), Column("Gesamtkosten", "money"), Column("förderfähig", "money"),
                  Column("mobile Endgeräte", "money"), Column("Budget der Schule", "money"),
                  Column("Prüfergebnis", weight=2))


def schools_table(carrier: Carrier, result: CarrierResult, summaries: dict[str, str]) -> Table:
    rows = school_rows(carrier, result, summaries)
    school_total = sum((s.money.total for s in result.schools), Decimal("0.00"))
    return Table(SCHOOL_COLUMNS, rows, totals=(
        "Summe", None, sum(p.profile.pupils for p in carrier.plans), sum(len(s.lines) for s in result.schools),
        school_total, sum((_eligible_lines(s.lines) for s in result.schools), Decimal("0.00")),
        result.mobile_cap.mobile_total, None, None))


def carrier_workbook(carrier: Carrier, pack: RulePack, result: CarrierResult, summaries: dict[str, str],
                     issued_on) -> Workbook:
    rows = [row for plan, school in zip(carrier.plans, result.schools)
            for row in measure_rows(plan, pack, school, carrier.key)]
    own = result.lines[len(rows):]  # the carrier's own measures follow the schools' lines
    rows += [_measure_row(carrier.key, SEVERAL_SCHOOLS, carrier.name, pack, carrier.measures[line.index], line)
             for line in own]
    return Workbook("Konsolidierter Kosten- und Maßnahmenplan", carrier.name, issued_on, [
        Sheet("Schulen", schools_table(carrier, result, summaries)),
        measures_sheet(rows, result.money, _eligible_lines(result.lines)),
        Sheet("Kosten je Förderbereich", pillar_table(result.by_pillar, result.money, caption="")),
        Sheet("Kosten je Jahr", pillar_year_table(result.by_pillar, result.by_year, result.by_pillar_year, caption="")),
        financing_sheet(result.money, result.budget, result.mobile_cap),
    ])
