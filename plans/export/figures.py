"""The calculator's figures as document blocks: costs per pillar and year, funding and own share,
budget, the mobile-device cap and the planning indicators. Every amount is taken from the
calculator's result as it is: nothing is recomputed here, so the documents cannot disagree with the
editor. The same helpers serve the school plan and the carrier's consolidated document.
"""

from __future__ import annotations

from decimal import Decimal

from plans.calculator import BudgetResult, Bucket, CapCheck, CarrierResult, Indicators, MoneySplit, PlanResult
from plans.export import fmt
from plans.export.document import Bars, Column, Facts, Paragraph, Section, Table
from plans.export.texts import DEVICE_KINDS

UNKNOWN = "unbekannt"
NO_YEAR = "ohne Jahr"

MONEY_COLUMNS = (Column("Gesamtkosten", "money"), Column("förderfähig", "money"),
                 Column("nicht förderfähig", "money"))


def _year(year: int | None) -> str:
    return str(year) if year is not None else NO_YEAR


def _sum(values) -> Decimal:
    return sum(values, Decimal(0))


def pillar_table(by_pillar: list[Bucket], money: MoneySplit, caption: str = "Kosten je Förderbereich") -> Table:
    """One row per pillar; the totals row is the calculator's money split (before the cap, the
    buckets add up to it; the cap excess is shown as its own row)."""
    rows = [(b.name_de, b.total, b.eligible, b.not_eligible) for b in by_pillar]
    if money.cap_excess:
        rows.append(("Kürzung wegen Obergrenze mobile Endgeräte", None, -money.cap_excess, money.cap_excess))
    return Table((Column("Förderbereich", weight=4), *MONEY_COLUMNS), rows, caption=caption,
                 totals=("Summe", money.total, money.eligible, money.not_eligible))


def year_table(by_year: list[Bucket], money: MoneySplit) -> Table:
    return Table((Column("Jahr", weight=4), *MONEY_COLUMNS),
                 [(_year(b.year), b.total, b.eligible, b.not_eligible) for b in by_year],
                 caption="Kosten je Jahr (Zeitplan)",
                 totals=("Summe", _sum(b.total for b in by_year), _sum(b.eligible for b in by_year),
                         _sum(b.not_eligible for b in by_year)))


def pillar_year_table(by_pillar: list[Bucket], by_year: list[Bucket], by_pillar_year: list[Bucket],
                      caption: str = "Gesamtkosten je Förderbereich und Jahr") -> Table:
    """The cost plan as a matrix: pillars down, years across, totals right and at the bottom."""
    years = [b.year for b in by_year]
    cells = {(b.pillar, b.year): b.total for b in by_pillar_year}
    rows = [(b.name_de, *(cells.get((b.pillar, year)) for year in years), b.total)
            for b in by_pillar if b.total or any((b.pillar, year) in cells for year in years)]
    columns = (Column("Förderbereich", weight=3.5), *(Column(_year(year), "money") for year in years),
               Column("Summe", "money"))
    return Table(columns, rows, caption=caption,
                 totals=("Summe", *(b.total for b in by_year), _sum(b.total for b in by_year)))


def money_facts(money: MoneySplit) -> Facts:
    def rate(value):
        return value if value is not None else UNKNOWN

    return Facts((
        ("Gesamtkosten", money.total, "money"),
        ("davon förderfähig", money.eligible, "money"),
        ("davon nicht förderfähig", money.not_eligible, "money"),
        ("Kürzung wegen Obergrenze mobile Endgeräte", money.cap_excess or None, "money"),
        ("Fördersatz", rate(money.funding_rate), "percent"),
        ("Zuwendung (Förderung)", rate(money.funding), "money"),
        ("Landesanteil", rate(money.land_share), "money"),
        ("Eigenanteil an den förderfähigen Kosten", rate(money.own_share_eligible), "money"),
        ("Eigenmittel insgesamt (Eigenanteil + nicht förderfähig)", rate(money.own_total), "money"),
    ))


def budget_blocks(budget: BudgetResult) -> list:
    rows = [(c.name_de, c.arithmetic, "ja" if c.reserved_for_school else "nein",
             c.amount if c.amount is not None else UNKNOWN) for c in budget.components]
    blocks: list = [Table(
        (Column("Bestandteil", weight=3.5), Column("Rechnung", weight=3), Column("für die Schule reserviert", weight=1.5),
         Column("Betrag", "money")),
        rows,
        totals=("Budget insgesamt", None, None, budget.total if budget.total is not None else UNKNOWN)),
        Facts((
            ("Budget", budget.total if budget.total is not None else UNKNOWN, "money"),
            ("beantragte Zuwendung", budget.used if budget.used is not None else UNKNOWN, "money"),
            ("verbleibendes Budget", budget.left if budget.left is not None else UNKNOWN, "money"),
        ))]
    if budget.left is not None and budget.left < 0:
        blocks.append(Paragraph(f"Die beantragte Zuwendung übersteigt das Budget um "
                                f"{fmt.money(-budget.left)}.", "warning"))
    if budget.missing_parameters:
        blocks.append(Paragraph("Für die Budgetberechnung fehlen Werte: " + ", ".join(budget.missing_parameters)
                                + ".", "warning"))
    if budget.total is not None and budget.used is not None:
        blocks.append(Bars("Budget: verwendet und verbleibend",
                           (("verwendet", budget.used), ("verbleibend", max(budget.left, Decimal(0))))))
    return blocks


CAP_BASIS = {"carrier_share": "aa) Anteil am Investitionsvolumen des Schulträgers",
             "per_school": "bb) Betrag je Schule"}


def cap_blocks(cap: CapCheck, *, per_school_table: bool) -> list:
    """The mobile-device cap (VV § 3 Abs. 1 Nr. 6 lit. c) as computed, with its warning."""
    if not cap.applies:
        return [Paragraph("Die Obergrenze für mobile Endgeräte gilt nur für allgemeinbildende Schulen; "
                          "sie ist hier nicht anzuwenden.", "note")]
    blocks: list = [Facts((
        ("Mobile Endgeräte (förderfähig beantragt)", cap.mobile_total, "money"),
        ("Förderfähiges Investitionsvolumen", cap.investment_total, "money"),
        ("aa) Anteil des Schulträgers", cap.carrier_share if cap.carrier_share is not None else UNKNOWN, "percent"),
        ("aa) Grenze", cap.limit_share if cap.limit_share is not None else UNKNOWN, "money"),
        ("bb) Betrag je Schule", cap.per_school_amount if cap.per_school_amount is not None else UNKNOWN, "money"),
        ("bb) Grenze (Summe je Schule)", cap.allowed_per_school if cap.allowed_per_school is not None else UNKNOWN,
         "money"),
        ("Zulässig (günstigere Grenze)", cap.allowed if cap.allowed is not None else UNKNOWN, "money"),
        ("Maßgebliche Grenze", CAP_BASIS.get(cap.basis, UNKNOWN), "text"),
        ("Überschreitung", cap.excess, "money"),
    ))]
    if per_school_table and cap.schools:
        blocks.append(Table(
            (Column("Schulnummer", weight=1.3), Column("Schule", weight=3), Column("Mobile Endgeräte", "money"),
             Column("Investitionsvolumen", "money"), Column("über Betrag je Schule", "money")),
            [(s.school_number, s.name, s.mobile, s.investment, s.over_per_school_amount) for s in cap.schools],
            caption="Mobile Endgeräte je Schule",
            totals=("Summe", None, cap.mobile_total, cap.investment_total,
                    _sum(s.over_per_school_amount for s in cap.schools))))
    if not cap.known:
        blocks.append(Paragraph("Die Werte der Obergrenze sind im Regelwerk nicht bekannt; bitte prüfen.", "warning"))
    elif cap.exceeded:
        blocks.append(Paragraph(
            f"Die Ausgaben für mobile Endgeräte überschreiten die Obergrenze um {fmt.money(cap.excess)}. "
            "Dieser Betrag ist nicht förderfähig.", "warning"))
    if cap.scope == "school":
        blocks.append(Paragraph("Für eine einzelne Schule ist dies eine Obergrenze; verbindlich ist die Prüfung "
                                "über alle Schulen des Schulträgers.", "note"))
    if cap.sources:
        blocks.append(Paragraph("Quelle: " + ", ".join(cap.sources), "note"))
    return blocks


def financing_section(result: PlanResult | CarrierResult, *, per_school_cap: bool) -> list[Section]:
    """Subsections of costs, financing, budget and cap for a plan or carrier result."""
    return [
        Section("Kosten je Förderbereich", [pillar_table(result.by_pillar, result.money, caption=""),
                                           Bars("Gesamtkosten je Förderbereich",
                                                tuple((b.name_de, b.total) for b in result.by_pillar if b.total))]),
        Section("Zeitplan: Kosten je Jahr", [year_table(result.by_year, result.money),
                                            pillar_year_table(result.by_pillar, result.by_year, result.by_pillar_year),
                                            Bars("Gesamtkosten je Jahr",
                                                 tuple((_year(b.year), b.total) for b in result.by_year))]),
        Section("Finanzierung", [money_facts(result.money), Paragraph("Rundung: " + result.rounding_de, "note")]),
        Section("Budget", budget_blocks(result.budget)),
        Section("Obergrenze für mobile Endgeräte", cap_blocks(result.mobile_cap, per_school_table=per_school_cap)),
    ]


def indicator_section(ind: Indicators, heading: str) -> Section:
    def rooms(now: int, target: int) -> str:
        return f"Ist {now}, Soll {target} von {ind.teaching_rooms}"

    facts = Facts((
        ("Schülerinnen und Schüler", ind.pupils, "int"),
        ("Endgeräte für Schülerinnen und Schüler", f"Ist {ind.end_devices_now}, Soll {ind.end_devices_target}",
         "text"),
        ("Schülerinnen und Schüler je Gerät (Ist)",
         ind.pupils_per_device_now if ind.pupils_per_device_now is not None else "–", "number"),
        ("Schülerinnen und Schüler je Gerät (Soll)",
         ind.pupils_per_device_target if ind.pupils_per_device_target is not None else "–", "number"),
        ("Unterrichtsräume mit Anzeigegerät", rooms(ind.rooms_with_display_now, ind.rooms_with_display_target), "text"),
        ("Unterrichtsräume mit WLAN", rooms(ind.rooms_with_wlan_now, ind.rooms_with_wlan_target), "text"),
        ("Unterrichtsräume mit Anzeigegerät und WLAN",
         rooms(ind.rooms_with_display_and_wlan_now, ind.rooms_with_display_and_wlan_target), "text"),
        ("Zu betreuende Endgeräte (Soll)", ind.devices_for_support, "int"),
        ("Technik-Personal nötig (VZÄ, 1 je 400 Geräte)",
         ind.technicians_needed if ind.technicians_needed is not None else "–", "number"),
        ("Technik-Personal geplant (VZÄ)", ind.technicians_planned, "number"),
    ))
    equipment = Table(
        (Column("Ausstattung", weight=3), Column("Ist", "int"), Column("Soll", "int")),
        [(DEVICE_KINDS[e.kind], e.now, e.target) for e in ind.equipment],
        caption="Ausstattung Ist und Soll")
    norms = Table(
        (Column("Orientierungswert", weight=4), Column("erwartet", "number"), Column("geplant", "number"),
         Column("Quelle", weight=3)),
        [(n.norm.name_de, n.expected, n.actual, n.norm.source) for n in ind.norms],
        caption="Vergleich mit Orientierungswerten (keine Rechtsvorschriften)")
    chart = Bars("Ausstattung Ist und Soll", tuple(
        (f"{DEVICE_KINDS[e.kind]} ({when})", count) for e in ind.equipment
        for when, count in (("Ist", e.now), ("Soll", e.target))), kind="int")
    return Section(heading, [facts, equipment, *([chart] if ind.equipment else []), norms])
