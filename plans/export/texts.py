"""Fixed German wording of the exports (plans/ cannot use the web app's gettext catalogue).

Section headings follow the common section set of ../shared/mep-domain.md 1.3, in the words the
Länder's guides use (Bestandsaufnahme, Fortbildungsplanung, Betrieb/Support/Wartung ...).
"""

from __future__ import annotations

from plans.model import (
    DeviceKind,
    DeviceUser,
    DisplayKind,
    Land,
    RoomKind,
    SchoolType,
)

TEXTS = {
    "de": {
        "issued": "Stand:",
        "page": "Seite",
        "of": "von",
    },
}

# Plan sections by their model field name, numbered as in mep-domain.md 1.3.
SECTION_HEADINGS = {
    "profile": "1. Schulprofil und Ziele",
    "inventory": "2. Bestandsaufnahme",
    "pedagogy": "3. Pädagogisches Konzept und Mediencurriculum",
    "target": "4. Soll-Ausstattung",
    "training": "5. Fortbildungsplanung",
    "support": "6. Betrieb, Support und Wartung",
    "measures": "7. Maßnahmen, Zeitplan und Kosten",
    "evaluation": "8. Evaluation und Fortschreibung",
}
# Names of the plan's parts as the validator and rule packs name them (goals sit inside section 1).
PART_NAMES = {**{key: heading.split(". ", 1)[1] for key, heading in SECTION_HEADINGS.items()},
              "goals": "Ziele"}

SCHOOL_TYPES = {
    SchoolType.GRUNDSCHULE: "Grundschule",
    SchoolType.HAUPTSCHULE: "Hauptschule",
    SchoolType.REALSCHULE: "Realschule",
    SchoolType.OBERSCHULE: "Oberschule / Sekundarschule / Gemeinschaftsschule",
    SchoolType.GESAMTSCHULE: "Gesamtschule",
    SchoolType.GYMNASIUM: "Gymnasium",
    SchoolType.FOERDERSCHULE: "Förderschule",
    SchoolType.BERUFSBILDEND: "Berufsbildende Schule",
    SchoolType.OTHER: "Sonstige Schulform",
}

LAENDER = {
    Land.BW: "Baden-Württemberg", Land.BY: "Bayern", Land.BE: "Berlin", Land.BB: "Brandenburg",
    Land.HB: "Bremen", Land.HH: "Hamburg", Land.HE: "Hessen", Land.MV: "Mecklenburg-Vorpommern",
    Land.NI: "Niedersachsen", Land.NW: "Nordrhein-Westfalen", Land.RP: "Rheinland-Pfalz",
    Land.SL: "Saarland", Land.SN: "Sachsen", Land.ST: "Sachsen-Anhalt", Land.SH: "Schleswig-Holstein",
    Land.TH: "Thüringen",
}

ROOM_KINDS = {
    RoomKind.CLASSROOM: "Klassenraum",
    RoomKind.COMPUTER_ROOM: "Computerraum",
    RoomKind.SPECIALIST: "Fachraum",
    RoomKind.STAFF: "Lehrerzimmer",
    RoomKind.ADMINISTRATION: "Verwaltung",
    RoomKind.OTHER: "Sonstiger Raum",
}

DISPLAY_KINDS = {
    DisplayKind.NONE: "keine",
    DisplayKind.PROJECTOR: "Beamer",
    DisplayKind.INTERACTIVE_BOARD: "Interaktive Tafel",
    DisplayKind.DISPLAY: "Großbildschirm",
    DisplayKind.OTHER: "sonstige",
}

DEVICE_KINDS = {
    DeviceKind.DESKTOP: "PC (stationär)",
    DeviceKind.LAPTOP: "Laptop",
    DeviceKind.TABLET: "Tablet",
    DeviceKind.INTERACTIVE_BOARD: "Interaktive Tafel",
    DeviceKind.DISPLAY: "Großbildschirm",
    DeviceKind.PROJECTOR: "Beamer",
    DeviceKind.DOCUMENT_CAMERA: "Dokumentenkamera",
    DeviceKind.ACCESS_POINT: "WLAN-Access-Point",
    DeviceKind.SWITCH: "Switch",
    DeviceKind.SERVER: "Server",
    DeviceKind.PRINTER: "Drucker",
    DeviceKind.LAB_EQUIPMENT: "Mess- und Laborgerät",
    DeviceKind.OTHER: "Sonstiges Gerät",
}

DEVICE_USERS = {
    DeviceUser.PUPILS: "Schülerinnen und Schüler",
    DeviceUser.TEACHERS: "Lehrkräfte",
    DeviceUser.SHARED: "gemeinsam",
    DeviceUser.ADMINISTRATION: "Verwaltung",
}

CONNECTIVITY = {"fibre": "Glasfaser", "dsl": "DSL", "cable": "Kabel", "mobile": "Mobilfunk", "none": "keine"}


def yes_no(value: bool) -> str:
    return "ja" if value else "nein"
