"""Figures of a plan or a carrier's consolidated plan under a rule pack.

`calculate_plan(plan)` and `calculate_carrier(carrier)` return plain dataclasses (`PlanResult`,
`CarrierResult`) that the editor and the exports render as they are.

Money is `Decimal` throughout. Rounding (stated in every result as `ROUNDING_EN`/`ROUNDING_DE`):
  1. each measure line: quantity x unit price, rounded to cents (ROUND_HALF_UP);
  2. sums of line totals are exact (no further rounding);
  3. shares of a sum (funding, Land share, the 20% cap limit, per-pupil budgets) are rounded to
     cents (ROUND_HALF_UP) once, on the total they apply to; the carrier's own share of eligible
     costs is the remainder (eligible - funding - Land share), so the parts add up exactly;
  4. ratios for indicators (pupils per device, FTE) are rounded half up to two decimals.

Eligibility: a line is eligible when its category is eligible in the pack (or by a plan
parameter ``eligible_<category>`` = 1 / 0 where the pack allows it). Unknown categories and
categories whose eligibility is unknown count as not eligible and are listed in
`eligibility_unknown`, so that nothing unknown is funded silently. Accompanying costs
(``requires_link``) are eligible only when linked to an eligible investment of the same plan.

Mobile-device cap (VV § 3 Abs. 1 Nr. 6 lit. c; general schools only): mobile-device spending
may exceed neither aa) 20% of the eligible investment volume of all general schools of a carrier,
nor bb) EUR 25,000 per school, whichever is more favourable; under bb) amounts are not moved
between schools. So the fundable mobile amount is the larger of
  aa) min(M, 20% of V)  and  bb) sum over schools of min(m_i, 25,000)
with M = sum of m_i the schools' eligible mobile-device costs and V their eligible investment
volume (mobile devices included, the carrier's regional measures not). The excess is moved from
eligible to not eligible. For a single school plan the same rule is applied to the school alone:
an upper bound, since the carrier's choice of aa) or bb) counts for all its schools; the carrier
result is binding.

Buckets (per pillar, per year, per pillar and year) sum the lines as they are, before the cap:
the cap excess is a carrier-wide amount that belongs to no single line; `MoneySplit.cap_excess`
shows it next to them.

Absurd amounts (beyond about 10^26) make Decimal rounding raise ArithmeticError; the validator
reports them as findings instead (code calculation.failed).

Budget: compared with the grant (funding), which is what the Länder allocate. An
`allocated_budget` on the programme replaces the pack's formula.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from plans import norms
from plans.model import Carrier, DeviceKind, DeviceUser, DisplayKind, FundingProgramme, Plan, RoomEquipment, SchoolProfile, SchoolType
from plans.rulepack import BudgetFormula, Category, RulePack, Sourced, load_pack

CENT = Decimal("0.01")
ZERO = Decimal("0")

ROUNDING_EN = (
    "Line totals (quantity x unit price) are rounded to cents, half up; sums are exact; funding, "
    "Land share, cap limits and per-pupil budgets are rounded to cents, half up, once on the total "
    "they apply to; the own share is the remainder. Ratios are rounded half up to two decimals."
)
ROUNDING_DE = (
    "Zeilensummen (Menge x Einzelpreis) werden kaufmännisch auf Cent gerundet; Summen sind exakt; "
    "Förderung, Landesanteil, Obergrenzen und Pro-Kopf-Budgets werden einmal auf die jeweilige "
    "Gesamtsumme kaufmännisch auf Cent gerundet; der Eigenanteil ist der Rest. Verhältniszahlen "
    "werden kaufmännisch auf zwei Nachkommastellen gerundet."
)

NO_PILLAR = ""  # bucket key of lines outside every pillar (not eligible)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(CENT, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- result types


@dataclass
class MeasureLine:
    index: int  # position in plan.measures (or carrier.measures for regional lines)
    measure_id: str
    school_number: str  # empty for the carrier's own measures
    year: int | None
    category: str
    category_name_de: str
    category_name_en: str
    pillar: str  # NO_PILLAR when outside every pillar
    total: Decimal
    eligible: bool
    eligibility_known: bool
    mobile_device: bool
    reason: str = ""  # why not eligible: unknown_category, not_eligible, eligibility_unknown, link_missing


@dataclass
class Bucket:
    """Costs of one pillar, one year, or one pillar in one year."""

    pillar: str | None  # None in year buckets
    year: int | None  # None in pillar buckets, or for lines without a year
    name_de: str
    name_en: str
    total: Decimal = ZERO
    eligible: Decimal = ZERO
    not_eligible: Decimal = ZERO


@dataclass
class MoneySplit:
    """Who pays the costs. None where the pack's share is unknown and no parameter gives it."""

    total: Decimal
    eligible: Decimal  # after the mobile-device cap
    not_eligible: Decimal  # including the cap excess
    cap_excess: Decimal
    funding_rate: Decimal | None
    land_share_rate: Decimal | None
    funding: Decimal | None  # the grant
    land_share: Decimal | None
    own_share_eligible: Decimal | None  # carrier's share of eligible costs
    own_total: Decimal | None  # own share + not eligible costs
    sources: tuple[str, ...] = ()


@dataclass
class BudgetComponent:
    id: str  # sockel, per_pupil, allocated
    name_de: str
    name_en: str
    amount: Decimal | None
    arithmetic: str  # how it was computed, e.g. "400 x 1.0 x 123.45"
    reserved_for_school: bool
    sources: tuple[str, ...] = ()


@dataclass
class BudgetResult:
    formula: str
    components: list[BudgetComponent]
    total: Decimal | None  # None when a needed value is unknown
    used: Decimal | None  # the grant the plan asks for
    left: Decimal | None  # total - used; negative when over budget
    missing_parameters: list[str] = field(default_factory=list)
    note: str = ""
    parameters_used: list[str] = field(default_factory=list)  # values taken from the plan, not the pack


@dataclass
class SchoolCap:
    school_number: str
    name: str
    mobile: Decimal  # eligible mobile-device costs
    investment: Decimal  # eligible investment volume
    over_per_school_amount: Decimal  # mobile above the per-school amount (bb)


@dataclass
class CapCheck:
    applies: bool  # False for vocational-only scopes
    known: bool  # the pack's cap values are known (or given as parameters)
    mobile_total: Decimal  # M
    investment_total: Decimal  # V
    carrier_share: Decimal | None
    per_school_amount: Decimal | None
    limit_share: Decimal | None  # aa) 20% of V
    allowed_share: Decimal | None  # min(M, aa)
    allowed_per_school: Decimal | None  # bb) sum of min(m_i, 25,000)
    allowed: Decimal | None  # the more favourable
    basis: str  # "carrier_share" (aa), "per_school" (bb) or "" when not known/applicable
    excess: Decimal  # M - allowed (never negative)
    scope: str  # "school" (an upper bound) or "carrier" (binding)
    schools: list[SchoolCap] = field(default_factory=list)
    sources: tuple[str, ...] = ()

    @property
    def exceeded(self) -> bool:
        return self.excess > 0


@dataclass
class NormComparison:
    norm: norms.Norm
    expected: Decimal | None  # what the norm asks for this school
    actual: Decimal | None  # what the plan has


@dataclass
class EquipmentCount:
    kind: DeviceKind
    now: int
    target: int


@dataclass
class Indicators:
    pupils: int
    end_devices_now: int  # desktops, laptops, tablets for pupils or shared
    end_devices_target: int
    pupils_per_device_now: Decimal | None
    pupils_per_device_target: Decimal | None
    teaching_rooms: int
    rooms_with_display_now: int
    rooms_with_wlan_now: int
    rooms_with_display_and_wlan_now: int
    rooms_with_display_target: int
    rooms_with_wlan_target: int
    rooms_with_display_and_wlan_target: int
    devices_for_support: int  # all end devices of the target state (teachers' included)
    technicians_needed: Decimal | None  # devices / 400
    technicians_planned: Decimal  # first + second level FTE
    equipment: list[EquipmentCount]
    norms: list[NormComparison]


@dataclass
class TrainingTotals:
    items: int
    hours: Decimal  # sum of course hours
    participant_hours: Decimal  # hours x participants
    cost: Decimal
    cost_by_year: dict[int | None, Decimal]


@dataclass
class PlanResult:
    plan_id: str
    school_number: str
    school_name: str
    rule_pack_id: str
    rule_pack_version: str
    lines: list[MeasureLine]
    by_pillar: list[Bucket]
    by_year: list[Bucket]
    by_pillar_year: list[Bucket]
    money: MoneySplit
    budget: BudgetResult
    mobile_cap: CapCheck
    training: TrainingTotals
    indicators: Indicators
    eligibility_unknown: list[str]  # categories counted as not eligible because nobody knows
    parameters_used: list[str] = field(default_factory=list)  # plan parameters that replaced pack values
    rounding_en: str = ROUNDING_EN
    rounding_de: str = ROUNDING_DE


@dataclass
class CarrierResult:
    carrier_key: str
    carrier_name: str
    rule_pack_id: str
    rule_pack_version: str
    schools: list[PlanResult]  # computed under the carrier's pack and parameters
    lines: list[MeasureLine]  # every line: the schools' and the carrier's own
    by_pillar: list[Bucket]
    by_year: list[Bucket]
    by_pillar_year: list[Bucket]
    money: MoneySplit
    budget: BudgetResult
    mobile_cap: CapCheck  # the binding, carrier-wide check
    eligibility_unknown: list[str]
    parameters_used: list[str] = field(default_factory=list)
    rounding_en: str = ROUNDING_EN
    rounding_de: str = ROUNDING_DE


# ---------------------------------------------------------------- parameters


class _Values:
    """Resolves a pack value: the plan's parameter wins, else the pack's value (maybe None)."""

    def __init__(self, parameters: Mapping[str, Decimal]):
        self.parameters = parameters
        self.used: set[str] = set()  # parameters that supplied a value, for the result

    def get(self, value: Sourced) -> object | None:
        if value.parameter and value.parameter in self.parameters:
            self.used.add(value.parameter)
            return self.parameters[value.parameter]
        return value.value

    def eligible(self, category: Category) -> bool | None:
        given = self.get(category.eligible)
        if isinstance(given, Decimal):
            return given != 0
        return given


def pack_for(programme: FundingProgramme) -> RulePack:
    """The rule pack a programme names (raises plans.rulepack.UnknownRulePack)."""
    return load_pack(programme.rule_pack_id, programme.rule_pack_version or None)


# ---------------------------------------------------------------- lines and buckets


def _lines(measures, pack: RulePack, values: _Values, school_number: str) -> list[MeasureLine]:
    resolved: dict[str, tuple[Category | None, bool, bool, str]] = {}  # by category id: computed once

    def base(measure) -> tuple[Category | None, bool, bool, str]:
        """(category, eligible, eligibility known, reason) before looking at links."""
        if measure.category not in resolved:
            category = pack.category(measure.category)
            eligible = values.eligible(category) if category is not None else None
            if category is None:
                resolved[measure.category] = (None, False, False, "unknown_category")
            elif eligible is None:
                resolved[measure.category] = (category, False, False, "eligibility_unknown")
            else:
                resolved[measure.category] = (category, eligible, True, "" if eligible else "not_eligible")
        return resolved[measure.category]

    own: dict[str, tuple[bool, str]] = {}  # measure id -> (an eligible investment, its pillar)
    for measure in measures:
        category, eligible, _, _ = base(measure)
        if measure.id and category is not None:
            own[measure.id] = (eligible and not category.requires_link, category.pillar or NO_PILLAR)

    lines = []
    for index, measure in enumerate(measures):
        category, eligible, known, reason = base(measure)
        pillar = (category.pillar or NO_PILLAR) if category else NO_PILLAR
        if category is not None and category.requires_link:
            linked = own.get(measure.linked_measure_id)
            if linked is None or not linked[0]:
                if eligible:
                    eligible, reason = False, "link_missing"
            elif category.pillar_from_link:
                pillar = linked[1]
        lines.append(MeasureLine(
            index=index,
            measure_id=measure.id,
            school_number=school_number,
            year=measure.year,
            category=measure.category,
            category_name_de=category.name_de if category else measure.category,
            category_name_en=category.name_en if category else measure.category,
            pillar=pillar,
            total=cents(measure.quantity * measure.unit_price),
            eligible=eligible,
            eligibility_known=known,
            mobile_device=bool(category and category.mobile_device),
            reason=reason,
        ))
    return lines


def _pillar_names(pack: RulePack, pillar: str) -> tuple[str, str]:
    if pillar in pack.pillars:
        return pack.pillars[pillar].name_de, pack.pillars[pillar].name_en
    return "Ohne Förderbereich (nicht förderfähig)", "Outside the funding pillars (not eligible)"


def _buckets(lines: Iterable[MeasureLine], pack: RulePack) -> tuple[list[Bucket], list[Bucket], list[Bucket]]:
    by_pillar: dict[str, Bucket] = {}
    by_year: dict[int | None, Bucket] = {}
    cells: dict[tuple[str, int | None], Bucket] = {}
    for pillar in pack.pillars:
        by_pillar[pillar] = Bucket(pillar, None, *_pillar_names(pack, pillar))
    for line in lines:
        # Buckets are made on first use only: a carrier has tens of thousands of lines.
        pillar = by_pillar.get(line.pillar) or by_pillar.setdefault(line.pillar, Bucket(line.pillar, None, *_pillar_names(pack, line.pillar)))
        year = by_year.get(line.year) or by_year.setdefault(
            line.year, Bucket(None, line.year, str(line.year or "ohne Jahr"), str(line.year or "no year")))
        cell = cells.get((line.pillar, line.year)) or cells.setdefault(
            (line.pillar, line.year), Bucket(line.pillar, line.year, pillar.name_de, pillar.name_en))
        for bucket in (pillar, year, cell):
            bucket.total += line.total
            if line.eligible:
                bucket.eligible += line.total
            else:
                bucket.not_eligible += line.total
    pillar_order = {pillar: position for position, pillar in enumerate(by_pillar)}
    year_key = lambda year: (year is None, year or 0)  # noqa: E731 - sort key: years ascending, "no year" last
    return (
        list(by_pillar.values()),
        sorted(by_year.values(), key=lambda b: year_key(b.year)),
        sorted(cells.values(), key=lambda b: (pillar_order[b.pillar], year_key(b.year))),
    )


# ---------------------------------------------------------------- money, cap, budget


def _money(lines: list[MeasureLine], cap_excess: Decimal, pack: RulePack, values: _Values) -> MoneySplit:
    total = sum((line.total for line in lines), ZERO)
    eligible = sum((line.total for line in lines if line.eligible), ZERO) - cap_excess
    rate = values.get(pack.funding.funding_rate)
    land_rate = values.get(pack.funding.land_share)
    funding = cents(eligible * rate) if rate is not None else None
    land = cents(eligible * land_rate) if land_rate is not None else None
    own = eligible - funding - land if funding is not None and land is not None else None
    return MoneySplit(
        total=total,
        eligible=eligible,
        not_eligible=total - eligible,
        cap_excess=cap_excess,
        funding_rate=rate,
        land_share_rate=land_rate,
        funding=funding,
        land_share=land,
        own_share_eligible=own,
        own_total=own + (total - eligible) if own is not None else None,
        sources=tuple(dict.fromkeys(pack.funding.funding_rate.sources + pack.funding.own_share.sources)),
    )


def _cap(schools: list[tuple[SchoolProfile, list[MeasureLine]]], pack: RulePack, values: _Values, scope: str) -> CapCheck:
    cap = pack.mobile_cap
    share = values.get(cap.carrier_share)
    per_school = values.get(cap.per_school_amount)
    counted = [(profile, lines) for profile, lines in schools if cap.applies_to == "all" or profile.school_type.is_general]
    details = []
    for profile, lines in counted:
        mobile = sum((line.total for line in lines if line.eligible and line.mobile_device), ZERO)
        investment = sum((line.total for line in lines if line.eligible), ZERO)
        over = max(ZERO, mobile - per_school) if per_school is not None else ZERO
        details.append(SchoolCap(profile.school_number, profile.name, mobile, investment, over))
    mobile_total = sum((d.mobile for d in details), ZERO)
    investment_total = sum((d.investment for d in details), ZERO)
    known = share is not None and per_school is not None
    limit_share = allowed_share = allowed_per_school = allowed = None
    basis, excess = "", ZERO
    if known and counted:
        limit_share = cents(investment_total * share)
        allowed_share = min(mobile_total, limit_share)
        allowed_per_school = sum((min(d.mobile, per_school) for d in details), ZERO)
        allowed = max(allowed_share, allowed_per_school)
        basis = "carrier_share" if allowed_share >= allowed_per_school else "per_school"
        excess = mobile_total - allowed
    return CapCheck(
        applies=bool(counted),
        known=known,
        mobile_total=mobile_total,
        investment_total=investment_total,
        carrier_share=share,
        per_school_amount=per_school,
        limit_share=limit_share,
        allowed_share=allowed_share,
        allowed_per_school=allowed_per_school,
        allowed=allowed,
        basis=basis,
        excess=excess,
        scope=scope,
        schools=details,
        sources=tuple(dict.fromkeys(cap.carrier_share.sources + cap.per_school_amount.sources)),
    )


def _weighted_pupils(profile: SchoolProfile, pack: RulePack, values: _Values) -> tuple[Decimal | None, str, list[str]]:
    weights = pack.budget.pupil_weights
    missing: list[str] = []

    def weight(group: str) -> Decimal | None:
        value = values.get(weights[group])
        if value is None:
            missing.append(weights[group].parameter or group)
        return value

    if profile.school_type is SchoolType.BERUFSBILDEND:
        full_time = profile.pupils - profile.pupils_part_time
        w_full, w_part = weight("vocational_full_time"), weight("vocational_part_time")
        if w_full is None or w_part is None:
            return None, "", missing
        return full_time * w_full + profile.pupils_part_time * w_part, f"{full_time} x {w_full} + {profile.pupils_part_time} x {w_part}", missing
    group = "grundschule" if profile.school_type is SchoolType.GRUNDSCHULE else "general"
    w = weight(group)
    if w is None:
        return None, "", missing
    return profile.pupils * w, f"{profile.pupils} x {w}", missing


def school_budget(profile: SchoolProfile, programme: FundingProgramme, pack: RulePack, used: Decimal | None) -> BudgetResult:
    """The school's budget under the pack's formula (or the allocated amount), and what is left."""
    values = _Values(programme.parameters)
    rule = pack.budget
    components: list[BudgetComponent] = []
    missing: list[str] = []
    if programme.allocated_budget is not None:
        components.append(BudgetComponent("allocated", "Zugewiesenes Budget", "Allocated budget", programme.allocated_budget,
                                          "Bescheid / allocation notice", False))
    elif rule.formula is BudgetFormula.SOCKEL_PLUS_WEIGHTED_PER_PUPIL:
        minimum = values.get(rule.sockel_min_pupils)
        sockel = values.get(rule.sockel_per_school)
        below = values.get(rule.sockel_per_pupil_below_min)
        if minimum is None or sockel is None or below is None:
            amount, arithmetic = None, ""
            missing += [v.parameter or name for name, v in (("sockel_min_pupils", rule.sockel_min_pupils), ("sockel_per_school", rule.sockel_per_school), ("sockel_per_pupil_below_min", rule.sockel_per_pupil_below_min)) if values.get(v) is None]
        elif profile.pupils >= minimum:
            amount, arithmetic = cents(sockel), f"{profile.pupils} >= {minimum}: {sockel}"
        else:
            amount, arithmetic = cents(profile.pupils * below), f"{profile.pupils} < {minimum}: {profile.pupils} x {below}"
        components.append(BudgetComponent("sockel", "Sockelbetrag (für die Schule reserviert)", "Base amount (reserved for the school)",
                                          amount, arithmetic, True, rule.sockel_per_school.sources))
        weighted, weighted_text, missing_weights = _weighted_pupils(profile, pack, values)
        missing += missing_weights
        components.append(_per_pupil_component(weighted, weighted_text, rule, values, missing))
    elif rule.formula is BudgetFormula.PER_PUPIL:
        components.append(_per_pupil_component(Decimal(profile.pupils), str(profile.pupils), rule, values, missing))
    else:
        missing.append("allocated_budget")
    total = None if not components or any(c.amount is None for c in components) else sum((c.amount for c in components), ZERO)
    return BudgetResult(
        formula="allocated" if programme.allocated_budget is not None else rule.formula.value,
        components=components,
        total=total,
        used=used,
        left=total - used if total is not None and used is not None else None,
        missing_parameters=missing,
        note=rule.note,
        parameters_used=sorted(values.used),
    )


def _per_pupil_component(pupils: Decimal | None, pupils_text: str, rule, values: _Values, missing: list[str]) -> BudgetComponent:
    amount_per_pupil = values.get(rule.per_pupil_amount)
    if amount_per_pupil is None:
        missing.append(rule.per_pupil_amount.parameter or "per_pupil_amount")
    amount = cents(pupils * amount_per_pupil) if pupils is not None and amount_per_pupil is not None else None
    arithmetic = f"{pupils_text} x {amount_per_pupil}" if amount is not None else ""
    return BudgetComponent("per_pupil", "Pro-Kopf-Betrag", "Per-pupil amount", amount, arithmetic, False,
                           rule.per_pupil_amount.sources)


# ---------------------------------------------------------------- indicators


def _room_state(plan: Plan, target: bool) -> dict[str, RoomEquipment]:
    state = {room.room_id: room for room in plan.inventory.rooms}
    if target:
        state.update({room.room_id: room for room in plan.target.rooms})
    return state


def _rooms(plan: Plan, target: bool) -> tuple[int, int, int]:
    state = _room_state(plan, target)
    teaching = [room.id for room in plan.profile.rooms if room.kind.is_teaching]
    display = wlan = both = 0
    for room_id in teaching:
        room = state.get(room_id)
        has_display = room is not None and room.display is not DisplayKind.NONE
        has_wlan = room is not None and (room.wlan or room.access_points > 0)
        display += has_display
        wlan += has_wlan
        both += has_display and has_wlan
    return display, wlan, both


def indicators(plan: Plan) -> Indicators:
    """Planning indicators of a plan against the norms in plans.norms (orientation values).

    The target equipment (TargetEquipment.items) is read as the complete target state (Soll).
    """
    profile = plan.profile
    now_by_kind: dict[DeviceKind, int] = defaultdict(int)
    target_by_kind: dict[DeviceKind, int] = defaultdict(int)
    pupil_devices_now = pupil_devices_target = all_end_target = 0
    for stock in plan.inventory.devices:
        now_by_kind[stock.kind] += stock.count
        if stock.kind.is_end_device and stock.user in (DeviceUser.PUPILS, DeviceUser.SHARED):
            pupil_devices_now += stock.count
    for item in plan.target.items:
        target_by_kind[item.kind] += item.quantity
        if item.kind.is_end_device:
            all_end_target += item.quantity
            if item.user in (DeviceUser.PUPILS, DeviceUser.SHARED):
                pupil_devices_target += item.quantity
    display_now, wlan_now, both_now = _rooms(plan, target=False)
    display_target, wlan_target, both_target = _rooms(plan, target=True)
    teaching_rooms = sum(1 for room in profile.rooms if room.kind.is_teaching)
    planned_fte = plan.support.first_level.staff_fte + plan.support.second_level.staff_fte
    needed_fte = ratio(all_end_target, norms.DEVICES_PER_TECHNICIAN.value)
    comparisons = [
        NormComparison(norms.DEVICES_PER_TECHNICIAN, needed_fte, planned_fte),
        NormComparison(norms.MIN_PUPILS_PER_COMPUTER, norms.MIN_PUPILS_PER_COMPUTER.value, ratio(profile.pupils, pupil_devices_target)),
        NormComparison(norms.DISPLAY_IN_EVERY_TEACHING_ROOM, Decimal(teaching_rooms), Decimal(display_target)),
        NormComparison(norms.WLAN_IN_EVERY_ROOM, Decimal(teaching_rooms), Decimal(wlan_target)),
    ]
    fte_norm = norms.support_fte_norm(profile.school_type)
    if fte_norm:
        comparisons.append(NormComparison(fte_norm, fte_norm.value, planned_fte))
    model = norms.model_device_norms(profile.school_type)
    if model:
        per_device, room_devices = model
        expected = (Decimal(profile.pupils) / per_device.value).to_integral_value(rounding=ROUND_HALF_UP) + room_devices.value
        comparisons.append(NormComparison(per_device, expected, Decimal(pupil_devices_target)))
    running = norms.running_cost_norm(profile.school_type)
    if running:
        comparisons.append(NormComparison(running, cents(profile.pupils * running.value), None))
    kinds = sorted(set(now_by_kind) | set(target_by_kind), key=list(DeviceKind).index)
    return Indicators(
        pupils=profile.pupils,
        end_devices_now=pupil_devices_now,
        end_devices_target=pupil_devices_target,
        pupils_per_device_now=ratio(profile.pupils, pupil_devices_now),
        pupils_per_device_target=ratio(profile.pupils, pupil_devices_target),
        teaching_rooms=teaching_rooms,
        rooms_with_display_now=display_now,
        rooms_with_wlan_now=wlan_now,
        rooms_with_display_and_wlan_now=both_now,
        rooms_with_display_target=display_target,
        rooms_with_wlan_target=wlan_target,
        rooms_with_display_and_wlan_target=both_target,
        devices_for_support=all_end_target,
        technicians_needed=needed_fte,
        technicians_planned=planned_fte,
        equipment=[EquipmentCount(kind, now_by_kind[kind], target_by_kind[kind]) for kind in kinds],
        norms=comparisons,
    )


def _training(plan: Plan) -> TrainingTotals:
    by_year: dict[int | None, Decimal] = defaultdict(lambda: ZERO)
    for item in plan.training.items:
        by_year[item.year] += item.cost
    return TrainingTotals(
        items=len(plan.training.items),
        hours=sum((item.hours for item in plan.training.items), ZERO),
        participant_hours=sum((item.hours * item.participant_count for item in plan.training.items), ZERO),
        cost=sum((item.cost for item in plan.training.items), ZERO),
        cost_by_year=dict(by_year),
    )


def _unknown_categories(lines: Iterable[MeasureLine]) -> list[str]:
    return sorted({line.category for line in lines if not line.eligibility_known})


# ---------------------------------------------------------------- entry points


def _totals(lines: list[MeasureLine], cap: CapCheck, pack: RulePack, values: _Values) -> dict:
    """The figures plan and carrier results share, as keyword arguments for either."""
    by_pillar, by_year, by_pillar_year = _buckets(lines, pack)
    return dict(
        rule_pack_id=pack.id,
        rule_pack_version=pack.version,
        lines=lines,
        by_pillar=by_pillar,
        by_year=by_year,
        by_pillar_year=by_pillar_year,
        money=_money(lines, cap.excess, pack, values),
        mobile_cap=cap,
        eligibility_unknown=_unknown_categories(lines),
    )


def calculate_plan(plan: Plan, pack: RulePack | None = None, programme: FundingProgramme | None = None) -> PlanResult:
    """All figures of one school's plan. `pack`/`programme` default to the plan's own."""
    programme = programme or plan.programme
    pack = pack or pack_for(programme)
    values = _Values(programme.parameters)
    lines = _lines(plan.measures, pack, values, plan.profile.school_number)
    totals = _totals(lines, _cap([(plan.profile, lines)], pack, values, scope="school"), pack, values)
    budget = school_budget(plan.profile, programme, pack, totals["money"].funding)
    return PlanResult(
        plan_id=plan.id,
        school_number=plan.profile.school_number,
        school_name=plan.profile.name,
        budget=budget,
        training=_training(plan),
        indicators=indicators(plan),
        parameters_used=sorted(values.used | set(budget.parameters_used)),
        **totals,
    )


def calculate_carrier(carrier: Carrier, pack: RulePack | None = None) -> CarrierResult:
    """The consolidated figures of a carrier: every school under the carrier's pack, the
    carrier's own (regional) measures, and the binding carrier-wide mobile-device cap."""
    pack = pack or pack_for(carrier.programme)
    schools = []
    for plan in carrier.plans:
        # The carrier's parameters win over a school's, so every school is counted alike.
        parameters = {**plan.programme.parameters, **carrier.programme.parameters}
        programme = FundingProgramme(pack.id, pack.version, parameters, plan.programme.allocated_budget)
        schools.append(calculate_plan(plan, pack, programme))
    values = _Values(carrier.programme.parameters)
    lines = [line for result in schools for line in result.lines] + _lines(carrier.measures, pack, values, "")
    cap = _cap([(plan.profile, result.lines) for plan, result in zip(carrier.plans, schools)], pack, values, scope="carrier")
    totals = _totals(lines, cap, pack, values)
    return CarrierResult(
        carrier_key=carrier.key,
        carrier_name=carrier.name,
        schools=schools,
        budget=_carrier_budget(carrier, schools, totals["money"].funding),
        parameters_used=sorted(values.used.union(*(result.parameters_used for result in schools))),
        **totals,
    )


def _carrier_budget(carrier: Carrier, schools: list[PlanResult], used: Decimal | None) -> BudgetResult:
    """The carrier's allocated budget, or else the sum of its schools' budgets."""
    if carrier.programme.allocated_budget is not None:
        component = BudgetComponent("allocated", "Zugewiesenes Schulträgerbudget", "Allocated carrier budget",
                                    carrier.programme.allocated_budget, "Bescheid / allocation notice", False)
        total = carrier.programme.allocated_budget
        return BudgetResult("allocated", [component], total, used, total - used if used is not None else None)
    components = [
        BudgetComponent(f"school:{result.school_number}", result.school_name, result.school_name, result.budget.total,
                        " + ".join(c.arithmetic for c in result.budget.components if c.arithmetic), False)
        for result in schools
    ]
    missing = sorted({name for result in schools for name in result.budget.missing_parameters})
    total = None if not components or any(c.amount is None for c in components) else sum((c.amount for c in components), ZERO)
    return BudgetResult("sum_of_schools", components, total, used,
                        total - used if total is not None and used is not None else None, missing)
