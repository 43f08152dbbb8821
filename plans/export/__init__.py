"""Exports of media development plans: PDF, ODT, DOCX, XLSX, ODS; JSON is `plans.serialize`.

Pure functions from a plan (or a carrier with its schools' plans) to bytes: no HTTP, no database,
never imports schoolcloud. Each computes the calculator's figures unless given them (the editor
has them already), and takes the validator's findings when the caller has them. `issued_on` is
the date printed on the document (default: today).

    plan_pdf(plan) / plan_docx / plan_odt      the whole plan with figures and findings
    plan_xlsx(plan) / plan_ods                 cost and measure tables in funding-form order
    plan_json(plan)                            plans.serialize.plan_to_json (re-importable)
    carrier_pdf(carrier) / carrier_xlsx / carrier_ods / carrier_json
                                               one consolidated document for all schools
    PLAN_FORMATS / CARRIER_FORMATS             format name -> (media type, file suffix, function)
"""

from __future__ import annotations

from datetime import date

from plans.calculator import CarrierResult, PlanResult, calculate_carrier, calculate_plan, pack_for
from plans.export.carrier_document import carrier_document
from plans.export.form import carrier_workbook, plan_workbook
from plans.export.plan_document import plan_document
from plans.export.to_docx import render_docx
from plans.export.to_ods import render_ods
from plans.export.to_odt import render_odt
from plans.export.to_pdf import render_pdf
from plans.export.to_xlsx import render_xlsx
from plans.model import Carrier, Plan
from plans.serialize import carrier_to_json, plan_to_json

__all__ = [
    "CARRIER_FORMATS", "PLAN_FORMATS", "carrier_json", "carrier_ods", "carrier_pdf", "carrier_xlsx", "plan_docx",
    "plan_json", "plan_ods", "plan_odt", "plan_pdf", "plan_xlsx",
]


def _plan_parts(plan: Plan, result: PlanResult | None):
    pack = pack_for(plan.programme)
    return pack, result or calculate_plan(plan, pack)


def _plan_doc(plan, issued_on, result, findings):
    pack, result = _plan_parts(plan, result)
    return plan_document(plan, pack, result, list(findings or []), issued_on or date.today())


def plan_pdf(plan: Plan, *, issued_on: date | None = None, result: PlanResult | None = None, findings=None) -> bytes:
    return render_pdf(_plan_doc(plan, issued_on, result, findings))


def plan_docx(plan: Plan, *, issued_on: date | None = None, result: PlanResult | None = None, findings=None) -> bytes:
    return render_docx(_plan_doc(plan, issued_on, result, findings))


def plan_odt(plan: Plan, *, issued_on: date | None = None, result: PlanResult | None = None, findings=None) -> bytes:
    return render_odt(_plan_doc(plan, issued_on, result, findings))


def _plan_book(plan, issued_on, result):
    pack, result = _plan_parts(plan, result)
    return plan_workbook(plan, pack, result, issued_on or date.today())


def plan_xlsx(plan: Plan, *, issued_on: date | None = None, result: PlanResult | None = None, findings=None) -> bytes:
    return render_xlsx(_plan_book(plan, issued_on, result))


def plan_ods(plan: Plan, *, issued_on: date | None = None, result: PlanResult | None = None, findings=None) -> bytes:
    return render_ods(_plan_book(plan, issued_on, result))


def plan_json(plan: Plan, **_ignored) -> bytes:
    return plan_to_json(plan).encode()


def _carrier_parts(carrier: Carrier, result: CarrierResult | None):
    pack = pack_for(carrier.programme)
    return pack, result or calculate_carrier(carrier, pack)


def carrier_pdf(carrier: Carrier, *, issued_on: date | None = None, result: CarrierResult | None = None,
                findings: dict[str, list] | None = None, with_measures: bool = False) -> bytes:
    """`findings` maps school numbers ("" for the carrier) to the validator's findings."""
    pack, result = _carrier_parts(carrier, result)
    return render_pdf(carrier_document(carrier, pack, result, findings or {}, issued_on or date.today(),
                                       with_measures=with_measures))


def _carrier_book(carrier, issued_on, result, findings):
    from plans.export.findings import findings_summary
    pack, result = _carrier_parts(carrier, result)
    summaries = {number: findings_summary(found) for number, found in (findings or {}).items()}
    return carrier_workbook(carrier, pack, result, summaries, issued_on or date.today())


def carrier_xlsx(carrier: Carrier, *, issued_on: date | None = None, result: CarrierResult | None = None,
                 findings: dict[str, list] | None = None) -> bytes:
    return render_xlsx(_carrier_book(carrier, issued_on, result, findings))


def carrier_ods(carrier: Carrier, *, issued_on: date | None = None, result: CarrierResult | None = None,
                findings: dict[str, list] | None = None) -> bytes:
    return render_ods(_carrier_book(carrier, issued_on, result, findings))


def carrier_json(carrier: Carrier, **_ignored) -> bytes:
    return carrier_to_json(carrier).encode()


PDF, DOCX = "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT, ODS = "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet"
XLSX, JSON = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/json"

PLAN_FORMATS = {
    "pdf": (PDF, ".pdf", plan_pdf), "docx": (DOCX, ".docx", plan_docx), "odt": (ODT, ".odt", plan_odt),
    "xlsx": (XLSX, ".xlsx", plan_xlsx), "ods": (ODS, ".ods", plan_ods), "json": (JSON, ".json", plan_json),
}
CARRIER_FORMATS = {
    "pdf": (PDF, ".pdf", carrier_pdf), "xlsx": (XLSX, ".xlsx", carrier_xlsx), "ods": (ODS, ".ods", carrier_ods),
    "json": (JSON, ".json", carrier_json),
}
