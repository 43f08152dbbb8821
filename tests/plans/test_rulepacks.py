"""Rule packs: the bundled files load, carry a source for every value, and mark unknowns; the
loader refuses broken packs with the key path."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
import yaml

from plans.model import CompetenceFramework, Land
from plans.rulepack import (
    PACK_DIR,
    SECTION_NAMES,
    BudgetFormula,
    RulePackError,
    Sourced,
    UnknownRulePack,
    ValueStatus,
    _walk_sourced,
    available_packs,
    load_directory,
    load_pack,
    parse_pack,
)

SH_CAP = "https://dpaktfaq.schleswig-holstein.de/?view=portal&subView=portalFAQ&keyword=35"


def test_bundled_packs():
    ids = {pack.id for pack in available_packs()}
    assert {"dp1-ni", "dp1-nw", "dp1-by", "dp1-bw", "dp1-he", "dp2"} <= ids
    assert "dp1-federal" not in ids  # a base, not offered for plans
    assert {pack.land for pack in available_packs() if pack.programme == "dp1"} == {Land.NI, Land.NW, Land.BY, Land.BW, Land.HE, Land.SH}


@pytest.mark.parametrize("pack", available_packs(include_abstract=True), ids=lambda p: p.id)
def test_every_value_has_a_source_or_is_marked_unknown(pack):
    values = list(_walk_sourced(pack))
    assert len(values) > 10
    for value in values:
        assert isinstance(value, Sourced)
        if value.status is ValueStatus.UNKNOWN:
            assert value.value is None
        else:
            assert value.value is not None
            assert value.sources and all(url.startswith("http") for url in value.sources)
    for category in pack.categories.values():
        assert category.name_de and category.name_en
        if category.eligible.value:
            assert category.pillar in pack.pillars
    assert set(pack.required_sections.value) | set(pack.recommended_sections.value) <= set(SECTION_NAMES)


@pytest.mark.parametrize("pack_id", ["dp1-ni", "dp1-nw", "dp1-by", "dp1-bw", "dp1-he"])
def test_dp1_packs_carry_the_vv_mobile_device_cap(pack_id):
    cap = load_pack(pack_id).mobile_cap
    assert cap.applies_to == "general"
    assert cap.carrier_share.value == Decimal("0.20")
    assert cap.per_school_amount.value == Decimal("25000.00")
    assert cap.transferable_between_schools.value is False
    assert cap.carrier_share.sources == (SH_CAP,)
    pack = load_pack(pack_id)
    assert pack.categories["mobile_devices"].mobile_device
    assert pack.categories["smartphones"].eligible.value is False
    assert pack.categories["consumables"].eligible.status is ValueStatus.UNKNOWN
    assert pack.period_end.value == dt.date(2024, 5, 16)
    assert pack.deadlines["settlement"].date.value == dt.date(2025, 12, 31)


def test_niedersachsen_values():
    pack = load_pack("dp1-ni")
    assert (pack.funding.funding_rate.value, pack.funding.own_share.value) == (Decimal("1.00"), Decimal("0.00"))
    budget = pack.budget
    assert budget.formula is BudgetFormula.SOCKEL_PLUS_WEIGHTED_PER_PUPIL
    assert budget.sockel_per_school.value == Decimal("30000.00")
    assert budget.sockel_min_pupils.value == 60
    assert budget.sockel_per_pupil_below_min.value == Decimal("500.00")
    assert budget.per_pupil_amount.status is ValueStatus.UNKNOWN
    assert budget.per_pupil_amount.parameter == "per_pupil_amount"
    weights = {group: value.value for group, value in budget.pupil_weights.items()}
    assert weights == {"general": Decimal("1.0"), "grundschule": Decimal("0.5"), "vocational_full_time": None,
                       "vocational_part_time": Decimal("0.4")}
    assert pack.deadlines["application"].date.value == dt.date(2023, 6, 30)
    assert "pedagogy" in pack.required_sections.value


def test_nrw_values():
    pack = load_pack("dp1-nw", "1")
    assert (pack.funding.funding_rate.value, pack.funding.own_share.value) == (Decimal("0.90"), Decimal("0.10"))
    assert set(pack.pillars) == {"it_basic", "work_devices", "mobile_devices", "regional"}
    assert pack.categories["wlan"].pillar == "it_basic"
    # the federal category text survives the Land's partial override
    assert pack.categories["wlan"].eligible.value is True
    assert pack.categories["accompanying"].pillar_from_link
    assert pack.framework.value is CompetenceFramework.MKR_NRW
    assert pack.budget.formula is BudgetFormula.ALLOCATED
    assert pack.deadlines["application"].date.value == dt.date(2022, 7, 31)


def test_other_lands():
    hessen = load_pack("dp1-he").funding
    assert (hessen.funding_rate.value, hessen.land_share.value, hessen.own_share.value) == (Decimal("0.75"), Decimal("0.125"), Decimal("0.125"))
    bw = load_pack("dp1-bw")
    assert bw.budget.per_pupil_amount.value == Decimal("433.00")
    assert bw.budget.per_pupil_amount.status is ValueStatus.APPROXIMATE
    assert bw.funding.funding_rate.status is ValueStatus.UNKNOWN
    assert set(bw.required_sections.value) == set(SECTION_NAMES)
    by = load_pack("dp1-by")
    assert by.framework.value is CompetenceFramework.BY_MEDIENBILDUNG
    assert by.funding.funding_rate.value is None and by.funding.funding_rate.parameter == "funding_rate"


def test_schleswig_holstein_leaves_the_rate_open():
    pack = load_pack("dp1-sh")
    assert pack.land is Land.SH and pack.mobile_cap.per_school_amount.value == Decimal("25000.00")
    assert pack.funding.own_share.value is None and "15%" in pack.funding.own_share.note
    assert pack.deadlines["application"].date.value == dt.date(2022, 12, 31)
    assert "training" in pack.required_sections.value
    assert pack.required_measure_fields.value == ("start",)
    assert load_pack("dp1-ni").required_measure_fields.value is None


def test_digitalpakt_2_marks_its_open_values():
    pack = load_pack("dp2")
    assert pack.period_start.value == dt.date(2026, 1, 1)
    assert pack.early_start.value == dt.date(2025, 1, 1)
    for value in (pack.funding.funding_rate, pack.funding.own_share, pack.mobile_cap.carrier_share, pack.mobile_cap.per_school_amount):
        assert value.status is ValueStatus.UNKNOWN and value.value is None and value.note and value.parameter
    assert all(c.eligible.status is ValueStatus.UNKNOWN and c.eligible.parameter for c in pack.categories.values())
    assert "training" not in pack.required_sections.value  # no mandatory teacher training in DP2
    assert {"funding_rate", "cap_carrier_share", "eligible_wlan"} <= set(pack.parameters())


def test_unknown_pack():
    with pytest.raises(UnknownRulePack):
        load_pack("dp9-xx")
    with pytest.raises(UnknownRulePack):
        load_pack("dp1-ni", "99")


def _ni_data() -> dict:
    return yaml.safe_load((PACK_DIR / "dp1-ni.v1.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (lambda d: d["funding"]["funding_rate"].pop("source"), "funding.funding_rate.source", "needs its source"),
        (lambda d: d["funding"].__setitem__("funding_rate", {"value": "0.5", "status": "unknown", "note": "x"}), "funding.funding_rate.value", "must be null"),
        (lambda d: d["funding"].__setitem__("funding_rate", {"value": None, "status": "unknown"}), "funding.funding_rate.note", "needs a note"),
        (lambda d: d["funding"].__setitem__("funding_rate", {"value": None, "status": "known", "source": "ni_grant"}), "funding.funding_rate.value", "is missing"),
        (lambda d: d["funding"]["funding_rate"].__setitem__("status", "probably"), "funding.funding_rate.status", "must be one of"),
        (lambda d: d["funding"]["funding_rate"].__setitem__("value", "0.9"), "funding", "must be 1"),
        (lambda d: d["funding"]["funding_rate"].__setitem__("value", "1.5"), "funding.funding_rate.value", "between 0 and 1"),
        (lambda d: d["funding"]["own_share"].__setitem__("source", "nowhere"), "funding.own_share.source", "unknown source"),
        (lambda d: d["budget"]["sockel_per_school"].__setitem__("value", "-1"), "budget.sockel_per_school.value", "not negative"),
        (lambda d: d["budget"]["sockel_per_school"].__setitem__("value", "viel"), "budget.sockel_per_school.value", "not a number"),
        (lambda d: d["budget"]["sockel_min_pupils"].__setitem__("value", 60.5), "budget.sockel_min_pupils.value", "whole number"),
        (lambda d: d["budget"].pop("sockel_per_school"), "budget.sockel_per_school", "needed by the formula"),
        (lambda d: d["budget"].__setitem__("formula", "magic"), "budget.formula", "must be one of"),
        (lambda d: d["budget"]["pupil_weights"].pop("grundschule"), "budget.pupil_weights.grundschule", "is missing"),
        (lambda d: d["sections"]["required"]["value"].append("chapter9"), "sections.required.value[6]", "unknown section"),
        (lambda d: d.__setitem__("categories", {"drones": {"pillar": "air", "eligible": {"value": True, "status": "known", "source": "ni_grant"}, "name_de": "D", "name_en": "D"}}), "categories.drones.pillar", "unknown pillar"),
        (lambda d: d.__setitem__("colour", "blue"), "colour", "unknown key"),
        (lambda d: d.__setitem__("extends", "dp0-base"), "extends", "unknown base pack"),
        (lambda d: d.__setitem__("land", "XX"), "land", "unknown Land"),
        (lambda d: d["deadlines"]["application"]["date"].__setitem__("value", "31.07.2022"), "deadlines.application.date.value", "YYYY-MM-DD"),
        (lambda d: d.__setitem__("sources", {"x": "ftp://example"}), "sources.x", "http(s) URL"),
        (lambda d: d.__setitem__("measure_fields", {"value": ["colour"], "status": "known", "source": "ni_grant"}), "measure_fields.value", "measure fields"),
    ],
)
def test_broken_packs_are_refused_with_the_key_path(mutate, path, fragment):
    data = _ni_data()
    mutate(data)
    with pytest.raises(RulePackError) as caught:
        parse_pack(data, origin="edited.yaml")
    assert caught.value.path == path, caught.value
    assert fragment in caught.value.message
    assert str(caught.value).startswith("edited.yaml: ")


def test_an_edited_pack_can_fill_the_open_values():
    data = yaml.safe_load((PACK_DIR / "dp2.v1.yaml").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["id"], data["land"] = "dp2-ni", "NI"
    data["funding"]["funding_rate"] = {"value": "0.8", "status": "known", "source": "https://example.org/richtlinie"}
    data["funding"]["land_share"] = {"value": "0.1", "status": "known", "source": "https://example.org/richtlinie"}
    data["funding"]["own_share"] = {"value": "0.1", "status": "known", "source": "https://example.org/richtlinie"}
    pack = parse_pack(data, origin="dp2-ni")
    assert pack.funding.funding_rate.value == Decimal("0.8")
    assert pack.land is Land.NI


def test_file_name_must_match_id_and_version(tmp_path):
    (tmp_path / "dp1-federal.v1.yaml").write_text((PACK_DIR / "dp1-federal.v1.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "ni.yaml").write_text((PACK_DIR / "dp1-ni.v1.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(RulePackError, match="file name must be dp1-ni.v1.yaml"):
        load_directory(tmp_path)
    (tmp_path / "ni.yaml").write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(RulePackError, match="not valid YAML"):
        load_directory(tmp_path)


def test_newest_version_is_the_default(tmp_path):
    for name in ("dp1-federal.v1.yaml", "dp1-ni.v1.yaml"):
        (tmp_path / name).write_text((PACK_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    newer = _ni_data()
    newer["version"] = "10"
    (tmp_path / "dp1-ni.v10.yaml").write_text(yaml.safe_dump(newer, allow_unicode=True), encoding="utf-8")
    packs = load_directory(tmp_path)
    assert set(packs) == {("dp1-federal", "1"), ("dp1-ni", "1"), ("dp1-ni", "10")}
    assert packs[("dp1-ni", "10")].budget.sockel_per_school.value == Decimal("30000.00")
