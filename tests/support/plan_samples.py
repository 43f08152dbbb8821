"""Sample plans for tests: one with every section filled, so that format and export tests see
every field at least once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from plans.model import (
    Building,
    BuildingNetwork,
    CompetenceFramework,
    Connectivity,
    CurriculumEntry,
    DeviceKind,
    DeviceStock,
    DeviceUser,
    DisplayKind,
    Evaluation,
    EvaluationCriterion,
    FundingProgramme,
    Goal,
    Inventory,
    Land,
    Measure,
    PedagogicalConcept,
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


def full_plan() -> Plan:
    """A Niedersachsen Oberschule with every section and list filled."""
    return Plan(
        id="plan-1",
        title="Medienbildungskonzept 2025–2029",
        programme=FundingProgramme(
            rule_pack_id="dp1-ni",
            rule_pack_version="1",
            parameters={"per_pupil_amount": Decimal("123.45")},
            allocated_budget=None,
        ),
        profile=SchoolProfile(
            school_number="12345",
            name="Oberschule Am Deich",
            school_type=SchoolType.OBERSCHULE,
            land=Land.NI,
            carrier_key="03457",
            carrier_name="Landkreis Musterland",
            pupils=400,
            pupils_part_time=0,
            classes=16,
            teachers=34,
            buildings=[Building(id="A", name="Hauptgebäude", address="Deichstraße 1")],
            rooms=[
                Room(id="A101", name="Klassenraum 101", building_id="A", kind=RoomKind.CLASSROOM),
                Room(id="A201", name="Informatikraum", building_id="A", kind=RoomKind.COMPUTER_ROOM),
            ],
            address="Deichstraße 1, 26789 Musterstadt",
            description="Ganztagsschule mit Schwerpunkt MINT – „Lernen mit Medien“.",
        ),
        goals=[Goal(id="g1", text="Alle Klassen arbeiten mit digitalen Tafeln", indicator="Räume mit Display", due_year=2027)],
        inventory=Inventory(
            connectivity=Connectivity(kind="fibre", bandwidth_down_mbit=1000, bandwidth_up_mbit=200, provider="Stadtwerke"),
            buildings=[BuildingNetwork(building_id="A", structured_cabling=True, fibre_backbone=False, wlan_coverage=False)],
            rooms=[
                RoomEquipment(room_id="A101", lan_ports=2, access_points=0, wlan=False, display=DisplayKind.PROJECTOR),
                RoomEquipment(room_id="A201", lan_ports=30, access_points=1, wlan=True, display=DisplayKind.INTERACTIVE_BOARD),
            ],
            devices=[
                DeviceStock(kind=DeviceKind.DESKTOP, count=28, user=DeviceUser.PUPILS, room_id="A201", year_acquired=2018, managed=True),
                DeviceStock(kind=DeviceKind.LAPTOP, count=10, user=DeviceUser.TEACHERS, year_acquired=2021),
            ],
            staff_skills="Etwa die Hälfte des Kollegiums nutzt das Lernmanagementsystem.",
        ),
        pedagogy=PedagogicalConcept(
            framework=CompetenceFramework.KMK_2016,
            entries=[
                CurriculumEntry(id="c1", subject="Deutsch", grade_levels=[5, 6], competence="kmk.3", content="Erklärvideo", tools="Tablets"),
                CurriculumEntry(id="c2", subject="Mathematik", grade_levels=[7], competence="kmk.5", content="Tabellenkalkulation"),
            ],
            teaching_development="Fachschaften erproben je eine Einheit pro Halbjahr.",
        ),
        target=TargetEquipment(
            items=[
                TargetItem(id="t1", kind=DeviceKind.TABLET, quantity=32, user=DeviceUser.PUPILS, description="Tablet-Koffer",
                           pedagogical_reason="Produzieren und Präsentieren in Deutsch 5/6"),
                TargetItem(id="t2", kind=DeviceKind.ACCESS_POINT, quantity=16, room_id="", pedagogical_reason="WLAN in jedem Unterrichtsraum"),
            ],
            rooms=[RoomEquipment(room_id="A101", lan_ports=2, access_points=1, wlan=True, display=DisplayKind.INTERACTIVE_BOARD)],
            connectivity=Connectivity(kind="fibre", bandwidth_down_mbit=1000),
        ),
        training=TrainingPlan(items=[
            TrainingItem(id="f1", participants="Fachschaft Deutsch", participant_count=8, topic="Erklärvideos", competence="kmk.3",
                         year=2025, when="2. Halbjahr", hours=Decimal("4.5"), cost=Decimal("350.00"), provider="Medienzentrum"),
        ]),
        support=SupportConcept(
            first_level=SupportLevel(provider="IT-Beauftragte der Schule", description="Erste Hilfe", staff_fte=Decimal("0.1")),
            second_level=SupportLevel(provider="Kreis-IT", description="Wartung", staff_fte=Decimal("0.25")),
            device_management="MDM des Landkreises", maintenance="Updates zentral", replacement_cycle_years=5,
        ),
        measures=[
            Measure(id="m1", year=2025, category="wlan", description="Access Points", quantity=Decimal("16"), unit="Stück",
                    unit_price=Decimal("150.00"), target_item_id="t2", start=dt.date(2025, 3, 1)),
            Measure(id="m2", year=2026, category="mobile_devices", description="Tablets", quantity=Decimal("32"), unit="Stück",
                    unit_price=Decimal("450.00"), target_item_id="t1"),
            Measure(id="m3", year=2026, category="accompanying", description="MDM-Einrichtung", quantity=Decimal("32"), unit="Stück",
                    unit_price=Decimal("12.50"), linked_measure_id="m2"),
        ],
        evaluation=Evaluation(
            criteria=[EvaluationCriterion(id="e1", indicator="Nutzung der Tablets", target="jede Klasse 1x pro Woche", method="Umfrage", due_year=2027)],
            horizon_years=5, next_review=dt.date(2026, 6, 30), update_process="Jährlich in der Gesamtkonferenz",
        ),
        adopted_on=dt.date(2025, 1, 20),
    )
