"""Plan and carrier exports of the plans rebuilt by hand in test_plan_calculator (Niedersachsen,
400 pupils; NRW carrier with three schools, one buying tablets above the cap). Each file is read
back with an independent reader; the tables must hold the calculator's figures, and the key ones
are also checked against the hand-computed amounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from plans import export
from plans.calculator import calculate_carrier, calculate_plan
from plans.export import fmt
from plans.export.texts import SECTION_HEADINGS
from plans.model import Carrier, FundingProgramme, Measure, Plan
from plans.rulepack import UnknownRulePack
from plans.export.findings import by_school, findings_summary
from plans.serialize import carrier_from_json, plan_from_json
from plans.validator import validate_carrier, validate_plan
from tests.plans.test_plan_calculator import niedersachsen_school, nrw_carrier
from tests.support.export_readers import (
    docx_document,
    docx_footer_fields,
    docx_headings,
    docx_tables,
    joined,
    odf_footer_text,
    odf_tables,
    ods_values,
    odt_headings,
    odt_text,
    pdf_pages,
    xlsx_print_frame,
    xlsx_values,
)
from tests.support.plan_samples import full_plan

ISSUED = date(2026, 3, 2)
ISSUED_TEXT = "Stand: 2. März 2026"
HEADINGS = ["Überblick", *SECTION_HEADINGS.values(), "9. Kennzahlen und Orientierungswerte", "10. Prüfergebnis"]
MEASURE_FORM_HEADER = [
    "Trägerkennziffer", "Schulnummer", "Schule", "Lfd. Nr.", "Förderbereich", "Kategorie", "Maßnahme", "Jahr",
    "Beginn", "Menge", "Einheit", "Einzelpreis (brutto)", "Gesamtkosten (brutto)", "Förderfähig",
    "Förderfähige Kosten", "Mobiles Endgerät (Obergrenze)"]


def amount(value: D) -> str:
    """A table cell's text for an amount (the € sign is in the column header)."""
    return fmt.money(value).replace("\u00a0", " ")[:-2]


def euro(value: D) -> str:
    return fmt.money(value).replace("\u00a0", " ")


def table_starting(tables, *header) -> list[list[str]]:
    found = [t for t in tables if t[0][:len(header)] == list(header)]
    assert found, f"no table with header {header}"
    return found[0]


@pytest.fixture(scope="module")
def ni():
    plan = niedersachsen_school()
    plan.profile.carrier_key, plan.profile.carrier_name = "03457", "Landkreis Nord"
    return plan, calculate_plan(plan)


# ---------------------------------------------------------------- Niedersachsen, one school


def test_ni_pdf_pages_headings_and_figures(ni):
    plan, result = ni
    pages = pdf_pages(export.plan_pdf(plan, issued_on=ISSUED))
    for number, text in enumerate(pages, start=1):
        assert f"Seite {number} von {len(pages)}" in text and ISSUED_TEXT in text
        assert "Oberschule Nord" in text
    lines = "\n".join(pages).splitlines()
    position = 0
    for heading in HEADINGS:  # every heading, in order
        position = lines.index(heading, position) + 1
    full = joined("\n".join(pages))
    assert "Schulnummer 99001" in full
    # The pillar table: the calculator's buckets, and the hand-computed figures of the test above.
    for bucket in result.by_pillar:
        assert f"{bucket.name_de} {amount(bucket.total)} {amount(bucket.eligible)} {amount(bucket.not_eligible)}" in full
    assert "Vernetzung und WLAN 20.145,47 20.145,47 0,00" in full
    assert "Summe 65.378,88 62.605,48 2.773,40" in full
    for bucket in result.by_year:
        assert f"{bucket.year} {amount(bucket.total)} {amount(bucket.eligible)} {amount(bucket.not_eligible)}" in full
    # Every measure line with the calculator's line total (m3: 3 x 33.335 = 100.005 -> 100,01).
    for line, measure in zip(result.lines, plan.measures):
        assert f"{amount(measure.unit_price)} {amount(line.total)}" in full
    assert "33,335 100,01 ja" in full  # the unit price as entered, the line total as the calculator rounds it
    assert "Zuwendung (Förderung) 62.605,48 €" in full
    assert f"Gesamtkosten {euro(result.money.total)}" in full
    assert "Budget insgesamt 75.000,00" in full and "verbleibendes Budget 12.394,52 €" in full
    assert "Sockelbetrag (für die Schule reserviert) 400 >= 60: 30000.00 ja 30.000,00" in full
    assert "Zulässig (günstigere Grenze) 14.368,00 €" in full and "Überschreitung 0,00 €" in full
    assert "Schülerinnen und Schüler je Gerät (Soll) 6,67" in full
    assert "Endgeräte für Schülerinnen und Schüler Ist 28, Soll 60" in full
    assert "Unterrichtsräume mit Anzeigegerät und WLAN Ist 1, Soll 17 von 17" in full
    assert "Technik-Personal nötig (VZÄ, 1 je 400 Geräte) 0,18" in full
    assert "Summe 40 7,5 1.550,00" in full  # training: participants, the calculator's hours and cost


def test_ni_findings_in_the_documents(ni):
    plan, _ = ni
    findings = validate_plan(plan, today=ISSUED)
    # Hand count: error: pedagogy missing; warnings: goals and evaluation recommended, first- and
    # second-level provider, consumables' eligibility unknown, m8 without a link; notes: m6 not
    # eligible and three deadlines passed by 2 March 2026.
    assert findings_summary(findings) == "1 Fehler, 6 Warnungen, 4 Hinweise"
    pdf = joined("\n".join(pdf_pages(export.plan_pdf(plan, issued_on=ISSUED))))
    assert "Prüfergebnis 1 Fehler, 6 Warnungen, 4 Hinweise" in pdf  # in the overview
    assert "Prüfergebnis: 1 Fehler, 6 Warnungen, 4 Hinweise." in pdf  # section 10
    assert "Fehler Pädagogisches Konzept (pedagogy) Der Abschnitt Pädagogisches Konzept fehlt." in pdf
    for finding in findings:
        assert finding.message_de in pdf
    rows = table_starting(docx_tables(export.plan_docx(plan, issued_on=ISSUED)), "Schwere", "Bereich", "Befund")
    assert [row[2] for row in rows[1:]] == [f.message_de for f in sorted(
        findings, key=lambda f: ["error", "warning", "info"].index(f.severity))]
    assert rows[1][:2] == ["Fehler", "Pädagogisches Konzept (pedagogy)"]
    odt_rows = table_starting(list(odf_tables(export.plan_odt(plan, issued_on=ISSUED)).values()), "Schwere")
    assert odt_rows == rows


def test_ni_docx_and_odt_hold_the_calculators_tables(ni):
    plan, result = ni
    docx_bytes = export.plan_docx(plan, issued_on=ISSUED)
    odt_bytes = export.plan_odt(plan, issued_on=ISSUED)
    assert [text for _, text in docx_headings(docx_bytes) if text in HEADINGS] == HEADINGS
    assert [text for _, text in odt_headings(odt_bytes) if text in HEADINGS] == HEADINGS
    assert docx_footer_fields(docx_bytes) == ["PAGE", "NUMPAGES"]
    assert docx_document(docx_bytes).sections[0].footer.paragraphs[0].text.startswith(ISSUED_TEXT + "\tSeite ")
    footer, numbers, counts = odf_footer_text(odt_bytes)
    assert footer.startswith(ISSUED_TEXT) and (numbers, counts) == (1, 1)
    assert docx_document(docx_bytes).sections[0].header.paragraphs[0].text.startswith("Oberschule Nord\t")

    expected_pillars = [[b.name_de, amount(b.total), amount(b.eligible), amount(b.not_eligible)]
                        for b in result.by_pillar]
    expected_measures = [[m.id, str(m.year), m.description, line.category_name_de, str(m.quantity), m.unit,
                          amount(m.unit_price), amount(line.total)] for m, line in zip(plan.measures, result.lines)]
    for tables in (docx_tables(docx_bytes), list(odf_tables(odt_bytes).values())):
        pillars = table_starting(tables, "Förderbereich", "Gesamtkosten (€)", "förderfähig (€)")
        assert pillars[1:-1] == expected_pillars
        assert pillars[-1] == ["Summe", "65.378,88", "62.605,48", "2.773,40"]
        measures = table_starting(tables, "Nr.", "Jahr", "Maßnahme", "Kategorie")
        assert [row[:8] for row in measures[1:-1]] == expected_measures
        assert [row[8] for row in measures[1:-1]] == [
            "ja", "ja", "ja", "ja", "ja", "nicht förderfähig", "Förderfähigkeit unbekannt",
            "ohne förderfähige Investition"]
        assert measures[-1][7] == "65.378,88"
        matrix = table_starting(tables, "Förderbereich", "2022 (€)", "2023 (€)", "Summe (€)")
        assert matrix[-1] == ["Summe", "20.245,48", "45.133,40", "65.378,88"]


def test_ni_xlsx_and_ods_in_funding_form_order(ni):
    plan, result = ni
    for sheets in (xlsx_values(export.plan_xlsx(plan, issued_on=ISSUED)),
                   ods_values(export.plan_ods(plan, issued_on=ISSUED))):
        assert list(sheets) == ["Maßnahmen", "Kosten je Förderbereich", "Kosten je Jahr", "Finanzierung",
                                "Fortbildung"]
        rows = sheets["Maßnahmen"]
        assert rows[0] == MEASURE_FORM_HEADER
        body = rows[1:-1]
        assert [r[:4] for r in body] == [["03457", "99001", "Oberschule Nord", m.id] for m in plan.measures]
        assert [r[12] for r in body] == [line.total for line in result.lines]
        assert [r[12] for r in body] == [D("7799.80"), D("12345.67"), D("100.01"), D("27992.00"), D("14368.00"),
                                         D("2400.00"), D("123.40"), D("250.00")]
        assert [r[14] for r in body] == [line.total if line.eligible else 0 for line in result.lines]
        assert [(r[9], r[11]) for r in body] == [(m.quantity, m.unit_price) for m in plan.measures]
        assert rows[-1][12] == result.money.total == D("65378.88")
        pillars = sheets["Kosten je Förderbereich"]
        assert pillars[1:-1] == [[b.name_de, b.total, b.eligible, b.not_eligible] for b in result.by_pillar]
        financing = {row[0]: row[1] for row in sheets["Finanzierung"][1:]}
        assert financing["Zuwendung (Förderung)"] == result.money.funding == D("62605.48")
        assert financing["Eigenmittel insgesamt"] == D("2773.40")
        assert (financing["Budget"], financing["verbleibendes Budget"]) == (D("75000.00"), D("12394.52"))
        assert financing["Überschreitung der Obergrenze"] == 0
        training = sheets["Fortbildung"][-1]
        assert (training[0], training[6], training[8]) == ("Summe", result.training.hours, result.training.cost)
        assert (training[6], training[8]) == (D("7.5"), D("1550.00"))
    frame = xlsx_print_frame(export.plan_xlsx(plan, issued_on=ISSUED))["Maßnahmen"]
    assert frame == ("Oberschule Nord", "Kosten- und Maßnahmenplan: Maßnahmen", ISSUED_TEXT, "Seite &P von &N")


def test_json_export_is_the_domain_serialisation_and_reimports():
    plan = full_plan()
    assert plan_from_json(export.plan_json(plan)) == plan
    carrier = nrw_carrier()
    assert carrier_from_json(export.carrier_json(carrier)) == carrier


def test_every_section_of_a_full_plan_reaches_the_text_documents():
    plan = full_plan()
    texts = ["Ganztagsschule mit Schwerpunkt MINT", "Alle Klassen arbeiten mit digitalen Tafeln",
             "Etwa die Hälfte des Kollegiums", "kmk.3 Produzieren und Präsentieren", "Erklärvideo",
             "Produzieren und Präsentieren in Deutsch 5/6", "Fachschaft Deutsch", "MDM des Landkreises",
             "Nutzung der Tablets", "Jährlich in der Gesamtkonferenz", "Medienzentrum"]
    pdf = joined("\n".join(pdf_pages(export.plan_pdf(plan, issued_on=ISSUED))))
    docx_text = "\n".join(p.text for p in docx_document(export.plan_docx(plan, issued_on=ISSUED)).paragraphs)
    docx_text += "\n".join(c for t in docx_tables(export.plan_docx(plan, issued_on=ISSUED)) for r in t for c in r)
    odt = odt_text(export.plan_odt(plan, issued_on=ISSUED))
    for text in texts:
        assert text in pdf
        assert text in docx_text
        assert text in odt


# ---------------------------------------------------------------- NRW carrier, three schools


@pytest.fixture(scope="module")
def nrw():
    carrier = nrw_carrier()
    return carrier, calculate_carrier(carrier)


def test_carrier_pdf_totals_budget_and_cap_across_schools(nrw):
    carrier, result = nrw
    pages = pdf_pages(export.carrier_pdf(carrier, issued_on=ISSUED))
    for number, text in enumerate(pages, start=1):
        assert f"Seite {number} von {len(pages)}" in text and ISSUED_TEXT in text and "Stadt Musterstadt" in text
    full = joined("\n".join(pages))
    assert "Medienentwicklungsplan des Schulträgers" in full
    for heading in ("1. Schulen im Überblick", "2. Kosten je Schule", "3. Kosten, Finanzierung und Budget des "
                    "Schulträgers", "4. Maßnahmen des Schulträgers (regionale Maßnahmen)", "5. Prüfergebnis"):
        assert heading in full
    assert "Gesamtkosten 410.158,31 €" in full
    assert "Schulträgerbudget 500.000,00 €" in full and "verbleibendes Budget 160.041,68 €" in full
    assert "Zuwendung (Förderung) 339.958,32 €" in full
    assert "Obergrenze mobile Endgeräte überschritten um 32.426,84 €" in full
    assert "überschreiten die Obergrenze um 32.426,84 €" in full
    assert "aa) Grenze 55.531,66 €" in full and "bb) Grenze (Summe je Schule) 40.960,00 €" in full
    assert "Maßgebliche Grenze aa) Anteil am Investitionsvolumen des Schulträgers" in full
    # Per school: the cap table and the schools table hold the calculator's per-school figures.
    for school_cap in result.mobile_cap.schools:
        assert (f"{school_cap.school_number} {school_cap.name} {amount(school_cap.mobile)} "
                f"{amount(school_cap.investment)} {amount(school_cap.over_per_school_amount)}") in full
    assert "100001 Gymnasium am Park 71.998,50 221.713,50 46.998,50" in full
    for school in result.schools:
        assert f"{school.school_number} {school.school_name}" in full
        assert amount(school.money.total) in full
    assert "Kürzung wegen Obergrenze mobile Endgeräte -32.426,84 32.426,84" in full
    assert "Summe 410.158,31 377.731,47 32.426,84" in full


def test_carrier_pdf_findings(nrw):
    carrier, _ = nrw
    findings = validate_carrier(carrier, today=ISSUED)
    full = joined("\n".join(pdf_pages(export.carrier_pdf(carrier, issued_on=ISSUED))))
    assert f"Prüfergebnis: {findings_summary(findings)}." in full
    cap = next(f for f in findings if f.code == "carrier.cap.mobile_devices.exceeded")
    assert "Befunde zum Schulträger" in full and f"Warnung Maßnahmen, Zeit- und Kostenplan (measures) {cap.message_de}" in full
    assert "Befunde der Schulen nach Art" in full
    assert "Fehler Der Abschnitt Pädagogisches Konzept fehlt. 3 100001, 100002, 100003" in full
    assert "Hinweis Laufende Kosten" not in full  # no such measure in the NRW plans
    school_cap = next(f for f in findings if f.code.startswith("cap.") and f.school_number == "100001")
    assert f"{school_cap.message_de} 1 100001" in full
    for number, found in by_school(findings).items():
        if number:
            assert f"{findings_summary(found)}" in full


def test_carrier_pdf_can_list_every_measure(nrw):
    carrier, result = nrw
    full = joined("\n".join(pdf_pages(export.carrier_pdf(carrier, issued_on=ISSUED, with_measures=True))))
    assert "6. Maßnahmen der Schulen" in full
    assert "a3 2022 a3 Schulgebundene mobile Endgeräte" in full and "479,99 71.998,50 ja" in full
    assert "r1 2022 r1 Regionale Maßnahmen" in full


def test_carrier_spreadsheets_hold_every_line_and_the_totals(nrw):
    carrier, result = nrw
    for sheets in (xlsx_values(export.carrier_xlsx(carrier, issued_on=ISSUED)),
                   ods_values(export.carrier_ods(carrier, issued_on=ISSUED))):
        rows = sheets["Maßnahmen"]
        assert rows[0] == MEASURE_FORM_HEADER
        body = rows[1:-1]
        assert [(r[0], r[1], r[3]) for r in body] == [
            ("05111000", "100001", "a1"), ("05111000", "100001", "a2"), ("05111000", "100001", "a3"),
            ("05111000", "100002", "b1"), ("05111000", "100002", "b2"), ("05111000", "100002", "b3"),
            ("05111000", "100003", "c1"), ("05111000", "100003", "c2"), ("05111000", "0000", "r1")]
        assert [r[12] for r in body] == [line.total for line in result.lines]
        assert body[5][4] == "IT-Grundstruktur"  # b3 accompanies b1 and is counted in its pillar
        assert rows[-1][12] == result.money.total == D("410158.31")
        schools = sheets["Schulen"]
        assert [r[:2] + r[4:5] for r in schools[1:-1]] == [
            ["100001", "Gymnasium am Park", D("221713.50")], ["100002", "Grundschule Lindenweg", D("55944.81")],
            ["100003", "Berufskolleg Mitte", D("112500.00")]]
        assert schools[-1][4] == D("390158.31")  # the schools without the carrier's own 20,000.00
        financing = {row[0]: row[1] for row in sheets["Finanzierung"][1:]}
        assert financing["Zuwendung (Förderung)"] == result.money.funding == D("339958.32")
        assert financing["Kürzung wegen Obergrenze mobile Endgeräte"] == D("32426.84")
        assert financing["Überschreitung der Obergrenze"] == result.mobile_cap.excess
        assert (financing["Budget"], financing["verbleibendes Budget"]) == (D("500000.00"), D("160041.68"))
        assert financing["Zulässig für mobile Endgeräte"] == D("55531.66")
        by_year = sheets["Kosten je Jahr"]
        assert by_year[0] == ["Förderbereich", "2021", "2022", "Summe"]
        assert by_year[-1][1:] == [D("189699.81"), D("220458.50"), D("410158.31")]


def test_drafts_export_however_incomplete_but_not_without_a_programme():
    odd = Plan(programme=FundingProgramme("dp1-nw", "1"), measures=[
        Measure(category="nonsense", quantity=D("-3"), unit_price=D("1000000000")),
        Measure(category="wlan", quantity=D("0.333"), unit_price=D("0.001"))])
    for draft in (Plan(programme=FundingProgramme("dp1-ni", "1")), Plan(programme=FundingProgramme("dp2", "1")), odd):
        for _, _, make in export.PLAN_FORMATS.values():
            assert make(draft, issued_on=ISSUED)
    rows = xlsx_values(export.plan_xlsx(odd, issued_on=ISSUED))["Maßnahmen"]
    assert [(r[9], r[11], r[12], r[13]) for r in rows[1:-1]] == [
        (D("-3"), D("1000000000"), D("-3000000000.00"), "unbekannte Kategorie"), (D("0.333"), D("0.001"), D("0.00"), "ja")]
    for make in (export.plan_pdf, export.plan_xlsx):
        with pytest.raises(UnknownRulePack):
            make(Plan(), issued_on=ISSUED)
    with pytest.raises(UnknownRulePack):
        export.carrier_pdf(Carrier(), issued_on=ISSUED)
