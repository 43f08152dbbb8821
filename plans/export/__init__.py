"""Exports of media development plans: PDF, ODT, DOCX, XLSX, ODS; JSON is `plans.serialize`.

Pure functions from a plan (or a carrier with its schools' plans) to bytes: no HTTP, no database,
never imports schoolcloud. Each computes the calculator's figures and the validator's findings
unless given them (the editor has them already). `issued_on` is the date printed on the document
(default: today); the validator judges deadlines as of that date. A plan or carrier without a
known funding programme raises `plans.rulepack.UnknownRulePack` (every figure depends on the rule
pack; the validator reports it as programme.missing / programme.unknown); any other draft, however
incomplete or wrong, exports.

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
from plans.export.findings import by_school, findings_summary
from plans.export.form import carrier_workbook, plan_workbook
from plans.export.plan_document import plan_document
from plans.export.to_pdf import render_pdf
from plans.model import Carrier, Plan
from plans.serialize import carrier_to_json, plan_to_json
from plans.validator import Finding, validate_carrier, validate_plan



# The writers import python-docx, odfpy and openpyxl (about 30 MB together): only when a document of that
# kind is made, not in every process that merely offers the downloads.
def render_docx(document) -> bytes:
    from plans.export.to_docx import render_docx

    return render_docx(document)


def render_odt(document) -> bytes:
    from plans.export.to_odt import render_odt

    return render_odt(document)


def render_ods(book) -> bytes:
    from plans.export.to_ods import render_ods

    return render_ods(book)


def render_xlsx(book) -> bytes:
    from plans.export.to_xlsx import render_xlsx

    return render_xlsx(book)


__all__ = [
    "CARRIER_FORMATS", "PLAN_FORMATS", "carrier_json", "carrier_ods", "carrier_pdf", "carrier_xlsx", "plan_docx",
    "plan_json", "plan_ods", "plan_odt", "plan_pdf", "plan_xlsx",
]


def _plan_parts(plan: Plan, issued_on: date | None, result: PlanResult | None, findings: list[Finding] | None):
    issued_on = issued_on or date.today()
    pack = pack_for(plan.programme)
    result = result or calculate_plan(plan, pack)
    # Deadlines are judged as of the document's date, so a document dated in the past reads as it did then.
    findings = validate_plan(plan, pack, today=issued_on) if findings is None else findings
    return pack, result, findings, issued_on


def _plan_doc(plan, issued_on, result, findings):
    pack, result, findings, issued_on = _plan_parts(plan, issued_on, result, findings)
    return plan_document(plan, pack, result, findings, issued_on)


def plan_pdf(plan: Plan, *, issued_on: date | None = None, result: PlanResult | None = None,
             findings: list[Finding] | None = None) -> bytes:
    return render_pdf(_plan_doc(plan, issued_on, result, findings))


def plan_docx(plan: Plan, *, issued_on: date | None = None, result: PlanResult | None = None,
              findings: list[Finding] | None = None) -> bytes:
    return render_docx(_plan_doc(plan, issued_on, result, findings))


def plan_odt(plan: Plan, *, issued_on: date | None = None, result: PlanResult | None = None,
             findings: list[Finding] | None = None) -> bytes:
    return render_odt(_plan_doc(plan, issued_on, result, findings))


def _plan_book(plan, issued_on, result):
    pack, result, _, issued_on = _plan_parts(plan, issued_on, result, [])
    return plan_workbook(plan, pack, result, issued_on)


def plan_xlsx(plan: Plan, *, issued_on: date | None = None, result: PlanResult | None = None, **_unused) -> bytes:
    return render_xlsx(_plan_book(plan, issued_on, result))


def plan_ods(plan: Plan, *, issued_on: date | None = None, result: PlanResult | None = None, **_unused) -> bytes:
    return render_ods(_plan_book(plan, issued_on, result))


def plan_json(plan: Plan, **_unused) -> bytes:
    return plan_to_json(plan).encode()


def _carrier_parts(carrier: Carrier, issued_on: date | None, result: CarrierResult | None,
                   findings: list[Finding] | None):
    issued_on = issued_on or date.today()
    pack = pack_for(carrier.programme)
    result = result or calculate_carrier(carrier, pack)
    findings = validate_carrier(carrier, pack, today=issued_on) if findings is None else findings
    return pack, result, findings, issued_on


def carrier_pdf(carrier: Carrier, *, issued_on: date | None = None, result: CarrierResult | None = None,
                findings: list[Finding] | None = None, with_measures: bool = False) -> bytes:
    pack, result, findings, issued_on = _carrier_parts(carrier, issued_on, result, findings)
    return render_pdf(carrier_document(carrier, pack, result, findings, issued_on, with_measures=with_measures))


def _carrier_book(carrier, issued_on, result, findings):
    pack, result, findings, issued_on = _carrier_parts(carrier, issued_on, result, findings)
    summaries = {number: findings_summary(found) for number, found in by_school(findings).items()}
    return carrier_workbook(carrier, pack, result, summaries, issued_on)


def carrier_xlsx(carrier: Carrier, *, issued_on: date | None = None, result: CarrierResult | None = None,
                 findings: list[Finding] | None = None) -> bytes:
    return render_xlsx(_carrier_book(carrier, issued_on, result, findings))


def carrier_ods(carrier: Carrier, *, issued_on: date | None = None, result: CarrierResult | None = None,
                findings: list[Finding] | None = None) -> bytes:
    return render_ods(_carrier_book(carrier, issued_on, result, findings))


def carrier_json(carrier: Carrier, **_unused) -> bytes:
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
