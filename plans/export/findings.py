"""The validator's findings as a summary line and a table: severity, where in the plan, the German
message and the rule's source. Errors first, then warnings, then notes."""

from __future__ import annotations

import re
from collections import Counter

from plans.export.document import Column, Paragraph, Section, Table
from plans.validator import SECTION_NAMES_DE, Finding, Severity

SEVERITIES = {Severity.ERROR: "Fehler", Severity.WARNING: "Warnung", Severity.INFO: "Hinweis"}
PLURALS = {Severity.ERROR: "Fehler", Severity.WARNING: "Warnungen", Severity.INFO: "Hinweise"}
ORDER = list(SEVERITIES)


def findings_summary(findings: list[Finding]) -> str:
    """'2 Fehler, 1 Warnung, 3 Hinweise' or 'keine Befunde'."""
    counts = Counter(f.severity for f in findings)
    if not counts:
        return "keine Befunde"
    return ", ".join(f"{counts[s]} {SEVERITIES[s] if counts[s] == 1 else PLURALS[s]}" for s in ORDER if counts[s])


def where(path: str) -> str:
    """The plan part a field path points into, in German, with the path itself for the editor:
    'measures[5].category' -> 'Maßnahmen, Zeit- und Kostenplan (measures[5].category)'."""
    inner = re.sub(r"^plans\[\d+\]\.?", "", path)
    part = SECTION_NAMES_DE.get(re.split(r"[.\[]", inner, maxsplit=1)[0])
    if part is None:
        return path or "Plan"
    return f"{part} ({path})"


def findings_table(findings: list[Finding]) -> Table:
    ordered = sorted(findings, key=lambda f: ORDER.index(f.severity))
    return Table((Column("Schwere", weight=1.1), Column("Bereich", weight=2.4), Column("Befund", weight=4.5),
                  Column("Quelle", weight=2.5)),
                 [(SEVERITIES[f.severity], where(f.path), f.message_de, f.source) for f in ordered],
                 caption="Befunde der Prüfung")


def findings_section(findings: list[Finding], heading: str) -> Section:
    blocks: list = [Paragraph(f"Prüfergebnis: {findings_summary(findings)}.")]
    if findings:
        blocks.append(findings_table(findings))
    return Section(heading, blocks)


def grouped_table(findings: list[Finding]) -> Table:
    """The schools' findings one row per kind (code and field, list positions left out): a carrier
    with 60 schools gets a page, not thousands of rows; each school's own plan document lists its
    findings one by one."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in sorted(findings, key=lambda f: ORDER.index(f.severity)):
        field = re.sub(r"\[\d+\]", "[]", re.sub(r"^plans\[\d+\]\.?", "", finding.path))
        groups.setdefault((finding.code, field), []).append(finding)
    rows = []
    for found in groups.values():
        schools = sorted({f.school_number for f in found if f.school_number})
        listed = ", ".join(schools[:6]) + (f" und {len(schools) - 6} weitere" if len(schools) > 6 else "")
        example = len({f.message_de for f in found}) > 1
        rows.append((SEVERITIES[found[0].severity], found[0].message_de + (" (Beispiel)" if example else ""),
                     len(found), listed, found[0].source))
    return Table((Column("Schwere", weight=1.1), Column("Befund", weight=4.5), Column("Anzahl", "int", weight=0.9),
                  Column("Schulen", weight=2.4), Column("Quelle", weight=2.5)),
                 rows, caption="Befunde der Schulen nach Art")


def carrier_findings_section(findings: list[Finding], heading: str) -> Section:
    """The carrier's own findings (cap, budget, its measures) in full, the schools' grouped."""
    own = [f for f in findings if not f.school_number]
    schools = [f for f in findings if f.school_number]
    blocks: list = [Paragraph(f"Prüfergebnis: {findings_summary(findings)}.")]
    if own:
        table = findings_table(own)
        blocks.append(Table(table.columns, table.rows, caption="Befunde zum Schulträger"))
    if schools:
        blocks.append(grouped_table(schools))
    return Section(heading, blocks)


def by_school(findings: list[Finding]) -> dict[str, list[Finding]]:
    """A carrier's findings grouped by school number ('' for the carrier's own)."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.school_number, []).append(finding)
    return grouped
