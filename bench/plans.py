"""Plans benchmark (issue 4): a carrier with 60 schools of 200 measures each; the time to compute,
validate and export the consolidated PDF, beside the time to render the same PDF without
calculation (the document already built from precomputed figures), measured in the same run.

    .venv/bin/python bench/plans.py                         # 60 schools x 200 measures
    .venv/bin/python bench/plans.py --schools 10 --measures 50 --with-measures

Target: compute + validate + consolidated PDF under 10 s on 2 cores. The consolidated XLSX (every
measure row in funding-form order) is timed too. `--with-measures` also lists every school's
measures in the PDF (12,000 table rows at full size: WeasyPrint needs about a minute for that).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pypdf  # noqa: E402

from plans.calculator import calculate_carrier, pack_for  # noqa: E402
from plans.export.carrier_document import carrier_document  # noqa: E402
from plans.export.findings import by_school, findings_summary  # noqa: E402
from plans.export.form import carrier_workbook  # noqa: E402
from plans.export.to_pdf import render_pdf  # noqa: E402
from plans.export.to_xlsx import render_xlsx  # noqa: E402
from plans.model import (  # noqa: E402
    Carrier,
    CompetenceFramework,
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
from plans.validator import validate_carrier  # noqa: E402

ISSUED = date(2026, 11, 27)
# (category, unit, unit price) cycled through the measures; prices from mep-domain.md 4.
ITEMS = [("wlan", "Stück", "150.00"), ("networking", "Raum", "3050.00"), ("display_devices", "Stück", "4000.00"),
         ("work_devices", "Stück", "850.00"), ("mobile_devices", "Stück", "450.00"),
         ("accompanying", "pauschal", "150.00"), ("learning_platform", "pauschal", "1200.00"),
         ("operation_support", "pauschal", "2400.00")]
TYPES = [SchoolType.GRUNDSCHULE, SchoolType.GYMNASIUM, SchoolType.GESAMTSCHULE, SchoolType.REALSCHULE,
         SchoolType.BERUFSBILDEND]


def school(n: int, measures: int) -> Plan:
    rooms = [Room(id=f"R{r}", name=f"Raum {r}", building_id="A", kind=RoomKind.CLASSROOM) for r in range(24)]
    items = []
    for m in range(measures):
        category, unit, price = ITEMS[m % len(ITEMS)]
        items.append(Measure(
            id=f"m{m + 1}", year=2020 + m % 5, category=category, description=f"Maßnahme {m + 1} ({category})",
            quantity=Decimal(1 + m % 7), unit=unit, unit_price=Decimal(price) + Decimal(m % 13) / 4,
            room_id=f"R{m % 24}", linked_measure_id=f"m{m}" if category == "accompanying" else ""))
    return Plan(
        id=f"plan-{n}", title="Medienkonzept",
        programme=FundingProgramme("dp1-nw", "1"),
        profile=SchoolProfile(school_number=f"{100000 + n}", name=f"Schule {n:02d}", school_type=TYPES[n % len(TYPES)],
                              land=Land.NW, carrier_key="05111000", carrier_name="Stadt Bench",
                              pupils=300 + 17 * n, classes=14, teachers=30, rooms=rooms),
        inventory=Inventory(rooms=[RoomEquipment(room_id=f"R{r}", wlan=r % 2 == 0, display=DisplayKind.PROJECTOR)
                                   for r in range(24)],
                            devices=[DeviceStock(kind=DeviceKind.DESKTOP, count=28, user=DeviceUser.PUPILS)]),
        target=TargetEquipment(items=[TargetItem(id="t1", kind=DeviceKind.TABLET, quantity=120, user=DeviceUser.PUPILS,
                                                 pedagogical_reason="Produzieren und Präsentieren")]),
        goals=[Goal(id="g1", text="Jede Klasse arbeitet wöchentlich mit digitalen Medien", indicator="Umfrage",
                    due_year=2024)],
        pedagogy=PedagogicalConcept(framework=CompetenceFramework.MKR_NRW, entries=[
            CurriculumEntry(id=f"c{g}", subject=subject, grade_levels=[g], competence=f"mkr.{1 + g % 6}",
                            content="Unterrichtseinheit", tools="Tablets")
            for g in range(5, 11) for subject in ("Deutsch", "Mathematik", "Englisch")]),
        training=TrainingPlan(items=[TrainingItem(id=f"f{k}", participants="Kollegium", participant_count=30,
                                                  topic="Tablets im Unterricht", year=2021 + k % 3,
                                                  hours=Decimal("3"), cost=Decimal("450.00")) for k in range(6)]),
        support=SupportConcept(first_level=SupportLevel(provider="Medienbeauftragte", staff_fte=Decimal("0.2")),
                               second_level=SupportLevel(provider="IT des Schulträgers", staff_fte=Decimal("0.3")),
                               device_management="MDM des Schulträgers", maintenance="Wartungsvertrag"),
        evaluation=Evaluation(criteria=[EvaluationCriterion(id="e1", indicator="Nutzung", target="wöchentlich",
                                                            method="Umfrage", due_year=2024)], horizon_years=5,
                              update_process="Jährlich in der Schulkonferenz"),
        measures=items,
    )


def carrier(schools: int, measures: int) -> Carrier:
    return Carrier(key="05111000", name="Stadt Bench", land=Land.NW,
                   programme=FundingProgramme("dp1-nw", "1", allocated_budget=Decimal("60000000.00")),
                   support=SupportConcept(first_level=SupportLevel(provider="Medienzentrum"),
                                          second_level=SupportLevel(provider="IT des Schulträgers"),
                                          maintenance="Wartungsvertrag"),
                   plans=[school(n, measures) for n in range(1, schools + 1)],
                   measures=[Measure(id="r1", year=2022, category="regional", description="Zentrales MDM",
                                     quantity=Decimal(1), unit="pauschal", unit_price=Decimal("250000.00"))])


class Timing:
    """Wall-clock and CPU seconds of one step. The work is single-threaded, so on an idle machine
    the two agree; when other work shares the cores, CPU time is the fairer figure."""

    def __init__(self, wall: float, cpu: float):
        self.wall, self.cpu = wall, cpu

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.wall + other.wall, self.cpu + other.cpu)

    def __str__(self) -> str:
        return f"{self.wall:7.2f} s wall {self.cpu:7.2f} s CPU"


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, Timing(time.perf_counter() - wall, time.process_time() - cpu)


def pages(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=60)
    parser.add_argument("--measures", type=int, default=200)
    parser.add_argument("--with-measures", action="store_true", help="also list every measure in the PDF")
    args = parser.parse_args()
    subject = carrier(args.schools, args.measures)
    pack = pack_for(subject.programme)
    render_pdf(carrier_document(Carrier(name="warm-up", programme=subject.programme), pack,
                                calculate_carrier(Carrier(programme=subject.programme), pack), [], ISSUED))

    result, t_calc = timed(lambda: calculate_carrier(subject, pack))
    findings, t_valid = timed(lambda: validate_carrier(subject, pack, today=ISSUED))
    doc, t_doc = timed(lambda: carrier_document(subject, pack, result, findings, ISSUED,
                                                with_measures=args.with_measures))
    pdf, t_render = timed(lambda: render_pdf(doc))
    total = t_calc + t_valid + t_doc + t_render
    # Baseline: the same document, figures already computed, rendered again.
    baseline_doc = carrier_document(subject, pack, result, findings, ISSUED, with_measures=args.with_measures)
    baseline_pdf, t_baseline = timed(lambda: render_pdf(baseline_doc))
    assert baseline_pdf == pdf, "the same document must give the same PDF"
    summaries = {number: findings_summary(found) for number, found in by_school(findings).items()}
    xlsx, t_xlsx = timed(lambda: render_xlsx(carrier_workbook(subject, pack, result, summaries, ISSUED)))

    lines = sum(len(p.measures) for p in subject.plans)
    print(f"carrier with {args.schools} schools x {args.measures} measures ({lines} measure lines), "
          f"{os.cpu_count()} cores, PDF {'with' if args.with_measures else 'without'} measure lists")
    print(f"  load average {os.getloadavg()[0]:.1f} (other work on the machine inflates the wall times)")
    print(f"  compute (calculator)            {t_calc}")
    print(f"  validate                        {t_valid}   ({len(findings)} findings)")
    print(f"  build document                  {t_doc}")
    print(f"  render PDF                      {t_render}   ({pages(pdf)} pages, {len(pdf) / 1e6:.1f} MB)")
    print(f"  total: compute+validate+export  {total}   target < 10 s: "
          f"{'met' if total.wall < 10 else 'missed'} (wall), {'met' if total.cpu < 10 else 'missed'} (CPU)")
    print(f"  baseline: render same PDF only  {t_baseline}   (total is {total.cpu / t_baseline.cpu:.2f}x "
          f"baseline in CPU time)")
    print(f"  consolidated XLSX (all rows)    {t_xlsx}   ({len(xlsx) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
