"""The validator: every rule violation with severity, stable code, field path, German and English
message and source; it never raises, whatever a draft contains."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from plans.model import (
    CompetenceFramework,
    CurriculumEntry,
    DeviceKind,
    DeviceStock,
    FundingProgramme,
    Measure,
    Plan,
    SchoolProfile,
    SchoolType,
    SupportLevel,
    TargetItem,
    TrainingItem,
)
from plans.serialize import plan_from_json, plan_to_json, to_data
from plans.validator import Finding, Severity, has_errors, validate_carrier, validate_plan
from tests.plans.test_plan_calculator import niedersachsen_school, nrw_carrier
from tests.support.plan_samples import full_plan

SH_CAP = "https://dpaktfaq.schleswig-holstein.de/?view=portal&subView=portalFAQ&keyword=35"
DAY = dt.date(2022, 1, 1)


def by_code(findings: list[Finding]) -> dict[str, list[Finding]]:
    result: dict[str, list[Finding]] = {}
    for finding in findings:
        result.setdefault(finding.code, []).append(finding)
    return result


def at(findings: list[Finding], code: str) -> list[str]:
    return [f.path for f in findings if f.code == code]


def test_every_finding_is_complete():
    for plan in (Plan(), full_plan(), niedersachsen_school()):
        for finding in validate_plan(plan, today=DAY):
            assert isinstance(finding.severity, Severity)
            assert finding.code and finding.message_de and finding.message_en
            assert finding.message_de != finding.message_en


def test_empty_draft_is_checked_not_refused():
    findings = validate_plan(Plan())
    assert at(findings, "programme.missing") == ["programme.rule_pack_id"]
    assert has_errors(findings)
    plan = Plan(programme=FundingProgramme("dp1-ni", "1"))
    codes = by_code(validate_plan(plan, today=DAY))
    # NI requires profile, inventory, pedagogy, training, support, measures; recommends the rest.
    assert [f.path for f in codes["section.missing"]] == ["profile", "inventory", "pedagogy", "training", "support", "measures"]
    assert [f.path for f in codes["section.recommended"]] == ["goals", "target", "evaluation"]
    assert all(f.severity is Severity.ERROR for f in codes["section.missing"])
    assert codes["section.missing"][0].source.startswith("https://bildungsportal-niedersachsen.de/")
    # An invalid draft still round-trips through JSON unchanged.
    assert plan_from_json(plan_to_json(plan)) == plan


def test_unknown_programme_is_an_error_but_content_is_still_checked():
    plan = niedersachsen_school()
    plan.programme = FundingProgramme("dp7-xx", "1")
    plan.profile.name = ""
    codes = by_code(validate_plan(plan))
    assert codes["programme.unknown"][0].path == "programme.rule_pack_id"
    assert codes["profile.name.missing"][0].path == "profile.name"
    plan.programme = FundingProgramme("dp1-federal", "1")
    assert "programme.abstract" in by_code(validate_plan(plan))


def test_niedersachsen_school_findings():
    findings = validate_plan(niedersachsen_school(), today=DAY)
    codes = by_code(findings)
    assert at(findings, "measure.not_eligible") == ["measures[5].category"]
    assert codes["measure.not_eligible"][0].severity is Severity.INFO
    assert at(findings, "measure.eligibility_unknown") == ["measures[6].category"]
    assert codes["measure.eligibility_unknown"][0].severity is Severity.WARNING
    assert at(findings, "measure.link.missing") == ["measures[7].linked_measure_id"]
    assert "https://sofortausstattungfaq.schleswig-holstein.de" in codes["measure.link.missing"][0].source
    # NI requires the pedagogical concept, which this plan lacks.
    assert at(findings, "section.missing") == ["pedagogy"]
    # Within the cap and the budget: no such findings.
    assert not [c for c in codes if c.startswith(("cap.", "budget."))]
    # Support staffing: 0.35 FTE planned >= 0.18 needed.
    assert "support.staff_below_norm" not in codes


def test_budget_exceeded_and_staffing_below_norm():
    plan = niedersachsen_school()
    plan.programme.allocated_budget = D("50000.00")
    plan.support.first_level = SupportLevel(provider="Schule", staff_fte=D("0"))
    plan.support.second_level = SupportLevel(provider="Kreis", staff_fte=D("0.1"))
    plan.target.items.append(TargetItem(id="t9", kind=DeviceKind.LAPTOP, quantity=400, pedagogical_reason="1:1"))
    codes = by_code(validate_plan(plan, today=DAY))
    # Grant 62,605.48 against 50,000.00: 12,605.48 over.
    (over,) = codes["budget.exceeded"]
    assert over.severity is Severity.WARNING and over.path == "measures"
    assert "12.605,48 €" in over.message_de and "EUR 12,605.48" in over.message_en
    # 70 + 400 = 470 end devices / 400 = 1.175 -> 1.18 FTE needed; 0.1 planned.
    (staff,) = codes["support.staff_below_norm"]
    assert "1.18" in staff.message_en and "0.1" in staff.message_en and "tagesspiegel" in staff.source


def test_bad_measures_are_marked_at_their_field():
    plan = niedersachsen_school()
    plan.measures = [
        Measure(id="a", year=2022, category="wlan", description="AP", quantity=D("-3"), unit_price=D("150")),
        Measure(id="b", year=2022, category="wlan", description="AP", quantity=D("2"), unit_price=D("-1")),
        Measure(id="c", year=2022, category="drohnen", description="X", quantity=D("1"), unit_price=D("1")),
        Measure(id="d", year=None, category="", description="", quantity=D("0"), unit_price=D("0")),
        Measure(id="e", year=2031, category="wlan", description="AP", quantity=D("250000"), unit_price=D("2000000")),
        Measure(id="e", year=2022, category="accompanying", description="Setup", quantity=D("1"), unit_price=D("10"), linked_measure_id="zz"),
        Measure(id="g", year=2022, category="accompanying", description="Setup", quantity=D("1"), unit_price=D("10"), linked_measure_id="h"),
        Measure(id="h", year=2022, category="smartphones", description="Phones", quantity=D("1"), unit_price=D("10")),
        Measure(id="i", year=2022, category="school_server", description="Cache", quantity=D("1"), unit_price=D("10")),
        Measure(id="j", year=2022, category="wlan", description="Huge", quantity=D("1e30"), unit_price=D("1e30")),
    ]
    findings = validate_plan(plan, today=DAY)
    severity = {(f.code, f.path): f.severity for f in findings}
    expected = {
        ("measure.quantity.negative", "measures[0].quantity"): Severity.ERROR,
        ("measure.unit_price.negative", "measures[1].unit_price"): Severity.ERROR,
        ("measure.category.unknown", "measures[2].category"): Severity.ERROR,
        ("measure.year.missing", "measures[3].year"): Severity.ERROR,
        ("measure.category.missing", "measures[3].category"): Severity.ERROR,
        ("measure.description.missing", "measures[3].description"): Severity.WARNING,
        ("measure.quantity.zero", "measures[3].quantity"): Severity.WARNING,
        ("measure.unit_price.zero", "measures[3].unit_price"): Severity.WARNING,
        ("measure.year.outside_period", "measures[4].year"): Severity.WARNING,
        ("measure.quantity.absurd", "measures[4].quantity"): Severity.WARNING,
        ("measure.unit_price.absurd", "measures[4].unit_price"): Severity.WARNING,
        ("measure.total.absurd", "measures[4]"): Severity.WARNING,
        ("measure.id.duplicate", "measures[4].id"): Severity.ERROR,
        ("measure.id.duplicate", "measures[5].id"): Severity.ERROR,
        ("measure.link.unknown", "measures[5].linked_measure_id"): Severity.ERROR,
        ("measure.link.not_eligible", "measures[6].linked_measure_id"): Severity.WARNING,
        ("measure.not_eligible", "measures[7].category"): Severity.INFO,
        ("measure.condition", "measures[8].category"): Severity.INFO,
        ("measure.quantity.too_large", "measures[9].quantity"): Severity.ERROR,
        ("measure.unit_price.too_large", "measures[9].unit_price"): Severity.ERROR,
        ("calculation.failed", "measures"): Severity.ERROR,
    }
    for key, level in expected.items():
        assert severity.get(key) is level, key
    unknown = next(f for f in findings if f.code == "measure.category.unknown")
    assert "drohnen" in unknown.message_de and "wlan" in unknown.message_en  # names the allowed categories
    condition = next(f for f in findings if f.code == "measure.condition")
    assert "12 Monate" in condition.message_de and condition.source.startswith("https://www.gesetze-bayern.de/")


def test_other_sections_content_rules():
    plan = full_plan()
    plan.profile.pupils, plan.profile.pupils_part_time = -5, 3
    plan.inventory.devices.append(DeviceStock(kind=DeviceKind.TABLET, count=-2, room_id="X9"))
    plan.pedagogy.entries.append(CurriculumEntry(id="c9", subject="", grade_levels=[14], competence="kmk.9"))
    plan.target.items.append(TargetItem(id="t9", kind=DeviceKind.TABLET, quantity=-1))
    plan.training.items.append(TrainingItem(id="f9", topic="", participants="", hours=D("-1"), cost=D("-5"), year=2035))
    plan.support.second_level.staff_fte = D("-0.5")
    plan.evaluation.horizon_years = 40
    findings = validate_plan(plan, today=DAY)
    paths = {(f.code, f.path) for f in findings}
    for item in [
        ("profile.pupils.negative", "profile.pupils"),
        ("profile.pupils_part_time.too_many", "profile.pupils_part_time"),
        ("inventory.count.negative", "inventory.devices[2].count"),
        ("room.unknown", "inventory.devices[2].room_id"),
        ("pedagogy.subject.missing", "pedagogy.entries[2].subject"),
        ("pedagogy.grade_level.invalid", "pedagogy.entries[2].grade_levels[0]"),
        ("pedagogy.competence.unknown", "pedagogy.entries[2].competence"),
        ("target.quantity.negative", "target.items[2].quantity"),
        ("target.reason.missing", "target.items[2].pedagogical_reason"),
        ("training.topic.missing", "training.items[1].topic"),
        ("training.hours.negative", "training.items[1].hours"),
        ("training.cost.negative", "training.items[1].cost"),
        ("training.year.outside_period", "training.items[1].year"),
        ("support.staff_fte.negative", "support.second_level.staff_fte"),
        ("evaluation.horizon.absurd", "evaluation.horizon_years"),
    ]:
        assert item in paths, item
    # KMK areas 1, 2, 4 and 6 are not worked on by any subject.
    assert len([f for f in findings if f.code == "pedagogy.area.uncovered"]) == 4


def test_target_reason_is_an_error_where_the_land_requires_the_target_section():
    plan = full_plan()
    plan.target.items[0].pedagogical_reason = ""
    ni = next(f for f in validate_plan(plan, today=DAY) if f.code == "target.reason.missing")
    assert ni.severity is Severity.WARNING  # NI only recommends the target section
    plan.programme = FundingProgramme("dp1-nw", "1")
    plan.pedagogy.framework = CompetenceFramework.MKR_NRW
    plan.pedagogy.entries[0].competence = "mkr.4.1"
    plan.pedagogy.entries[1].competence = "mkr.6"
    findings = validate_plan(plan, today=DAY)
    nw = next(f for f in findings if f.code == "target.reason.missing")
    assert nw.severity is Severity.ERROR and "medienkompetenzrahmen.nrw" in nw.source
    assert not [f for f in findings if f.code.startswith("pedagogy.competence")]


def test_programme_parameters_are_checked():
    plan = niedersachsen_school()
    plan.programme.parameters.update({"per_pupil_amount": D("-1"), "kopfgeld": D("5")})
    plan.programme.allocated_budget = D("-100")
    paths = {(f.code, f.path) for f in validate_plan(plan, today=DAY)}
    assert ("programme.parameter.negative", "programme.parameters.per_pupil_amount") in paths
    assert ("programme.parameter.unknown", "programme.parameters.kopfgeld") in paths
    assert ("programme.allocated_budget.negative", "programme.allocated_budget") in paths
    plan = niedersachsen_school()
    plan.programme = FundingProgramme("dp2", "1", parameters={"funding_rate": D("1.5"), "eligible_wlan": D("0.5")})
    paths = {(f.code, f.path) for f in validate_plan(plan, today=DAY)}
    assert ("programme.parameter.share", "programme.parameters.funding_rate") in paths
    assert ("programme.parameter.flag", "programme.parameters.eligible_wlan") in paths


def test_approximate_and_unknown_values_are_told():
    plan = niedersachsen_school()
    plan.programme = FundingProgramme("dp1-bw", "1")
    codes = by_code(validate_plan(plan, today=DAY))
    assert codes["programme.value.approximate"][0].path == "programme.parameters.per_pupil_amount"
    assert codes["funding.rate_unknown"][0].severity is Severity.INFO
    plan.programme = FundingProgramme("dp2", "1")
    codes = by_code(validate_plan(plan, today=DAY))
    assert "cap.mobile_devices.unknown" in codes and "budget.unknown" in codes
    # m1-m5 and m8 have DP2 categories (eligibility unknown); DP2 has no operation_support or consumables.
    assert [f.path for f in codes["measure.eligibility_unknown"]] == [f"measures[{i}].category" for i in (0, 1, 2, 3, 4, 7)]
    assert [f.path for f in codes["measure.category.unknown"]] == ["measures[5].category", "measures[6].category"]


def test_schleswig_holstein_wants_a_start_date_per_measure():
    plan = niedersachsen_school()
    plan.programme = FundingProgramme("dp1-sh", "1")
    plan.measures[0].start = dt.date(2022, 3, 1)
    missing = [f for f in validate_plan(plan, today=DAY) if f.code == "measure.start.missing"]
    assert [f.path for f in missing] == [f"measures[{i}].start" for i in range(1, 8)]
    assert missing[0].severity is Severity.ERROR and "medienberatung.iqsh.de" in missing[0].source


def test_deadlines_passed_are_info():
    findings = validate_plan(niedersachsen_school(), today=dt.date(2024, 6, 1))
    passed = [f for f in findings if f.code == "deadline.passed"]
    assert [f.severity for f in passed] == [Severity.INFO, Severity.INFO]  # NI application, VV end
    assert "30.06.2023" in passed[0].message_de or "30.06.2023" in passed[1].message_de


def test_nrw_carrier_cap_warnings():
    findings = validate_carrier(nrw_carrier(), today=DAY)
    # Binding carrier-wide check: 87,958.50 of mobile devices against the more favourable limit
    # 55,531.66 (aa: 20% of 277,658.31); 32,426.84 not eligible.
    (carrier_cap,) = [f for f in findings if f.code == "carrier.cap.mobile_devices.exceeded"]
    assert carrier_cap.severity is Severity.WARNING and carrier_cap.path == "measures" and carrier_cap.source == SH_CAP
    for text in ("87.958,50 €", "55.531,66 €", "277.658,31 €", "40.960,00 €", "32.426,84 €"):
        assert text in carrier_cap.message_de
    for text in ("EUR 87,958.50", "EUR 55,531.66", "EUR 32,426.84"):
        assert text in carrier_cap.message_en
    # The school that buys the tablets, in its own view: 71,998.50 against 44,342.70; 27,655.80 over.
    (school_cap,) = [f for f in findings if f.code == "cap.mobile_devices.exceeded"]
    assert (school_cap.path, school_cap.school_number) == ("plans[0].measures", "100001")
    assert "27.655,80 €" in school_cap.message_de and "EUR 27,655.80" in school_cap.message_en
    # ... and how far it is above EUR 25,000 (71,998.50 - 25,000 = 46,998.50).
    (over,) = [f for f in findings if f.code == "carrier.cap.mobile_devices.school_over_per_school_amount"]
    assert over.school_number == "100001" and "46.998,50 €" in over.message_de
    # The Grundschule (15,960.00) and the vocational school get no cap finding.
    assert {f.school_number for f in findings if "cap" in f.code} == {"", "100001"}
    # Within the carrier budget (160,041.68 left): no budget warning; deadlines reported once.
    assert not [f for f in findings if "budget" in f.code]
    (passed,) = [f for f in findings if f.code == "deadline.passed"]
    assert passed.school_number == "" and "31.12.2021" in passed.message_de


def test_carrier_level_rules():
    carrier = nrw_carrier()
    carrier.plans[1].profile.school_number = "100001"
    carrier.plans[2].programme = FundingProgramme("dp1-ni", "1")
    carrier.programme.allocated_budget = D("300000.00")
    carrier.name = ""
    findings = validate_carrier(carrier, today=dt.date(2023, 1, 1))
    paths = {(f.code, f.path) for f in findings}
    assert ("carrier.school.duplicate", "plans[0].profile.school_number") in paths
    assert ("carrier.school.duplicate", "plans[1].profile.school_number") in paths
    assert ("carrier.plan.pack_mismatch", "plans[2].programme.rule_pack_id") in paths
    assert ("carrier.name.missing", "name") in paths
    # 339,958.32 funding against 300,000.00: 39,958.32 over.
    (over,) = [f for f in findings if f.code == "carrier.budget.exceeded"]
    assert "39.958,32 €" in over.message_de
    assert len([f for f in findings if f.code == "deadline.passed"]) == 2  # NRW binding and application dates


@pytest.mark.parametrize("mutate", [
    lambda p: setattr(p.profile, "pupils", 10**30),
    lambda p: setattr(p.measures[0], "unit_price", D("1e400")),
    lambda p: setattr(p.programme, "parameters", {"per_pupil_amount": D("1e300")}),
    lambda p: setattr(p, "profile", SchoolProfile(school_type=SchoolType.BERUFSBILDEND, pupils=5, pupils_part_time=9)),
    lambda p: setattr(p.support, "first_level", SupportLevel(staff_fte=D("1e50"))),
])
def test_the_validator_never_raises(mutate):
    plan = niedersachsen_school()
    mutate(plan)
    findings = validate_plan(plan, today=DAY)
    assert findings
    assert to_data(findings[0])["severity"] in ("error", "warning", "info")  # renderable as JSON
