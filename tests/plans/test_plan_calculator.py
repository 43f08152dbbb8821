"""The calculator against plans rebuilt by hand from the rule texts (mep-domain.md 2.2-2.4, 4).

Every expected figure below is worked out in the comments from the rules, not copied from the
calculator's output.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from plans.calculator import NO_PILLAR, ROUNDING_EN, calculate_carrier, calculate_plan, cents
from plans.model import (
    Carrier,
    DeviceKind,
    DeviceStock,
    DeviceUser,
    DisplayKind,
    FundingProgramme,
    Inventory,
    Land,
    Measure,
    Plan,
    Room,
    RoomEquipment,
    RoomKind,
    SchoolProfile,
    SchoolType,
    SupportConcept,
    SupportLevel,
    TargetEquipment,
    TargetItem,
    TrainingItem,
    TrainingPlan,
)
from plans.rulepack import load_pack


def measure(mid, year, category, quantity, unit_price, link=""):
    return Measure(id=mid, year=year, category=category, description=mid, quantity=D(quantity), unit="Stück",
                   unit_price=D(unit_price), linked_measure_id=link)


# ================================================================ (a) Niedersachsen, 400 pupils


def niedersachsen_school() -> Plan:
    classrooms = [Room(id=f"K{n}", name=f"Klasse {n}", building_id="A", kind=RoomKind.CLASSROOM) for n in range(1, 17)]
    return Plan(
        id="ni-400",
        programme=FundingProgramme(
            rule_pack_id="dp1-ni", rule_pack_version="1",
            # The Kopfbetrag per weighted pupil is not in our sources (the pack marks it unknown); a
            # carrier takes it from N-DiPS. Test input: EUR 112.50.
            parameters={"per_pupil_amount": D("112.50")},
        ),
        profile=SchoolProfile(
            school_number="99001", name="Oberschule Nord", school_type=SchoolType.OBERSCHULE, land=Land.NI,
            pupils=400, classes=16, teachers=32,
            rooms=classrooms + [
                Room(id="PC", name="Computerraum", building_id="A", kind=RoomKind.COMPUTER_ROOM),
                Room(id="L", name="Lehrerzimmer", building_id="A", kind=RoomKind.STAFF),
            ],
        ),
        inventory=Inventory(
            rooms=[RoomEquipment(room_id="PC", lan_ports=30, access_points=1, wlan=True, display=DisplayKind.PROJECTOR)]
            + [RoomEquipment(room_id=f"K{n}", display=DisplayKind.PROJECTOR) for n in range(1, 5)]
            + [RoomEquipment(room_id="L", wlan=True, display=DisplayKind.DISPLAY)],
            devices=[
                DeviceStock(kind=DeviceKind.DESKTOP, count=28, user=DeviceUser.PUPILS, room_id="PC"),
                DeviceStock(kind=DeviceKind.LAPTOP, count=10, user=DeviceUser.TEACHERS),
            ],
        ),
        target=TargetEquipment(
            items=[
                TargetItem(id="t1", kind=DeviceKind.DESKTOP, quantity=28, user=DeviceUser.PUPILS, pedagogical_reason="Informatik"),
                TargetItem(id="t2", kind=DeviceKind.TABLET, quantity=32, user=DeviceUser.SHARED, pedagogical_reason="Deutsch 5/6"),
                TargetItem(id="t3", kind=DeviceKind.LAPTOP, quantity=10, user=DeviceUser.TEACHERS, pedagogical_reason="Unterrichtsvorbereitung"),
            ],
            rooms=[RoomEquipment(room_id=f"K{n}", access_points=1, wlan=True, display=DisplayKind.INTERACTIVE_BOARD) for n in range(1, 17)],
        ),
        training=TrainingPlan(items=[
            TrainingItem(id="f1", participants="Fachschaft Deutsch", participant_count=8, topic="Tablets", year=2022, hours=D("4.5"), cost=D("350.00")),
            TrainingItem(id="f2", participants="Kollegium", participant_count=32, topic="Interaktive Tafeln", year=2023, hours=D("3"), cost=D("1200.00")),
        ]),
        support=SupportConcept(first_level=SupportLevel(staff_fte=D("0.1")), second_level=SupportLevel(staff_fte=D("0.25"))),
        measures=[
            measure("m1", 2022, "wlan", "20", "389.99"),  # 20 x 389.99 = 7,799.80
            measure("m2", 2022, "networking", "1", "12345.67"),  # 12,345.67
            measure("m3", 2022, "accompanying", "3", "33.335", link="m1"),  # 3 x 33.335 = 100.005 -> half up 100.01
            measure("m4", 2023, "display_devices", "8", "3499.00"),  # 27,992.00
            measure("m5", 2023, "mobile_devices", "32", "449.00"),  # 14,368.00
            measure("m6", 2023, "operation_support", "1", "2400.00"),  # not eligible: 2,400.00
            measure("m7", 2023, "consumables", "10", "12.34"),  # eligibility unknown: 123.40
            measure("m8", 2023, "accompanying", "1", "250.00"),  # no linked investment: not eligible, 250.00
        ],
    )


def test_niedersachsen_general_school_with_400_pupils():
    result = calculate_plan(niedersachsen_school())
    assert result.rule_pack_id == "dp1-ni" and result.rounding_en == ROUNDING_EN

    # Line totals, rounded to cents half up per line.
    assert [line.total for line in result.lines] == [
        D("7799.80"), D("12345.67"), D("100.01"), D("27992.00"), D("14368.00"), D("2400.00"), D("123.40"), D("250.00")]
    assert [line.eligible for line in result.lines] == [True, True, True, True, True, False, False, False]
    assert [line.reason for line in result.lines[5:]] == ["not_eligible", "eligibility_unknown", "link_missing"]
    assert result.eligibility_unknown == ["consumables"]

    # Eligible: 7,799.80 + 12,345.67 + 100.01 + 27,992.00 + 14,368.00 = 62,605.48
    # Not eligible: 2,400.00 + 123.40 + 250.00 = 2,773.40;  total 65,378.88
    money = result.money
    assert (money.total, money.eligible, money.not_eligible) == (D("65378.88"), D("62605.48"), D("2773.40"))
    # NI: 100% grant, no Land or own share of eligible costs; the carrier pays what is not eligible.
    assert (money.funding_rate, money.funding, money.land_share) == (D("1.00"), D("62605.48"), D("0.00"))
    assert (money.own_share_eligible, money.own_total) == (D("0.00"), D("2773.40"))

    # Mobile-device cap (school view): M = 14,368.00, V = 62,605.48;
    # aa) 20% of V = 12,521.096 -> 12,521.10, min(M, aa) = 12,521.10; bb) min(M, 25,000) = 14,368.00;
    # the more favourable is bb) = 14,368.00 -> no excess.
    cap = result.mobile_cap
    assert (cap.mobile_total, cap.investment_total, cap.limit_share) == (D("14368.00"), D("62605.48"), D("12521.10"))
    assert (cap.allowed_per_school, cap.allowed, cap.basis, cap.excess) == (D("14368.00"), D("14368.00"), "per_school", D("0"))
    assert not cap.exceeded and money.cap_excess == 0

    # Budget: 400 pupils >= 60 -> Sockel 30,000.00 (reserved for the school);
    # Kopfbetrag: 400 pupils x weight 1.0 (general school) x 112.50 = 45,000.00; total 75,000.00.
    # Used: the grant 62,605.48; left 75,000.00 - 62,605.48 = 12,394.52.
    budget = result.budget
    assert [(c.id, c.amount, c.reserved_for_school) for c in budget.components] == [
        ("sockel", D("30000.00"), True), ("per_pupil", D("45000.00"), False)]
    assert (budget.total, budget.used, budget.left) == (D("75000.00"), D("62605.48"), D("12394.52"))
    assert budget.missing_parameters == [] and budget.parameters_used == ["per_pupil_amount"]
    assert result.parameters_used == ["per_pupil_amount"]

    # Per pillar (federal pillars of the NI pack):
    #   infrastructure = 7,799.80 + 12,345.67 = 20,145.47; display_devices = 27,992.00;
    #   mobile_devices = 14,368.00; accompanying = 100.01 eligible + 250.00 not = 350.01;
    #   outside the pillars: 2,400.00 + 123.40 = 2,523.40 (not eligible).
    pillars = {b.pillar: (b.total, b.eligible, b.not_eligible) for b in result.by_pillar}
    assert pillars == {
        "infrastructure": (D("20145.47"), D("20145.47"), D("0")),
        "platforms": (D("0"), D("0"), D("0")),
        "display_devices": (D("27992.00"), D("27992.00"), D("0")),
        "work_devices": (D("0"), D("0"), D("0")),
        "mobile_devices": (D("14368.00"), D("14368.00"), D("0")),
        "regional": (D("0"), D("0"), D("0")),
        "accompanying": (D("350.01"), D("100.01"), D("250.00")),
        NO_PILLAR: (D("2523.40"), D("0"), D("2523.40")),
    }
    # Per year: 2022 = 7,799.80 + 12,345.67 + 100.01 = 20,245.48 (all eligible);
    # 2023 = 27,992.00 + 14,368.00 + 2,400.00 + 123.40 + 250.00 = 45,133.40, of which eligible
    # 27,992.00 + 14,368.00 = 42,360.00 and not eligible 2,773.40.
    years = {b.year: (b.total, b.eligible, b.not_eligible) for b in result.by_year}
    assert years == {2022: (D("20245.48"), D("20245.48"), D("0")), 2023: (D("45133.40"), D("42360.00"), D("2773.40"))}
    cells = {(b.pillar, b.year): b.total for b in result.by_pillar_year}
    assert cells == {
        ("infrastructure", 2022): D("20145.47"), ("display_devices", 2023): D("27992.00"),
        ("mobile_devices", 2023): D("14368.00"), ("accompanying", 2022): D("100.01"),
        ("accompanying", 2023): D("250.00"), (NO_PILLAR, 2023): D("2523.40"),
    }

    # Training: hours 4.5 + 3 = 7.5; participant hours 4.5 x 8 + 3 x 32 = 36 + 96 = 132; cost 1,550.00.
    training = result.training
    assert (training.items, training.hours, training.participant_hours, training.cost) == (2, D("7.5"), D("132.0"), D("1550.00"))
    assert training.cost_by_year == {2022: D("350.00"), 2023: D("1200.00")}

    # Indicators: pupil devices now 28 -> 400 / 28 = 14.2857 -> 14.29; target 28 + 32 = 60 ->
    # 400 / 60 = 6.666 -> 6.67. Teaching rooms: 16 classrooms + computer room = 17 (staff room not).
    # Now: display in PC + K1..K4 = 5, WLAN only PC = 1, both 1. Target: every classroom gets a
    # board and WLAN, PC keeps its state: 17, 17, 17.
    # Support: end devices of the target 28 + 32 + 10 = 70 -> 70 / 400 = 0.175 -> 0.18 FTE needed;
    # planned 0.1 + 0.25 = 0.35.
    ind = result.indicators
    assert (ind.end_devices_now, ind.end_devices_target) == (28, 60)
    assert (ind.pupils_per_device_now, ind.pupils_per_device_target) == (D("14.29"), D("6.67"))
    assert ind.teaching_rooms == 17
    assert (ind.rooms_with_display_now, ind.rooms_with_wlan_now, ind.rooms_with_display_and_wlan_now) == (5, 1, 1)
    assert (ind.rooms_with_display_target, ind.rooms_with_wlan_target, ind.rooms_with_display_and_wlan_target) == (17, 17, 17)
    assert (ind.devices_for_support, ind.technicians_needed, ind.technicians_planned) == (70, D("0.18"), D("0.35"))
    norms = {c.norm.id: (c.expected, c.actual) for c in ind.norms}
    # Bertelsmann model secondary school: 1:1 + 60 devices = 400 + 60 = 460 pupil devices.
    assert norms["model_pupils_per_device_secondary"] == (D("460"), D("60"))
    # Stuttgart: 0.5 FTE per secondary school.
    assert norms["support_fte_secondary"] == (D("0.5"), D("0.35"))
    # Running cost 402 EUR per Sek pupil and year: 400 x 402 = 160,800.00.
    assert norms["running_cost_secondary"] == (D("160800.00"), None)
    assert norms["display_in_every_teaching_room"] == (D("17"), D("17"))
    equipment = {e.kind: (e.now, e.target) for e in ind.equipment}
    assert equipment == {DeviceKind.DESKTOP: (28, 28), DeviceKind.LAPTOP: (10, 10), DeviceKind.TABLET: (0, 32)}


def test_niedersachsen_small_school_and_grundschule_weights():
    plan = niedersachsen_school()
    # 45 pupils < 60: 45 x 500.00 = 22,500.00 instead of the Sockel; Grundschule weight 0.5:
    # 45 x 0.5 = 22.5 weighted pupils x 112.50 = 2,531.25. Total 25,031.25.
    plan.profile.pupils, plan.profile.school_type = 45, SchoolType.GRUNDSCHULE
    budget = calculate_plan(plan).budget
    assert [c.amount for c in budget.components] == [D("22500.00"), D("2531.25")]
    assert budget.total == D("25031.25")
    # Without the per-pupil amount the budget is unknown, and says which value is missing.
    plan.programme.parameters = {}
    budget = calculate_plan(plan).budget
    assert budget.total is None and budget.left is None
    assert budget.components[0].amount == D("22500.00") and budget.components[1].amount is None
    assert budget.missing_parameters == ["per_pupil_amount"]


def test_niedersachsen_vocational_school_needs_the_full_time_weight():
    plan = niedersachsen_school()
    plan.profile.school_type, plan.profile.pupils, plan.profile.pupils_part_time = SchoolType.BERUFSBILDEND, 1000, 600
    budget = calculate_plan(plan).budget
    assert budget.total is None and budget.missing_parameters == ["weight_vocational_full_time"]
    # With a weight of 1.0 entered: 400 x 1.0 + 600 x 0.4 = 640 weighted pupils x 112.50 = 72,000.00
    plan.programme.parameters["weight_vocational_full_time"] = D("1.0")
    budget = calculate_plan(plan).budget
    assert budget.components[1].amount == D("72000.00")
    assert budget.total == D("102000.00")
    # Vocational schools are exempt from the mobile-device cap.
    assert not calculate_plan(plan).mobile_cap.applies


def test_allocated_budget_replaces_the_formula():
    plan = niedersachsen_school()
    plan.programme.allocated_budget = D("70000.00")
    budget = calculate_plan(plan).budget
    assert budget.formula == "allocated" and budget.total == D("70000.00")
    assert budget.left == D("70000.00") - D("62605.48")  # 7,394.52


def test_rounding_is_half_up_to_cents():
    assert cents(D("0.005")) == D("0.01")
    assert cents(D("0.015")) == D("0.02")  # banker's rounding would give 0.02 too, but:
    assert cents(D("0.025")) == D("0.03")  # ... 0.02 here
    assert cents(D("-0.005")) == D("-0.01")


# ================================================================ (b) NRW carrier, three schools


def nrw_carrier() -> Carrier:
    def school(number, name, school_type, pupils, measures):
        return Plan(id=f"p{number}", programme=FundingProgramme("dp1-nw", "1"),
                    profile=SchoolProfile(school_number=number, name=name, school_type=school_type, land=Land.NW, pupils=pupils),
                    measures=measures)

    return Carrier(
        key="05111000", name="Stadt Musterstadt", land=Land.NW,
        # Schulträgerbudget from the allocation notice (Anlage 2 needs GFG data we do not have).
        programme=FundingProgramme("dp1-nw", "1", allocated_budget=D("500000.00")),
        plans=[
            school("100001", "Gymnasium am Park", SchoolType.GYMNASIUM, 800, [
                measure("a1", 2021, "wlan", "60", "420.00"),  # 25,200.00
                measure("a2", 2021, "display_devices", "30", "4150.50"),  # 124,515.00
                measure("a3", 2022, "mobile_devices", "150", "479.99"),  # 71,998.50 tablets, above 25,000
            ]),
            school("100002", "Grundschule Lindenweg", SchoolType.GRUNDSCHULE, 200, [
                measure("b1", 2021, "networking", "1", "38750.25"),  # 38,750.25
                measure("b2", 2022, "mobile_devices", "40", "399.00"),  # 15,960.00
                measure("b3", 2021, "accompanying", "1", "1234.56", link="b1"),  # 1,234.56, counted in b1's pillar
            ]),
            school("100003", "Berufskolleg Mitte", SchoolType.BERUFSBILDEND, 1500, [
                measure("c1", 2022, "work_devices", "25", "2100.00"),  # 52,500.00
                measure("c2", 2022, "mobile_devices", "100", "600.00"),  # 60,000.00, vocational: no cap
            ]),
        ],
        measures=[measure("r1", 2022, "regional", "1", "20000.00")],  # central MDM for all schools
    )


def test_nrw_carrier_with_tablets_above_the_cap():
    result = calculate_carrier(nrw_carrier())
    assert result.rule_pack_id == "dp1-nw"

    # School totals: A = 25,200.00 + 124,515.00 + 71,998.50 = 221,713.50
    #                B = 38,750.25 + 15,960.00 + 1,234.56 = 55,944.81
    #                C = 52,500.00 + 60,000.00 = 112,500.00;  carrier's own: 20,000.00
    # Total = 221,713.50 + 55,944.81 + 112,500.00 + 20,000.00 = 410,158.31, all in eligible categories.
    assert [s.money.total for s in result.schools] == [D("221713.50"), D("55944.81"), D("112500.00")]
    assert result.money.total == D("410158.31")

    # Cap across the general schools A and B (C is vocational, the carrier's own measures are no school's):
    #   M = 71,998.50 + 15,960.00 = 87,958.50;  V = 221,713.50 + 55,944.81 = 277,658.31
    #   aa) 20% of V = 55,531.662 -> 55,531.66;  min(M, aa) = 55,531.66
    #   bb) min(71,998.50, 25,000) + min(15,960.00, 25,000) = 25,000.00 + 15,960.00 = 40,960.00
    #   more favourable: aa) 55,531.66;  excess = 87,958.50 - 55,531.66 = 32,426.84
    cap = result.mobile_cap
    assert cap.scope == "carrier" and cap.applies and cap.known
    assert [(s.school_number, s.mobile, s.investment, s.over_per_school_amount) for s in cap.schools] == [
        ("100001", D("71998.50"), D("221713.50"), D("46998.50")),
        ("100002", D("15960.00"), D("55944.81"), D("0")),
    ]
    assert (cap.mobile_total, cap.investment_total) == (D("87958.50"), D("277658.31"))
    assert (cap.limit_share, cap.allowed_share, cap.allowed_per_school) == (D("55531.66"), D("55531.66"), D("40960.00"))
    assert (cap.allowed, cap.basis, cap.excess, cap.exceeded) == (D("55531.66"), "carrier_share", D("32426.84"), True)

    # Money: eligible = 410,158.31 - 32,426.84 = 377,731.47; not eligible = the excess 32,426.84.
    # Funding 90%: 377,731.47 x 0.90 = 339,958.323 -> 339,958.32; own share of eligible
    # 377,731.47 - 339,958.32 = 37,773.15; own total 37,773.15 + 32,426.84 = 70,199.99.
    money = result.money
    assert (money.eligible, money.not_eligible, money.cap_excess) == (D("377731.47"), D("32426.84"), D("32426.84"))
    assert (money.funding_rate, money.funding, money.land_share) == (D("0.90"), D("339958.32"), D("0.00"))
    assert (money.own_share_eligible, money.own_total) == (D("37773.15"), D("70199.99"))

    # Budget: 500,000.00 allocated - 339,958.32 = 160,041.68 left.
    assert (result.budget.total, result.budget.used, result.budget.left) == (D("500000.00"), D("339958.32"), D("160041.68"))

    # Pillars (NRW): IT-Grundstruktur = 25,200.00 + 124,515.00 + 38,750.25 + 1,234.56 (b3 follows b1)
    # = 189,699.81; Arbeitsgeräte 52,500.00; mobile 71,998.50 + 15,960.00 + 60,000.00 = 147,958.50;
    # regional 20,000.00. (Buckets are before the cap; the excess is in money.cap_excess.)
    pillars = {b.pillar: b.total for b in result.by_pillar}
    assert pillars == {"it_basic": D("189699.81"), "work_devices": D("52500.00"), "mobile_devices": D("147958.50"), "regional": D("20000.00")}
    assert sum(pillars.values()) == D("410158.31")
    # Years: 2021 = 25,200.00 + 124,515.00 + 38,750.25 + 1,234.56 = 189,699.81;
    # 2022 = 71,998.50 + 15,960.00 + 52,500.00 + 60,000.00 + 20,000.00 = 220,458.50.
    assert {b.year: b.total for b in result.by_year} == {2021: D("189699.81"), 2022: D("220458.50")}
    cells = {(b.pillar, b.year): b.total for b in result.by_pillar_year}
    assert cells == {("it_basic", 2021): D("189699.81"), ("work_devices", 2022): D("52500.00"),
                     ("mobile_devices", 2022): D("147958.50"), ("regional", 2022): D("20000.00")}

    # Each school's own view of the cap (an upper bound; the carrier check above is binding):
    #   A: 20% of 221,713.50 = 44,342.70 > 25,000 -> allowed 44,342.70, excess 71,998.50 - 44,342.70 = 27,655.80
    #   B: 15,960.00 <= 25,000 -> no excess;  C: vocational, the cap does not apply.
    school_a, school_b, school_c = (s.mobile_cap for s in result.schools)
    assert (school_a.scope, school_a.limit_share, school_a.allowed, school_a.excess) == ("school", D("44342.70"), D("44342.70"), D("27655.80"))
    assert school_b.excess == 0 and not school_b.exceeded
    assert not school_c.applies and school_c.excess == 0
    # School A alone: eligible 221,713.50 - 27,655.80 = 194,057.70; funding 90% = 174,651.93;
    # own share 194,057.70 - 174,651.93 = 19,405.77, plus the excess 27,655.80 = 47,061.57.
    # B: all 55,944.81 eligible; 90% = 50,350.329 -> 50,350.33; own 5,594.48.
    # C: 112,500.00; 90% = 101,250.00; own 11,250.00.
    assert [(s.money.eligible, s.money.funding, s.money.own_share_eligible, s.money.own_total) for s in result.schools] == [
        (D("194057.70"), D("174651.93"), D("19405.77"), D("47061.57")),
        (D("55944.81"), D("50350.33"), D("5594.48"), D("5594.48")),
        (D("112500.00"), D("101250.00"), D("11250.00"), D("11250.00")),
    ]
    # The budget is the carrier's: a school under NRW's allocated formula has none of its own.
    assert all(s.budget.total is None and s.budget.missing_parameters == ["allocated_budget"] for s in result.schools)
    # B's planning costs follow the networking they belong to (NRW pillar IT-Grundstruktur).
    assert [line.pillar for line in result.schools[1].lines] == ["it_basic", "mobile_devices", "it_basic"]


def test_nrw_cap_under_bb_when_that_is_more_favourable():
    carrier = nrw_carrier()
    # Drop A's large investments: A = wlan 25,200.00 + tablets 71,998.50 = 97,198.50.
    carrier.plans[0].measures = [carrier.plans[0].measures[0], carrier.plans[0].measures[2]]
    cap = calculate_carrier(carrier).mobile_cap
    # V = 97,198.50 + 55,944.81 = 153,143.31; aa) 20% = 30,628.662 -> 30,628.66
    # bb) 25,000.00 + 15,960.00 = 40,960.00 is higher: excess = 87,958.50 - 40,960.00 = 46,998.50
    assert (cap.limit_share, cap.allowed, cap.basis, cap.excess) == (D("30628.66"), D("40960.00"), "per_school", D("46998.50"))


def test_digitalpakt_2_leaves_unknown_figures_empty():
    plan = niedersachsen_school()
    plan.programme = FundingProgramme("dp2", "1", allocated_budget=D("50000.00"))
    result = calculate_plan(plan)
    # Eligibility of every category is unknown: nothing counts as eligible, nothing is funded.
    assert result.money.eligible == 0 and result.money.funding is None and result.money.own_total is None
    assert "wlan" in result.eligibility_unknown
    assert not result.mobile_cap.known and result.mobile_cap.excess == 0
    assert result.budget.total == D("50000.00") and result.budget.used is None and result.budget.left is None
    # Once the Land publishes its rules, parameters fill them in: WLAN eligible at 80%.
    plan.programme.parameters = {"eligible_wlan": D("1"), "funding_rate": D("0.8"), "land_share": D("0.1")}
    money = calculate_plan(plan).money
    # eligible 7,799.80; funding 6,239.84; Land 779.98; own 7,799.80 - 6,239.84 - 779.98 = 779.98
    assert (money.eligible, money.funding, money.land_share, money.own_share_eligible) == (
        D("7799.80"), D("6239.84"), D("779.98"), D("779.98"))


def test_unknown_category_counts_as_not_eligible():
    plan = niedersachsen_school()
    plan.measures = [measure("x", 2022, "drones", "2", "999.99")]
    result = calculate_plan(plan)
    assert result.lines[0].reason == "unknown_category" and result.lines[0].pillar == NO_PILLAR
    assert result.money.eligible == 0 and result.money.not_eligible == D("1999.98")


@pytest.mark.parametrize("pack_id", ["dp1-by", "dp1-bw"])
def test_unknown_funding_rate_gives_no_funding_figure(pack_id):
    plan = niedersachsen_school()
    plan.programme = FundingProgramme(pack_id, "1")
    money = calculate_plan(plan).money
    assert money.eligible == D("62605.48") and money.funding is None


def test_bw_per_pupil_budget():
    plan = niedersachsen_school()
    plan.programme = FundingProgramme("dp1-bw", "1", parameters={"funding_rate": D("0.9"), "land_share": D("0")})
    # About 433 EUR per pupil: 400 x 433.00 = 173,200.00; funding 0.9 x 62,605.48 = 56,344.932 -> 56,344.93
    budget = calculate_plan(plan, load_pack("dp1-bw")).budget
    assert (budget.total, budget.used, budget.left) == (D("173200.00"), D("56344.93"), D("116855.07"))
