"""Competence frameworks a pedagogical concept maps subjects and grades to.

Codes are stable ids stored in plans ("kmk.3", "mkr.4", "mkr.4.2"). Area names come from
../shared/mep-domain.md section 3. The 24 NRW sub-competences (4 per area) are accepted by number
("mkr.<area>.<1-4>"); their names were not retrieved, so none are listed here. Bayern's area list
was not retrieved either: its framework has no fixed codes and accepts free text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from plans.model import CompetenceFramework


@dataclass(frozen=True)
class CompetenceArea:
    code: str
    name_de: str
    name_en: str


@dataclass(frozen=True)
class Framework:
    id: CompetenceFramework
    name_de: str
    name_en: str
    source: str
    areas: tuple[CompetenceArea, ...]
    sub_competences_per_area: int = 0  # accepted as "<area code>.<n>" with 1 <= n <= this

    def area(self, code: str) -> CompetenceArea | None:
        """The area a code belongs to (a sub-competence code gives its area), or None if unknown."""
        match = re.fullmatch(r"([a-z]+\.\d+)(?:\.(\d+))?", code.strip())
        if not match:
            return None
        area = next((a for a in self.areas if a.code == match.group(1)), None)
        if area is None:
            return None
        if match.group(2) is not None and not 1 <= int(match.group(2)) <= self.sub_competences_per_area:
            return None
        return area

    def knows(self, code: str) -> bool:
        # A framework without a retrieved area list cannot reject anything.
        return not self.areas or self.area(code) is not None


KMK_2016 = Framework(
    id=CompetenceFramework.KMK_2016,
    name_de='KMK-Strategie "Bildung in der digitalen Welt" (2016)',
    name_en='KMK strategy "Education in the digital world" (2016)',
    source="https://www.uni-potsdam.de/qoop/index.php/digitale-kompetenzen/",
    areas=(
        CompetenceArea("kmk.1", "Suchen, Verarbeiten und Aufbewahren", "Searching, processing and storing"),
        CompetenceArea("kmk.2", "Kommunizieren und Kooperieren", "Communicating and cooperating"),
        CompetenceArea("kmk.3", "Produzieren und Präsentieren", "Producing and presenting"),
        CompetenceArea("kmk.4", "Schützen und sicher Agieren", "Protecting and acting safely"),
        CompetenceArea("kmk.5", "Problemlösen und Handeln", "Solving problems and acting"),
        CompetenceArea("kmk.6", "Analysieren und Reflektieren", "Analysing and reflecting"),
    ),
)

MKR_NRW = Framework(
    id=CompetenceFramework.MKR_NRW,
    name_de="Medienkompetenzrahmen NRW (2018)",
    name_en="Media competence framework NRW (2018)",
    source="https://lernen-digital.nrw/bezugsdokumente/medienkompetenzrahmen-nrw",
    areas=(
        CompetenceArea("mkr.1", "Bedienen und Anwenden", "Operating and applying"),
        CompetenceArea("mkr.2", "Informieren und Recherchieren", "Informing and researching"),
        CompetenceArea("mkr.3", "Kommunizieren und Kooperieren", "Communicating and cooperating"),
        CompetenceArea("mkr.4", "Produzieren und Präsentieren", "Producing and presenting"),
        CompetenceArea("mkr.5", "Analysieren und Reflektieren", "Analysing and reflecting"),
        CompetenceArea("mkr.6", "Problemlösen und Modellieren", "Solving problems and modelling"),
    ),
    sub_competences_per_area=4,
)

BY_MEDIENBILDUNG = Framework(
    id=CompetenceFramework.BY_MEDIENBILDUNG,
    name_de="Kompetenzrahmen zur Medienbildung an bayerischen Schulen",
    name_en="Bavarian competence framework for media education",
    source="https://www.isb.bayern.de/medienabteilung/medienkonzepte/",
    areas=(),
)

FRAMEWORKS: dict[CompetenceFramework, Framework] = {
    f.id: f for f in (KMK_2016, MKR_NRW, BY_MEDIENBILDUNG)
}


def framework(framework_id: CompetenceFramework | str) -> Framework:
    return FRAMEWORKS[CompetenceFramework(framework_id)]
