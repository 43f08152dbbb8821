"""The editor's steps: which parts of ``plans.model.Plan`` each page edits, in the order of
../shared/mep-domain.md 1.3."""

from __future__ import annotations

from dataclasses import dataclass

from schoolcloud.web.i18n import N_


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    attributes: tuple[str, ...]  # attributes of Plan edited on this page


SECTIONS = (
    Section("profile", N_("School and goals"), ("title", "programme", "profile", "goals", "adopted_on")),
    Section("inventory", N_("Inventory"), ("inventory",)),
    Section("pedagogy", N_("Pedagogical concept"), ("pedagogy",)),
    Section("target", N_("Target equipment"), ("target",)),
    Section("training", N_("Training plan"), ("training",)),
    Section("support", N_("Support and maintenance"), ("support",)),
    Section("measures", N_("Measures and costs"), ("measures",)),
    Section("evaluation", N_("Evaluation and update"), ("evaluation",)),
)
BY_KEY = {s.key: s for s in SECTIONS}


def section_of_path(path: str) -> Section | None:
    """The step that edits a field path such as ``measures[3].unit_price`` or ``profile.pupils``."""
    head = path.split(".", 1)[0].split("[", 1)[0]
    return next((s for s in SECTIONS if head in s.attributes), None)


def next_step(key: str) -> Section | None:
    keys = [s.key for s in SECTIONS]
    index = keys.index(key)
    return SECTIONS[index + 1] if index + 1 < len(SECTIONS) else None
