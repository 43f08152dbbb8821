"""Planning norms: orientation values (not legal rules) from mep-domain.md section 4, with sources."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from plans.model import SchoolType

BERTELSMANN = "https://www.bertelsmann-stiftung.de/de/themen/aktuelle-meldungen/2017/november/it-ausstattung-an-schulen-finanzierung-ist-eine-milliardenschwere-daueraufgabe"
TAGESSPIEGEL = "http://www.tagesspiegel.de/wissen/studie-der-bertelsmann-stiftung-milliarden-fuer-schul-it-gebraucht/20534242.html"
STUTTGART = "https://www.domino1.stuttgart.de/web/ksd/KSDRedSystem.nsf/3773c106d8cc9a76c1256ad900302205/b9d1bd42b7624e98c1258a89002c3627?OpenDocument"
RUNNING_COST = "https://www.udldigital.de/sudie-bertelsmann-stiftung-beziffert-digitalisierungskosten-fuer-schulen/"
NRW_MEDIENBERATUNG = "https://www.medienberatung.schulministerium.nrw.de/Medienberatung/Lern-IT/Prozesse-zur-Planung/Medienentwicklungsplanung-Schultr%C3%A4ger/"
WLAN = "https://www.lernsax.de/wws/295140.php"


@dataclass(frozen=True)
class Norm:
    id: str
    value: Decimal
    unit: str
    name_de: str
    name_en: str
    source: str
    note: str = ""


DEVICES_PER_TECHNICIAN = Norm(
    "devices_per_technician", Decimal("400"), "devices/FTE", "1 Techniker:in je 400 Geräte", "1 technician per 400 devices",
    TAGESSPIEGEL, "Bertelsmann model; counted here: end devices (desktops, laptops, tablets)")
MIN_PUPILS_PER_COMPUTER = Norm(
    "min_pupils_per_computer", Decimal("5"), "pupils/device", "Höchstens 5 Schüler:innen je Computer",
    "At most 5 pupils per computer", NRW_MEDIENBERATUNG, "Minimum ratio cited by NRW (Breiter 2015/OECD)")
# Bertelsmann model school: Grundschule 1 device per 2 pupils + 1 computer room (24 devices);
# weiterführende Schule 1:1 + 2 rooms (60 devices). heise reports 4-5 pupils per device for GS.
MODEL_PUPILS_PER_DEVICE_GRUNDSCHULE = Norm(
    "model_pupils_per_device_grundschule", Decimal("2"), "pupils/device", "Grundschule: 1 Gerät je 2 Schüler:innen + 24 Geräte",
    "Primary school: 1 device per 2 pupils + 24 devices", BERTELSMANN, "heise reports 4-5 pupils per device, a discrepancy")
MODEL_ROOM_DEVICES_GRUNDSCHULE = Norm(
    "model_room_devices_grundschule", Decimal("24"), "devices", "Grundschule: 1 Computerraum (24 Geräte)",
    "Primary school: 1 computer room (24 devices)", BERTELSMANN)
MODEL_PUPILS_PER_DEVICE_SECONDARY = Norm(
    "model_pupils_per_device_secondary", Decimal("1"), "pupils/device", "Weiterführende Schule: 1:1 + 60 Geräte",
    "Secondary school: 1:1 + 60 devices", BERTELSMANN)
MODEL_ROOM_DEVICES_SECONDARY = Norm(
    "model_room_devices_secondary", Decimal("60"), "devices", "Weiterführende Schule: 2 Computerräume (60 Geräte)",
    "Secondary school: 2 computer rooms (60 devices)", BERTELSMANN)
DISPLAY_IN_EVERY_TEACHING_ROOM = Norm(
    "display_in_every_teaching_room", Decimal("1"), "share of rooms", "Präsentationsmöglichkeit in jedem Unterrichtsraum",
    "A display in every teaching room", TAGESSPIEGEL)
WLAN_IN_EVERY_ROOM = Norm(
    "wlan_in_every_room", Decimal("1"), "share of rooms", "Ein Access Point je Raum ist üblich", "An access point in each room is common", WLAN)

# Stuttgart's support staffing by school type (0.33 FTE per Grundschule/SBBZ, 0.5 per Sek school, 1.0 per vocational).
_STUTTGART_FTE = {
    "grundschule": Norm("support_fte_grundschule", Decimal("0.33"), "FTE/school", "0,33 VZÄ je Grundschule/SBBZ", "0.33 FTE per primary/special school", STUTTGART),
    "secondary": Norm("support_fte_secondary", Decimal("0.5"), "FTE/school", "0,5 VZÄ je weiterführender Schule", "0.5 FTE per secondary school", STUTTGART),
    "vocational": Norm("support_fte_vocational", Decimal("1.0"), "FTE/school", "1,0 VZÄ je beruflicher Schule", "1.0 FTE per vocational school", STUTTGART),
}

# Running cost (investment spread over 5 years), per pupil and year.
_RUNNING_COST = {
    "grundschule": Norm("running_cost_grundschule", Decimal("261"), "EUR/pupil/year", "Laufende Kosten Grundschule je Schüler:in und Jahr", "Running cost per primary pupil and year", RUNNING_COST),
    "secondary": Norm("running_cost_secondary", Decimal("402"), "EUR/pupil/year", "Laufende Kosten Sek je Schüler:in und Jahr", "Running cost per secondary pupil and year", RUNNING_COST),
}


def _group(school_type: SchoolType) -> str | None:
    if school_type is SchoolType.OTHER:
        return None
    if school_type is SchoolType.BERUFSBILDEND:
        return "vocational"
    if school_type in (SchoolType.GRUNDSCHULE, SchoolType.FOERDERSCHULE):
        return "grundschule"  # Stuttgart groups SBBZ (special schools) with Grundschulen
    return "secondary"


def support_fte_norm(school_type: SchoolType) -> Norm | None:
    group = _group(school_type)
    return _STUTTGART_FTE[group] if group else None


def running_cost_norm(school_type: SchoolType) -> Norm | None:
    """Grundschule or Sek; none for vocational and special schools, which the source does not give."""
    if school_type in (SchoolType.FOERDERSCHULE, SchoolType.BERUFSBILDEND, SchoolType.OTHER):
        return None
    return _RUNNING_COST[_group(school_type)]


def model_device_norms(school_type: SchoolType) -> tuple[Norm, Norm] | None:
    """(pupils per device, extra room devices) of the Bertelsmann model school, or None (vocational, Förderschule)."""
    if school_type is SchoolType.GRUNDSCHULE:
        return MODEL_PUPILS_PER_DEVICE_GRUNDSCHULE, MODEL_ROOM_DEVICES_GRUNDSCHULE
    if school_type in (SchoolType.BERUFSBILDEND, SchoolType.FOERDERSCHULE, SchoolType.OTHER):
        return None
    return MODEL_PUPILS_PER_DEVICE_SECONDARY, MODEL_ROOM_DEVICES_SECONDARY
