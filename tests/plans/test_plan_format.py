"""The plan model and its JSON format: complete round trip and clear errors for bad documents."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from plans.frameworks import KMK_2016, MKR_NRW, framework
from plans.model import SCHEMA_VERSION, Carrier, FundingProgramme, Land, Plan, SchoolType
from plans.serialize import (
    PlanFormatError,
    carrier_from_json,
    carrier_to_json,
    plan_from_json,
    plan_to_json,
    to_data,
)
from tests.support.plan_samples import full_plan


def test_round_trip_keeps_every_field():
    plan = full_plan()
    text = plan_to_json(plan)
    again = plan_from_json(text)
    assert again == plan
    # Exactly the same document again: nothing is lost or reformatted on the second pass.
    assert plan_to_json(again) == text
    assert again.measures[1].unit_price == Decimal("450.00")
    assert str(again.measures[1].unit_price) == "450.00"


def test_money_is_written_as_text_not_float():
    data = json.loads(plan_to_json(full_plan()))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["measures"][0]["unit_price"] == "150.00"
    assert data["training"]["items"][0]["hours"] == "4.5"
    assert data["programme"]["parameters"] == {"per_pupil_amount": "123.45"}
    assert data["measures"][0]["start"] == "2025-03-01"
    assert data["profile"]["school_type"] == "oberschule"


def test_json_numbers_are_read_without_float_rounding():
    data = to_data(full_plan())
    text = json.dumps(data).replace('"unit_price": "150.00"', '"unit_price": 0.1')
    plan = plan_from_json(text)
    assert plan.measures[0].unit_price == Decimal("0.1")


def test_empty_plan_is_a_valid_draft_and_missing_keys_take_defaults():
    assert plan_from_json(plan_to_json(Plan())) == Plan()
    plan = plan_from_json('{"title": "Entwurf", "profile": {"pupils": 12}}')
    assert plan.title == "Entwurf"
    assert plan.profile.pupils == 12
    assert plan.measures == []
    assert plan.profile.school_type is SchoolType.OTHER


def test_carrier_round_trip():
    carrier = Carrier(key="05315000", name="Stadt Köln", land=Land.NW,
                      programme=FundingProgramme(rule_pack_id="dp1-nw", rule_pack_version="1", allocated_budget=Decimal("1000000.00")),
                      plans=[full_plan(), Plan(id="p2", title="Zweite Schule")], measures=[full_plan().measures[0]])
    assert carrier_from_json(carrier_to_json(carrier)) == carrier


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (lambda d: d["measures"][1].__setitem__("unit_price", "zwölf"), "measures[1].unit_price", "not a number"),
        (lambda d: d["measures"][0].__setitem__("unit_price", "NaN"), "measures[0].unit_price", "not a number"),
        (lambda d: d["measures"][0].__setitem__("quantity", True), "measures[0].quantity", "must be a number"),
        (lambda d: d["profile"].__setitem__("pupils", "400"), "profile.pupils", "whole number"),
        (lambda d: d["profile"].__setitem__("pupils", 400.5), "profile.pupils", "whole number"),
        (lambda d: d["profile"].__setitem__("school_type", "uni"), "profile.school_type", "allowed: grundschule"),
        (lambda d: d["profile"].__setitem__("land", "XX"), "profile.land", "unknown value"),
        (lambda d: d["profile"]["rooms"][1].__setitem__("colour", "red"), "profile.rooms[1].colour", "unknown field"),
        (lambda d: d.__setitem__("measures", {}), "measures", "must be a list"),
        (lambda d: d["evaluation"].__setitem__("next_review", "30.06.2026"), "evaluation.next_review", "date"),
        (lambda d: d["inventory"]["rooms"][0].__setitem__("wlan", "yes"), "inventory.rooms[0].wlan", "true or false"),
        (lambda d: d["programme"]["parameters"].__setitem__("per_pupil_amount", None), "programme.parameters.per_pupil_amount", "must be a number"),
        (lambda d: d["pedagogy"]["entries"][0]["grade_levels"].append("5a"), "pedagogy.entries[0].grade_levels[2]", "whole number"),
        (lambda d: d.__setitem__("title", 7), "title", "must be text"),
        (lambda d: d.__setitem__("schema_version", SCHEMA_VERSION + 1), "schema_version", "newer"),
    ],
)
def test_bad_documents_name_the_field(mutate, path, fragment):
    data = to_data(full_plan())
    mutate(data)
    with pytest.raises(PlanFormatError) as caught:
        plan_from_json(json.dumps(data))
    assert caught.value.path == path
    assert fragment in caught.value.message_en
    assert caught.value.message_de and caught.value.message_de != caught.value.message_en
    assert path in str(caught.value)


@pytest.mark.parametrize("text", ['{"title": ', "[1, 2]", b"\xff\xfe{}", "null"])
def test_not_a_plan_at_all(text):
    with pytest.raises(PlanFormatError) as caught:
        plan_from_json(text)
    assert caught.value.path == ""


def test_utf8_bom_is_accepted():
    assert plan_from_json(b"\xef\xbb\xbf" + plan_to_json(full_plan()).encode()) == full_plan()


def test_competence_codes():
    assert KMK_2016.knows("kmk.6")
    assert not KMK_2016.knows("kmk.7")
    assert not KMK_2016.knows("mkr.1")
    assert MKR_NRW.knows("mkr.4.2")
    assert not MKR_NRW.knows("mkr.4.5")
    assert MKR_NRW.area("mkr.2.1").name_de == "Informieren und Recherchieren"
    assert len(KMK_2016.areas) == 6 and len(MKR_NRW.areas) == 6
    assert framework("by_medienbildung").knows("irgendein Bereich")


def test_plans_never_imports_the_web_app():
    import ast
    from pathlib import Path

    import plans

    for path in Path(plans.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(name.split(".")[0] == "schoolcloud" for name in names), path
