"""The validator's findings as a summary line and a table (severity, part of the plan, finding, the
rule's source)."""

from __future__ import annotations

from collections import Counter

from plans.export.document import Column, Paragraph, Section, Table

SEVERITIES = {"error": "Fehler", "warning": "Warnung", "info": "Hinweis"}
PLURALS = {"error": "Fehler", "warning": "Warnungen", "info": "Hinweise"}


def _severity(finding) -> str:
    return str(getattr(finding.severity, "value", finding.severity))


def findings_summary(findings) -> str:
    counts = Counter(_severity(f) for f in findings)
    if not counts:
        return "keine Befunde"
    return ", ".join(f"{counts[s]} {PLURALS[s] if counts[s] != 1 else SEVERITIES[s]}"
                     for s in SEVERITIES if counts[s])


def findings_table(findings) -> Table:
    order = list(SEVERITIES)
    ordered = sorted(findings, key=lambda f: order.index(_severity(f)) if _severity(f) in order else len(order))
    return Table(
        (Column("Schwere", weight=1.2), Column("Bereich", weight=2), Column("Befund", weight=5),
         Column("Quelle", weight=2.5)),
        [(SEVERITIES.get(_severity(f), _severity(f)), f.path, f.message_de, f.source) for f in ordered],
        caption="Befunde der Prüfung")


def findings_section(findings, heading: str) -> Section:
    blocks = [Paragraph(findings_summary(findings))]
    if findings:
        blocks.append(findings_table(findings))
    return Section(heading, blocks)
