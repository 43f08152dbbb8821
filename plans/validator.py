"""Findings on a plan (or a carrier's plans) under its rule pack.

`validate_plan` and `validate_carrier` return a list of `Finding`s: a severity, a stable code, the
field path as in the JSON format (``measures[3].unit_price``, '' for the whole plan), a German and
an English message, and the source of the rule where a rule is behind it. They never raise for bad
content: any draft can be stored, checked, and stored again.

Severities: `error` - the plan cannot be filed like this (missing required section, negative
price, unknown category); `warning` - probably wrong or against a rule the carrier must weigh (cap
exceeded, over budget, absurd quantity, a recommended section missing); `info` - worth knowing
(not eligible, values that are unknown or approximate).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from plans.calculator import CapCheck, MoneySplit, PlanResult, calculate_carrier, calculate_plan
from plans.frameworks import FRAMEWORKS
from plans.model import SCHEMA_VERSION, Carrier, Measure, Plan, SchoolType
from plans.norms import DEVICES_PER_TECHNICIAN
from plans.rulepack import RulePack, Sourced, UnknownRulePack, ValueStatus, load_pack

# Beyond these, a value is almost certainly a typo (a warning, not an error: a very large school
# or order can exist).
MAX_PUPILS = 10_000
MAX_QUANTITY = Decimal("100000")
MAX_UNIT_PRICE = Decimal("1000000")
MAX_LINE_TOTAL = Decimal("5000000")
MAX_TRAINING_HOURS = Decimal("500")
MAX_TRAINING_COST = Decimal("100000")
MAX_FTE = Decimal("50")
# Above this the calculator's Decimal arithmetic is pointless; the value is refused as an error.
MAX_AMOUNT = Decimal("1e12")

RATE_PARAMETERS = ("funding_rate", "land_share", "own_share", "cap_carrier_share")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str  # stable, dotted: e.g. "measure.unit_price.negative"
    path: str  # field path in the plan's JSON ('' for the whole plan)
    message_de: str
    message_en: str
    source: str = ""  # the rule's source, URLs separated by " ; "
    school_number: str = ""  # in carrier findings: the school concerned


SECTION_NAMES_DE = {
    "profile": "Schulprofil", "goals": "Ziele", "inventory": "Bestandsaufnahme", "pedagogy": "Pädagogisches Konzept",
    "target": "Soll-Ausstattung", "training": "Fortbildungsplanung", "support": "Betrieb, Support und Wartung",
    "measures": "Maßnahmen, Zeit- und Kostenplan", "evaluation": "Evaluation und Fortschreibung",
}
SECTION_NAMES_EN = {
    "profile": "school profile", "goals": "goals", "inventory": "inventory", "pedagogy": "pedagogical concept",
    "target": "target equipment", "training": "training plan", "support": "support and maintenance",
    "measures": "measures, schedule and costs", "evaluation": "evaluation and update",
}


def euro_de(amount: Decimal) -> str:
    """1234.5 -> '1.234,50 €'"""
    text = f"{amount:,.2f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".") + " €"


def euro_en(amount: Decimal) -> str:
    return f"EUR {amount:,.2f}"


class _Findings:
    def __init__(self) -> None:
        self.items: list[Finding] = []

    def add(self, severity: Severity, code: str, path: str, de: str, en: str, source: str | Sourced | tuple = "") -> None:
        if isinstance(source, Sourced):
            source = source.source
        elif isinstance(source, tuple):
            source = " ; ".join(source)
        self.items.append(Finding(severity, code, path, de, en, source))

    def error(self, code, path, de, en, source=""):
        self.add(Severity.ERROR, code, path, de, en, source)

    def warning(self, code, path, de, en, source=""):
        self.add(Severity.WARNING, code, path, de, en, source)

    def info(self, code, path, de, en, source=""):
        self.add(Severity.INFO, code, path, de, en, source)

    def not_negative(self, value, path: str, code: str, what_de: str, what_en: str) -> bool:
        if value is not None and value < 0:
            self.error(f"{code}.negative", path, f"{what_de} darf nicht negativ sein.", f"{what_en} must not be negative.")
            return False
        return True


# ---------------------------------------------------------------- entry points


def validate_plan(plan: Plan, pack: RulePack | None = None, today: dt.date | None = None) -> list[Finding]:
    """Every finding on one plan; `pack` defaults to the plan's own, `today` to the current date."""
    found = _Findings()
    pack = pack or _pack(plan.programme.rule_pack_id, plan.programme.rule_pack_version, "programme", found)
    _check_plan_content(plan, pack, found)
    if pack is not None:
        result = _calculate(lambda: calculate_plan(plan, pack), found)
        if result is not None:
            _check_figures(plan, pack, result, found)
        _check_deadlines(pack, today or dt.date.today(), found)
    return found.items


def validate_carrier(carrier: Carrier, pack: RulePack | None = None, today: dt.date | None = None) -> list[Finding]:
    """Findings on every school's plan (paths prefixed ``plans[i].``), the carrier's own measures,
    and the carrier-wide rules: the binding mobile-device cap and the carrier budget."""
    found = _Findings()
    pack = pack or _pack(carrier.programme.rule_pack_id, carrier.programme.rule_pack_version, "programme", found)
    if carrier.schema_version > SCHEMA_VERSION:
        found.error("schema.newer", "schema_version", "Die Datei ist neuer als dieses Programm.", "The file is newer than this program.")
    if not carrier.name.strip():
        found.error("carrier.name.missing", "name", "Der Name des Schulträgers fehlt.", "The carrier's name is missing.")
    # The carrier's programme, deadlines and (when allocated) budget count; they are reported once below.
    skipped = ("programme.", "deadline.", "funding.") + (("budget.",) if carrier.programme.allocated_budget is not None else ())
    numbers = Counter(plan.profile.school_number for plan in carrier.plans if plan.profile.school_number)
    for index, plan in enumerate(carrier.plans):
        for finding in validate_plan(plan, pack, today) if pack else []:
            if finding.code.startswith(skipped):
                continue
            found.items.append(replace(finding, path=_join(f"plans[{index}]", finding.path), school_number=plan.profile.school_number))
        number = plan.profile.school_number
        if numbers[number] > 1:
            found.error("carrier.school.duplicate", f"plans[{index}].profile.school_number",
                        f"Die Schulnummer {number} kommt mehrfach vor.", f"School number {number} appears more than once.")
        own = plan.programme
        if pack and own.rule_pack_id and (own.rule_pack_id, own.rule_pack_version or pack.version) != (pack.id, pack.version):
            found.warning("carrier.plan.pack_mismatch", f"plans[{index}].programme.rule_pack_id",
                          f"Der Plan ist für {own.rule_pack_id} geschrieben, der Schulträger beantragt {pack.id} (Version {pack.version}).",
                          f"The plan is written for {own.rule_pack_id}; the carrier applies under {pack.id} (version {pack.version}).")
        if carrier.land and plan.profile.land and plan.profile.land != carrier.land:
            found.warning("carrier.plan.land_mismatch", f"plans[{index}].profile.land",
                          "Die Schule liegt in einem anderen Land als der Schulträger.", "The school is in another Land than the carrier.")
    if not carrier.plans:
        found.warning("carrier.plans.missing", "plans", "Der Schulträger hat noch keine Pläne von Schulen.", "The carrier has no school plans yet.")
    if pack is None:
        return found.items
    _check_programme(carrier.programme, pack, found, "programme")
    _check_measures(carrier.measures, pack, found, known_rooms=None, known_targets=None)
    if not (carrier.support.first_level.provider or carrier.support.second_level.provider or carrier.support.maintenance):
        found.warning("carrier.support.missing", "support",
                      "Das Betriebs- und Supportkonzept des Schulträgers fehlt.", "The carrier's concept for operation and support is missing.",
                      pack.required_sections)
    result = _calculate(lambda: calculate_carrier(carrier, pack), found)
    if result is not None:
        _check_cap(result.mobile_cap, found, "carrier.cap.mobile_devices", "measures", result.lines)
        _check_budget(result.budget.total, result.budget.used, result.budget.left, result.budget.missing_parameters, pack, found, "carrier.")
        _check_money(result.money, pack, found)
    _check_deadlines(pack, today or dt.date.today(), found)
    return found.items


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


# ---------------------------------------------------------------- helpers


def _join(prefix: str, path: str) -> str:
    return f"{prefix}.{path}" if path else prefix


def _pack(pack_id: str, version: str, path: str, found: _Findings) -> RulePack | None:
    if not pack_id:
        found.error("programme.missing", f"{path}.rule_pack_id", "Es ist kein Förderprogramm gewählt.", "No funding programme is chosen.")
        return None
    try:
        pack = load_pack(pack_id, version or None)
    except UnknownRulePack:
        found.error("programme.unknown", f"{path}.rule_pack_id",
                    f"Das Förderprogramm {pack_id} (Version {version or '-'}) ist unbekannt.",
                    f"The funding programme {pack_id} (version {version or '-'}) is unknown.")
        return None
    if pack.abstract:
        found.error("programme.abstract", f"{path}.rule_pack_id",
                    f"{pack_id} ist nur eine Grundlage; bitte das Programm des Landes wählen.",
                    f"{pack_id} is only a base; choose the Land's programme.")
        return None
    return pack


def _calculate(compute, found: _Findings):
    try:
        return compute()
    except ArithmeticError:
        found.error("calculation.failed", "measures", "Die Beträge sind zu groß zum Rechnen; bitte Mengen und Preise prüfen.",
                    "The amounts are too large to compute; check quantities and prices.")
        return None


# ---------------------------------------------------------------- content checks


def _section_filled(plan: Plan, section: str) -> bool:
    inventory, support = plan.inventory, plan.support
    return {
        "profile": bool(plan.profile.name.strip() and plan.profile.school_number.strip()),
        "goals": bool(plan.goals),
        "inventory": bool(inventory.devices or inventory.rooms or inventory.buildings or inventory.connectivity.kind or inventory.staff_skills.strip()),
        "pedagogy": bool(plan.pedagogy.entries),
        "target": bool(plan.target.items or plan.target.rooms),
        "training": bool(plan.training.items),
        "support": bool(support.first_level.provider.strip() or support.second_level.provider.strip() or support.maintenance.strip()
                        or support.device_management.strip() or support.first_level.staff_fte or support.second_level.staff_fte),
        "measures": bool(plan.measures),
        "evaluation": bool(plan.evaluation.criteria or plan.evaluation.update_process.strip()),
    }[section]


def _check_plan_content(plan: Plan, pack: RulePack | None, found: _Findings) -> None:
    if plan.schema_version > SCHEMA_VERSION:
        found.error("schema.newer", "schema_version", "Die Datei ist neuer als dieses Programm.", "The file is newer than this program.")
    if pack is not None:
        _check_programme(plan.programme, pack, found, "programme")
        if pack.land and plan.profile.land and plan.profile.land != pack.land:
            found.warning("programme.land_mismatch", "profile.land",
                          f"Das Förderprogramm gilt für {pack.land.value}, die Schule liegt in {plan.profile.land.value}.",
                          f"The programme is for {pack.land.value}; the school is in {plan.profile.land.value}.")
        for rule, severity, code in ((pack.required_sections, Severity.ERROR, "section.missing"),
                                     (pack.recommended_sections, Severity.WARNING, "section.recommended")):
            for section in rule.value or ():
                if not _section_filled(plan, section):
                    verb_de, verb_en = ("fehlt", "is missing") if severity is Severity.ERROR else ("fehlt (empfohlen)", "is missing (recommended)")
                    found.add(severity, code, section, f"Der Abschnitt {SECTION_NAMES_DE[section]} {verb_de}.",
                              f"The section {SECTION_NAMES_EN[section]} {verb_en}.", rule)
    _check_profile(plan, found)
    _check_goals_and_evaluation(plan, found)
    _check_inventory(plan, found)
    _check_pedagogy(plan, pack, found)
    _check_target(plan, pack, found)
    _check_training(plan, pack, found)
    _check_support(plan, found)
    if pack is not None:
        _check_measures(plan.measures, pack, found, {r.id for r in plan.profile.rooms}, {t.id for t in plan.target.items})


def _check_programme(programme, pack: RulePack, found: _Findings, path: str) -> None:
    known = pack.parameters()
    for name, value in programme.parameters.items():
        where = f"{path}.parameters.{name}"
        if name not in known:
            found.warning("programme.parameter.unknown", where, f"Der Wert {name} wird von {pack.id} nicht verwendet.",
                          f"{pack.id} does not use the value {name}.")
        elif value < 0:
            found.error("programme.parameter.negative", where, f"{name} darf nicht negativ sein.", f"{name} must not be negative.")
        elif (name in RATE_PARAMETERS or name.startswith("eligible_")) and value > 1:
            found.error("programme.parameter.share", where, f"{name} ist ein Anteil zwischen 0 und 1.", f"{name} is a share between 0 and 1.")
        elif name.startswith("eligible_") and value not in (0, 1):
            found.error("programme.parameter.flag", where, f"{name} ist 1 (förderfähig) oder 0 (nicht förderfähig).",
                        f"{name} is 1 (eligible) or 0 (not eligible).")
    if programme.allocated_budget is not None and programme.allocated_budget < 0:
        found.error("programme.allocated_budget.negative", f"{path}.allocated_budget", "Das Budget darf nicht negativ sein.",
                    "The budget must not be negative.")
    for name, value in known.items():
        if name in programme.parameters:
            continue
        if value.status is ValueStatus.APPROXIMATE:
            found.info("programme.value.approximate", f"{path}.parameters.{name}",
                       f"{name}: Die Quelle nennt nur einen ungefähren Wert ({value.value}); bitte den genauen Wert eintragen.",
                       f"{name}: the source gives only an approximate value ({value.value}); enter the exact one.", value)


def _check_profile(plan: Plan, found: _Findings) -> None:
    profile = plan.profile
    if not profile.school_number.strip():
        found.error("profile.school_number.missing", "profile.school_number", "Die Schulnummer fehlt.", "The school number is missing.")
    if not profile.name.strip():
        found.error("profile.name.missing", "profile.name", "Der Name der Schule fehlt.", "The school's name is missing.")
    if profile.school_type is SchoolType.OTHER:
        found.warning("profile.school_type.other", "profile.school_type",
                      "Bitte die Schulform wählen: Sie bestimmt Obergrenzen und Gewichte.",
                      "Choose the school type: caps and weights depend on it.")
    if profile.land is None:
        found.warning("profile.land.missing", "profile.land", "Das Land fehlt.", "The Land is missing.")
    for name, de, en in (("pupils", "Die Schülerzahl", "The number of pupils"), ("classes", "Die Klassenzahl", "The number of classes"),
                         ("teachers", "Die Zahl der Lehrkräfte", "The number of teachers"),
                         ("pupils_part_time", "Die Zahl der Teilzeitschüler:innen", "The number of part-time pupils")):
        found.not_negative(getattr(profile, name), f"profile.{name}", f"profile.{name}", de, en)
    if profile.pupils == 0:
        found.warning("profile.pupils.missing", "profile.pupils", "Die Schülerzahl fehlt; Budget und Kennzahlen brauchen sie.",
                      "The number of pupils is missing; the budget and indicators need it.")
    elif profile.pupils > MAX_PUPILS:
        found.warning("profile.pupils.absurd", "profile.pupils", f"Mehr als {MAX_PUPILS} Schüler:innen: bitte prüfen.",
                      f"More than {MAX_PUPILS} pupils: please check.")
    if profile.pupils_part_time > max(profile.pupils, 0):
        found.error("profile.pupils_part_time.too_many", "profile.pupils_part_time",
                    "Es gibt mehr Teilzeitschüler:innen als Schüler:innen insgesamt.", "There are more part-time pupils than pupils in total.")
    elif profile.pupils_part_time and profile.school_type is not SchoolType.BERUFSBILDEND:
        found.warning("profile.pupils_part_time.not_vocational", "profile.pupils_part_time",
                      "Teilzeitschüler:innen gibt es nur an berufsbildenden Schulen.", "Only vocational schools have part-time pupils.")
    _check_ids([b.id for b in profile.buildings], "profile.buildings", "building", found)
    _check_ids([r.id for r in profile.rooms], "profile.rooms", "room", found)
    buildings = {b.id for b in profile.buildings}
    for index, room in enumerate(profile.rooms):
        if buildings and room.building_id and room.building_id not in buildings:
            found.warning("room.building.unknown", f"profile.rooms[{index}].building_id",
                          f"Gebäude {room.building_id} ist nicht erfasst.", f"Building {room.building_id} is not listed.")


def _check_ids(ids: list[str], path: str, what: str, found: _Findings) -> None:
    seen: set[str] = set()
    for index, item_id in enumerate(ids):
        if not item_id.strip():
            found.error(f"{what}.id.missing", f"{path}[{index}].id", "Die Kennung fehlt.", "The id is missing.")
        elif item_id in seen:
            found.error(f"{what}.id.duplicate", f"{path}[{index}].id", f"Die Kennung {item_id} kommt mehrfach vor.",
                        f"The id {item_id} appears more than once.")
        seen.add(item_id)


def _check_room_ref(room_id: str, rooms: set[str] | None, path: str, found: _Findings) -> None:
    if room_id and rooms is not None and room_id not in rooms:
        found.warning("room.unknown", path, f"Raum {room_id} ist im Schulprofil nicht erfasst.", f"Room {room_id} is not listed in the profile.")


def _check_goals_and_evaluation(plan: Plan, found: _Findings) -> None:
    for index, goal in enumerate(plan.goals):
        if not goal.text.strip():
            found.warning("goal.text.missing", f"goals[{index}].text", "Das Ziel ist leer.", "The goal is empty.")
        elif not goal.indicator.strip():
            found.info("goal.indicator.missing", f"goals[{index}].indicator", "Woran wird das Erreichen des Ziels geprüft?",
                       "How is reaching the goal checked?")
    evaluation = plan.evaluation
    for index, criterion in enumerate(evaluation.criteria):
        if not criterion.indicator.strip():
            found.warning("evaluation.indicator.missing", f"evaluation.criteria[{index}].indicator", "Der Indikator fehlt.", "The indicator is missing.")
    if evaluation.horizon_years is not None and not 1 <= evaluation.horizon_years <= 10:
        found.warning("evaluation.horizon.absurd", "evaluation.horizon_years", "Der Planungshorizont sollte 1 bis 10 Jahre sein (NRW empfiehlt etwa 5).",
                      "The planning horizon should be 1 to 10 years (NRW suggests about 5).")


def _check_inventory(plan: Plan, found: _Findings) -> None:
    inventory = plan.inventory
    rooms = {r.id for r in plan.profile.rooms} if plan.profile.rooms else None
    for name in ("bandwidth_down_mbit", "bandwidth_up_mbit"):
        found.not_negative(getattr(inventory.connectivity, name), f"inventory.connectivity.{name}", "inventory.bandwidth", "Die Bandbreite", "The bandwidth")
    for index, room in enumerate(inventory.rooms):
        path = f"inventory.rooms[{index}]"
        _check_room_ref(room.room_id, rooms, f"{path}.room_id", found)
        found.not_negative(room.lan_ports, f"{path}.lan_ports", "inventory.lan_ports", "Die Zahl der Netzwerkdosen", "The number of network ports")
        found.not_negative(room.access_points, f"{path}.access_points", "inventory.access_points", "Die Zahl der Access Points", "The number of access points")
    for index, stock in enumerate(inventory.devices):
        path = f"inventory.devices[{index}]"
        _check_room_ref(stock.room_id, rooms, f"{path}.room_id", found)
        if found.not_negative(stock.count, f"{path}.count", "inventory.count", "Die Anzahl", "The count") and stock.count > MAX_QUANTITY:
            found.warning("inventory.count.absurd", f"{path}.count", "Sehr große Anzahl: bitte prüfen.", "A very large count: please check.")


def _check_pedagogy(plan: Plan, pack: RulePack | None, found: _Findings) -> None:
    pedagogy = plan.pedagogy
    framework = FRAMEWORKS[pedagogy.framework]
    if pack is not None and pack.framework.value and pack.framework.value is not pedagogy.framework:
        expected = FRAMEWORKS[pack.framework.value]
        found.warning("pedagogy.framework.mismatch", "pedagogy.framework",
                      f"{pack.name_de} erwartet {expected.name_de}.", f"{pack.name_en} expects {expected.name_en}.", pack.framework)
    covered = set()
    for index, entry in enumerate(pedagogy.entries):
        path = f"pedagogy.entries[{index}]"
        if not entry.subject.strip():
            found.warning("pedagogy.subject.missing", f"{path}.subject", "Das Fach fehlt.", "The subject is missing.")
        if not entry.grade_levels:
            found.warning("pedagogy.grade_levels.missing", f"{path}.grade_levels", "Die Jahrgangsstufen fehlen.", "The grade levels are missing.")
        for position, grade in enumerate(entry.grade_levels):
            if not 1 <= grade <= 13:
                found.error("pedagogy.grade_level.invalid", f"{path}.grade_levels[{position}]",
                            f"Jahrgangsstufe {grade} gibt es nicht (1 bis 13).", f"Grade level {grade} does not exist (1 to 13).")
        if not entry.competence.strip():
            found.warning("pedagogy.competence.missing", f"{path}.competence", "Der Kompetenzbereich fehlt.", "The competence area is missing.")
        elif not framework.knows(entry.competence):
            found.error("pedagogy.competence.unknown", f"{path}.competence",
                        f"{entry.competence} ist kein Bereich von {framework.name_de}.", f"{entry.competence} is not an area of {framework.name_en}.",
                        framework.source)
        elif framework.areas:
            covered.add(framework.area(entry.competence).code)
    if pedagogy.entries:
        for area in framework.areas:
            if area.code not in covered:
                found.info("pedagogy.area.uncovered", "pedagogy.entries", f"Kein Fach bearbeitet den Bereich {area.name_de}.",
                           f"No subject works on the area {area.name_en}.", framework.source)


def _check_target(plan: Plan, pack: RulePack | None, found: _Findings) -> None:
    rooms = {r.id for r in plan.profile.rooms} if plan.profile.rooms else None
    reason_required = pack is not None and "target" in (pack.required_sections.value or ())
    _check_ids([item.id for item in plan.target.items], "target.items", "target", found)
    for index, item in enumerate(plan.target.items):
        path = f"target.items[{index}]"
        _check_room_ref(item.room_id, rooms, f"{path}.room_id", found)
        if found.not_negative(item.quantity, f"{path}.quantity", "target.quantity", "Die Menge", "The quantity"):
            if item.quantity == 0:
                found.warning("target.quantity.zero", f"{path}.quantity", "Die Menge ist 0.", "The quantity is 0.")
            elif item.quantity > MAX_QUANTITY:
                found.warning("target.quantity.absurd", f"{path}.quantity", "Sehr große Menge: bitte prüfen.", "A very large quantity: please check.")
        if not item.pedagogical_reason.strip():
            found.add(Severity.ERROR if reason_required else Severity.WARNING, "target.reason.missing", f"{path}.pedagogical_reason",
                      "Die pädagogische Begründung fehlt.", "The pedagogical reason is missing.",
                      pack.required_sections if reason_required else "")
    for index, room in enumerate(plan.target.rooms):
        _check_room_ref(room.room_id, rooms, f"target.rooms[{index}].room_id", found)


def _year_range(pack: RulePack) -> tuple[int, int] | None:
    start = pack.early_start.value or pack.period_start.value
    end = pack.period_end.value
    return (start.year, end.year) if start and end else None


def _check_training(plan: Plan, pack: RulePack | None, found: _Findings) -> None:
    years = _year_range(pack) if pack else None
    for index, item in enumerate(plan.training.items):
        path = f"training.items[{index}]"
        if not item.topic.strip():
            found.warning("training.topic.missing", f"{path}.topic", "Das Thema fehlt.", "The topic is missing.")
        if not item.participants.strip():
            found.warning("training.participants.missing", f"{path}.participants", "Wer nimmt teil?", "Who takes part?")
        if item.year is None and not item.when.strip():
            found.warning("training.when.missing", f"{path}.year", "Wann findet die Fortbildung statt?", "When does the training take place?")
        found.not_negative(item.participant_count, f"{path}.participant_count", "training.participant_count", "Die Teilnehmerzahl", "The number of participants")
        if found.not_negative(item.hours, f"{path}.hours", "training.hours", "Die Stundenzahl", "The hours") and item.hours > MAX_TRAINING_HOURS:
            found.warning("training.hours.absurd", f"{path}.hours", "Sehr viele Stunden: bitte prüfen.", "Very many hours: please check.")
        if found.not_negative(item.cost, f"{path}.cost", "training.cost", "Die Kosten", "The cost") and item.cost > MAX_TRAINING_COST:
            found.warning("training.cost.absurd", f"{path}.cost", "Sehr hohe Kosten: bitte prüfen.", "A very high cost: please check.")
        if years and item.year is not None and not years[0] <= item.year <= years[1]:
            found.warning("training.year.outside_period", f"{path}.year", f"Das Jahr liegt außerhalb der Laufzeit {years[0]}–{years[1]}.",
                          f"The year is outside the programme's term {years[0]}–{years[1]}.")


def _check_support(plan: Plan, found: _Findings) -> None:
    support = plan.support
    filled = _section_filled(plan, "support")  # an empty section is reported as a whole, not field by field
    for level in ("first_level", "second_level"):
        path = f"support.{level}"
        item = getattr(support, level)
        if found.not_negative(item.staff_fte, f"{path}.staff_fte", "support.staff_fte", "Die Stellenanteile", "The FTE") and item.staff_fte > MAX_FTE:
            found.warning("support.staff_fte.absurd", f"{path}.staff_fte", "Sehr viele Stellen: bitte prüfen.", "Very many FTE: please check.")
        if filled and not item.provider.strip():
            label_de, label_en = ("First-Level-Support", "first-level support") if level == "first_level" else ("Second-Level-Support", "second-level support")
            found.warning(f"support.{level}.provider.missing", f"{path}.provider", f"Wer leistet den {label_de}?", f"Who provides {label_en}?")
    if support.replacement_cycle_years is not None and not 1 <= support.replacement_cycle_years <= 15:
        found.warning("support.replacement_cycle.absurd", "support.replacement_cycle_years", "Der Ersatzzyklus sollte 1 bis 15 Jahre sein.",
                      "The replacement cycle should be 1 to 15 years.")


def _check_measures(measures: list[Measure], pack: RulePack, found: _Findings, known_rooms: set[str] | None, known_targets: set[str] | None) -> None:
    years = _year_range(pack)
    ids = Counter(m.id for m in measures if m.id)
    by_id = {m.id: m for m in measures if m.id}
    categories = ", ".join(pack.categories)
    for index, measure in enumerate(measures):
        path = f"measures[{index}]"
        if measure.id and ids[measure.id] > 1:
            found.error("measure.id.duplicate", f"{path}.id", f"Die Kennung {measure.id} kommt mehrfach vor.", f"The id {measure.id} appears more than once.")
        if not measure.description.strip():
            found.warning("measure.description.missing", f"{path}.description", "Die Beschreibung fehlt.", "The description is missing.")
        if measure.year is None:
            found.error("measure.year.missing", f"{path}.year", "Das Jahr fehlt (Zeitplan).", "The year is missing (schedule).")
        elif years and not years[0] <= measure.year <= years[1]:
            found.warning("measure.year.outside_period", f"{path}.year", f"Das Jahr liegt außerhalb der Laufzeit {years[0]}–{years[1]}.",
                          f"The year is outside the programme's term {years[0]}–{years[1]}.", pack.period_end)
        if measure.start and years and not years[0] <= measure.start.year <= years[1]:
            found.warning("measure.start.outside_period", f"{path}.start", "Der Beginn liegt außerhalb der Laufzeit.",
                          "The start is outside the programme's term.", pack.period_end)
        _check_amounts(measure, path, found)
        for name in pack.required_measure_fields.value or ():
            if getattr(measure, name) in (None, ""):
                found.error(f"measure.{name}.missing", f"{path}.{name}", f"{pack.name_de} verlangt für jede Maßnahme: {name}.",
                            f"{pack.name_en} requires for every measure: {name}.", pack.required_measure_fields)
        _check_room_ref(measure.room_id, known_rooms, f"{path}.room_id", found)
        if measure.target_item_id and known_targets is not None and measure.target_item_id not in known_targets:
            found.warning("measure.target_item.unknown", f"{path}.target_item_id", f"Soll-Ausstattung {measure.target_item_id} gibt es nicht.",
                          f"Target item {measure.target_item_id} does not exist.")
        if not measure.category.strip():
            found.error("measure.category.missing", f"{path}.category", "Die Förderkategorie fehlt.", "The funding category is missing.")
            continue
        category = pack.category(measure.category)
        if category is None:
            found.error("measure.category.unknown", f"{path}.category", f"Unbekannte Kategorie {measure.category}; erlaubt: {categories}.",
                        f"Unknown category {measure.category}; allowed: {categories}.")
            continue
        if category.eligible.status is ValueStatus.UNKNOWN:
            found.warning("measure.eligibility_unknown", f"{path}.category",
                          f"Ob {category.name_de} förderfähig ist, ist nicht bekannt; die Kosten zählen als nicht förderfähig.",
                          f"Whether {category.name_en} is eligible is not known; the costs count as not eligible.", category.eligible)
        elif category.eligible.value is False:
            found.info("measure.not_eligible", f"{path}.category", f"{category.name_de} ist nicht förderfähig; der Schulträger trägt die Kosten.",
                       f"{category.name_en} is not eligible; the carrier pays.", category.eligible)
        if category.condition_de and not category.requires_link:  # linked costs get the link checks below
            found.info("measure.condition", f"{path}.category", category.condition_de, category.condition_en, category.eligible)
        if category.requires_link:
            linked = by_id.get(measure.linked_measure_id)
            if not measure.linked_measure_id:
                found.warning("measure.link.missing", f"{path}.linked_measure_id",
                              "Begleitkosten sind nur mit einer verknüpften Investition förderfähig.",
                              "Accompanying costs are eligible only when linked to an investment.", category.eligible)
            elif linked is None:
                found.error("measure.link.unknown", f"{path}.linked_measure_id", f"Maßnahme {measure.linked_measure_id} gibt es nicht.",
                            f"Measure {measure.linked_measure_id} does not exist.")
            else:
                linked_category = pack.category(linked.category)
                if linked_category is None or linked_category.requires_link or linked_category.eligible.value is not True:
                    found.warning("measure.link.not_eligible", f"{path}.linked_measure_id",
                                  "Die verknüpfte Maßnahme ist keine förderfähige Investition.", "The linked measure is not an eligible investment.",
                                  category.eligible)


def _check_amounts(measure: Measure, path: str, found: _Findings) -> None:
    for name, de, en, maximum in (("quantity", "Die Menge", "The quantity", MAX_QUANTITY),
                                  ("unit_price", "Der Einzelpreis", "The unit price", MAX_UNIT_PRICE)):
        value = getattr(measure, name)
        where = f"{path}.{name}"
        if value < 0:
            found.error(f"measure.{name}.negative", where, f"{de} darf nicht negativ sein.", f"{en} must not be negative.")
        elif value == 0:
            found.warning(f"measure.{name}.zero", where, f"{de} ist 0.", f"{en} is 0.")
        elif value > MAX_AMOUNT:
            found.error(f"measure.{name}.too_large", where, f"{de} ist unmöglich groß.", f"{en} is impossibly large.")
        elif value > maximum:
            found.warning(f"measure.{name}.absurd", where, f"{de} ist ungewöhnlich hoch: bitte prüfen.", f"{en} is unusually high: please check.")
    if abs(measure.quantity) <= MAX_AMOUNT and abs(measure.unit_price) <= MAX_AMOUNT and measure.quantity * measure.unit_price > MAX_LINE_TOTAL:
        found.warning("measure.total.absurd", path, "Die Summe der Maßnahme ist ungewöhnlich hoch: bitte prüfen.",
                      "The measure's total is unusually high: please check.")


# ---------------------------------------------------------------- figure checks


def _check_figures(plan: Plan, pack: RulePack, result: PlanResult, found: _Findings) -> None:
    _check_cap(result.mobile_cap, found, "cap.mobile_devices", "measures", result.lines)
    budget = result.budget
    _check_budget(budget.total, budget.used, budget.left, budget.missing_parameters, pack, found, "")
    _check_money(result.money, pack, found)
    needed = result.indicators.technicians_needed
    planned = result.indicators.technicians_planned
    if needed and planned < needed:
        found.warning("support.staff_below_norm", "support.second_level.staff_fte",
                      f"Für {result.indicators.devices_for_support} Geräte sind nach der Faustregel 1 Stelle je 400 Geräte "
                      f"{needed} Stellen nötig; geplant sind {planned}.",
                      f"By the rule of thumb of 1 technician per 400 devices, {result.indicators.devices_for_support} devices need "
                      f"{needed} FTE; {planned} are planned.", DEVICES_PER_TECHNICIAN.source)


def _check_cap(cap: CapCheck, found: _Findings, code: str, path: str, lines) -> None:
    if not cap.applies or not any(line.mobile_device for line in lines):
        return
    if not cap.known:
        found.info(f"{code}.unknown", path, "Ob eine Obergrenze für mobile Endgeräte gilt, ist für dieses Programm nicht bekannt.",
                   "Whether a cap on mobile devices applies is not known for this programme.", cap.sources)
        return
    if not cap.exceeded:
        return
    scope_de = ("Sicht der einzelnen Schule; verbindlich ist die Prüfung über alle allgemeinbildenden Schulen des Schulträgers"
                if cap.scope == "school" else "über alle allgemeinbildenden Schulen des Schulträgers")
    scope_en = ("this school's view; the check across all the carrier's general schools is binding"
                if cap.scope == "school" else "across all the carrier's general schools")
    found.warning(
        f"{code}.exceeded", path,
        f"Mobile Endgeräte ({euro_de(cap.mobile_total)}) überschreiten die Obergrenze von {euro_de(cap.allowed)} "
        f"(20 % von {euro_de(cap.investment_total)} = {euro_de(cap.limit_share)} oder 25.000 € je Schule = "
        f"{euro_de(cap.allowed_per_school)}, der günstigere Wert); {euro_de(cap.excess)} sind nicht förderfähig ({scope_de}).",
        f"Mobile devices ({euro_en(cap.mobile_total)}) exceed the cap of {euro_en(cap.allowed)} "
        f"(20% of {euro_en(cap.investment_total)} = {euro_en(cap.limit_share)}, or EUR 25,000 per school = "
        f"{euro_en(cap.allowed_per_school)}, whichever is higher); {euro_en(cap.excess)} is not eligible ({scope_en}).",
        cap.sources)
    for school in cap.schools:
        if cap.scope == "carrier" and school.over_per_school_amount > 0:
            found.items.append(Finding(
                Severity.INFO, f"{code}.school_over_per_school_amount", path,
                f"{school.name or school.school_number}: {euro_de(school.over_per_school_amount)} über 25.000 € je Schule.",
                f"{school.name or school.school_number}: {euro_en(school.over_per_school_amount)} above EUR 25,000 per school.",
                " ; ".join(cap.sources), school.school_number))


def _check_budget(total, used, left, missing: list[str], pack: RulePack, found: _Findings, prefix: str) -> None:
    if total is None:
        names = ", ".join(missing) or "allocated_budget"
        found.info(f"{prefix}budget.unknown", "programme.parameters" if missing and missing != ["allocated_budget"] else "programme.allocated_budget",
                   f"Das Budget lässt sich nicht berechnen; es fehlt: {names}.", f"The budget cannot be computed; missing: {names}.",
                   pack.budget.sources)
    elif left is not None and left < 0:
        found.warning(f"{prefix}budget.exceeded", "measures",
                      f"Die beantragte Förderung ({euro_de(used)}) übersteigt das Budget ({euro_de(total)}) um {euro_de(-left)}.",
                      f"The funding asked for ({euro_en(used)}) exceeds the budget ({euro_en(total)}) by {euro_en(-left)}.",
                      pack.budget.sources)


def _check_money(money: MoneySplit, pack: RulePack, found: _Findings) -> None:
    if money.funding is None and money.eligible:
        found.info("funding.rate_unknown", "programme.parameters.funding_rate",
                   "Der Fördersatz ist für dieses Programm nicht bekannt; Förderung und Eigenanteil bleiben offen.",
                   "The funding rate is not known for this programme; funding and own share stay open.", pack.funding.funding_rate)


def _check_deadlines(pack: RulePack, today: dt.date, found: _Findings) -> None:
    for deadline in pack.deadlines.values():
        date = deadline.date.value
        if date and date < today:
            found.info("deadline.passed", "programme.rule_pack_id",
                       f"{deadline.name_de}: {date:%d.%m.%Y} ist vorbei.", f"{deadline.name_en}: {date.isoformat()} has passed.", deadline.date)
