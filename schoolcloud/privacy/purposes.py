"""The processing purposes that need consent, declared in this one place.

Each purpose has a text version: changing the wording means a new version, and consents given to an
older version no longer count (the person is asked again). The texts live here, not in the translation
catalogue, because the exact wording a person agreed to is part of the record.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Purpose:
    id: str
    version: str
    title_de: str
    title_en: str
    text_de: str
    text_en: str
    features: tuple[str, ...]  # what is blocked without this consent (for people and for the docs)

    def title(self, locale: str) -> str:
        return self.title_de if locale == "de" else self.title_en

    def text(self, locale: str) -> str:
        return self.text_de if locale == "de" else self.text_en


CLASS_DIRECTORY = Purpose(
    id="class_directory",
    version="2026-11-1",
    title_de="Klassenliste für Mitschülerinnen und Mitschüler",
    title_en="Class directory for classmates",
    text_de=("Mein Vor- und Nachname wird den Mitgliedern meiner Klassen in der Klassenliste angezeigt. "
             "Ich sehe dort, wer aus meinen Klassen ebenfalls zugestimmt hat. Ohne Zustimmung erscheine ich "
             "dort nicht und sehe die Liste nicht. Die Zustimmung ist freiwillig und jederzeit widerrufbar; "
             "der Widerruf gilt sofort."),
    text_en=("My first and last name are shown to the members of my classes in the class directory. I see "
             "there who else in my classes has agreed. Without consent I do not appear there and do not see "
             "the directory. Consent is voluntary and can be withdrawn at any time; withdrawal takes effect "
             "at once."),
    features=("class_directory",),
)

PURPOSES: dict[str, Purpose] = {p.id: p for p in (CLASS_DIRECTORY,)}


def get(purpose_id: str) -> Purpose | None:
    return PURPOSES.get(purpose_id)
