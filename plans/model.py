"""The media development plan (Medienkonzept / MEP) as plain dataclasses.

A `Plan` is one school's plan for one funding programme (a rule pack id and version). Its sections
follow ../shared/mep-domain.md 1.3: profile and goals, inventory (Bestandsaufnahme), pedagogical
concept, target equipment, training plan (Fortbildungsplanung), support concept
(Betrieb/Support/Wartung), measures with year, category, quantity and unit price, and evaluation.

Every field has a default so that an empty or half-filled plan is a valid draft: content rules
live in `plans.validator`, which reports problems instead of refusing to store them.
Money and quantities are `Decimal`, never float. JSON (de)serialisation is in `plans.serialize`.

Field names are part of the JSON format and of what the editor and the exports use: add fields,
do not rename or remove them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

# Version of the JSON format written by plans.serialize; raise it when a change needs a migration.
SCHEMA_VERSION = 1


class SchoolType(StrEnum):
    """School types that the funding rules tell apart (cap, weights, Sockel)."""

    GRUNDSCHULE = "grundschule"
    HAUPTSCHULE = "hauptschule"
    REALSCHULE = "realschule"
    OBERSCHULE = "oberschule"  # also Sekundarschule, Gemeinschaftsschule, Mittelschule
    GESAMTSCHULE = "gesamtschule"
    GYMNASIUM = "gymnasium"
    FOERDERSCHULE = "foerderschule"
    BERUFSBILDEND = "berufsbildend"
    OTHER = "other"

    @property
    def is_vocational(self) -> bool:
        """Vocational schools are exempt from the mobile-device cap (VV § 3 Abs. 1 Nr. 6 lit. c)."""
        return self is SchoolType.BERUFSBILDEND

    @property
    def is_general(self) -> bool:
        """allgemeinbildende Schule: every type except the vocational one."""
        return not self.is_vocational


class Land(StrEnum):
    """German Länder by their ISO 3166-2:DE suffix (NW is Nordrhein-Westfalen)."""

    BW = "BW"
    BY = "BY"
    BE = "BE"
    BB = "BB"
    HB = "HB"
    HH = "HH"
    HE = "HE"
    MV = "MV"
    NI = "NI"
    NW = "NW"
    RP = "RP"
    SL = "SL"
    SN = "SN"
    ST = "ST"
    SH = "SH"
    TH = "TH"


class RoomKind(StrEnum):
    CLASSROOM = "classroom"
    COMPUTER_ROOM = "computer_room"
    SPECIALIST = "specialist"  # science, art, music, workshop rooms
    STAFF = "staff"
    ADMINISTRATION = "administration"
    OTHER = "other"

    @property
    def is_teaching(self) -> bool:
        return self in (RoomKind.CLASSROOM, RoomKind.COMPUTER_ROOM, RoomKind.SPECIALIST)


class DisplayKind(StrEnum):
    NONE = "none"
    PROJECTOR = "projector"
    INTERACTIVE_BOARD = "interactive_board"
    DISPLAY = "display"  # large flat panel
    OTHER = "other"


class DeviceKind(StrEnum):
    """Kinds of equipment counted in the inventory and the target equipment."""

    DESKTOP = "desktop"
    LAPTOP = "laptop"
    TABLET = "tablet"
    INTERACTIVE_BOARD = "interactive_board"
    DISPLAY = "display"
    PROJECTOR = "projector"
    DOCUMENT_CAMERA = "document_camera"
    ACCESS_POINT = "access_point"
    SWITCH = "switch"
    SERVER = "server"
    PRINTER = "printer"
    LAB_EQUIPMENT = "lab_equipment"
    OTHER = "other"

    @property
    def is_end_device(self) -> bool:
        """Devices people work on, counted for pupils-per-device and technician norms."""
        return self in (DeviceKind.DESKTOP, DeviceKind.LAPTOP, DeviceKind.TABLET)


class DeviceUser(StrEnum):
    PUPILS = "pupils"
    TEACHERS = "teachers"
    SHARED = "shared"
    ADMINISTRATION = "administration"


class CompetenceFramework(StrEnum):
    KMK_2016 = "kmk_2016"  # KMK "Bildung in der digitalen Welt", six areas
    MKR_NRW = "mkr_nrw"  # Medienkompetenzrahmen NRW, six areas, 24 sub-competences
    BY_MEDIENBILDUNG = "by_medienbildung"  # Bayern's Kompetenzrahmen (areas not retrieved)


class SupportLevelKind(StrEnum):
    FIRST = "first"
    SECOND = "second"


# ---------------------------------------------------------------- section 1: profile and goals


@dataclass
class Building:
    id: str = ""
    name: str = ""
    address: str = ""


@dataclass
class Room:
    id: str = ""
    name: str = ""
    building_id: str = ""
    kind: RoomKind = RoomKind.CLASSROOM


@dataclass
class SchoolProfile:
    school_number: str = ""  # official Schulnummer / Dienststellennummer
    name: str = ""
    school_type: SchoolType = SchoolType.OTHER
    land: Land | None = None
    carrier_key: str = ""  # Schulträger key, e.g. the Trägerkennziffer
    carrier_name: str = ""
    pupils: int = 0  # all pupils (head count)
    pupils_part_time: int = 0  # of those, part-time vocational pupils (weighted apart in NI)
    classes: int = 0
    teachers: int = 0
    buildings: list[Building] = field(default_factory=list)
    rooms: list[Room] = field(default_factory=list)
    address: str = ""
    description: str = ""  # Schulprofil in the school's words


@dataclass
class Goal:
    id: str = ""
    text: str = ""
    indicator: str = ""  # how achievement is checked (BW asks for binding, checkable goals)
    due_year: int | None = None


# ---------------------------------------------------------------- section 2: inventory


@dataclass
class Connectivity:
    kind: str = ""  # fibre, dsl, cable, mobile, none
    bandwidth_down_mbit: int | None = None
    bandwidth_up_mbit: int | None = None
    provider: str = ""
    note: str = ""


@dataclass
class BuildingNetwork:
    building_id: str = ""
    structured_cabling: bool = False
    fibre_backbone: bool = False
    wlan_coverage: bool = False  # WLAN in the whole building
    note: str = ""


@dataclass
class RoomEquipment:
    """The state of one room: network, WLAN and display. Used for now (inventory) and target."""

    room_id: str = ""
    lan_ports: int = 0
    access_points: int = 0
    wlan: bool = False  # usable WLAN in the room (own AP or coverage from a neighbour)
    display: DisplayKind = DisplayKind.NONE
    note: str = ""


@dataclass
class DeviceStock:
    kind: DeviceKind = DeviceKind.OTHER
    count: int = 0
    user: DeviceUser = DeviceUser.PUPILS
    room_id: str = ""  # empty: not bound to a room (e.g. a tablet trolley)
    year_acquired: int | None = None
    managed: bool = False  # enrolled in a device management (MDM)
    note: str = ""


@dataclass
class Inventory:
    connectivity: Connectivity = field(default_factory=Connectivity)
    buildings: list[BuildingNetwork] = field(default_factory=list)
    rooms: list[RoomEquipment] = field(default_factory=list)
    devices: list[DeviceStock] = field(default_factory=list)
    staff_skills: str = ""  # what teachers can do already (1.3 lists staff skills in the inventory)
    note: str = ""


# ---------------------------------------------------------------- section 3: pedagogical concept


@dataclass
class CurriculumEntry:
    """One subject at some grade levels working on one competence area (or sub-competence)."""

    id: str = ""
    subject: str = ""
    grade_levels: list[int] = field(default_factory=list)
    competence: str = ""  # code from plans.frameworks, e.g. "kmk.3" or "mkr.4.2"
    content: str = ""  # teaching content / learning unit
    tools: str = ""  # media and tools used


@dataclass
class PedagogicalConcept:
    framework: CompetenceFramework = CompetenceFramework.KMK_2016
    entries: list[CurriculumEntry] = field(default_factory=list)
    teaching_development: str = ""  # Unterrichtsentwicklung
    note: str = ""


# ---------------------------------------------------------------- section 4: target equipment


@dataclass
class TargetItem:
    id: str = ""
    kind: DeviceKind = DeviceKind.OTHER
    quantity: int = 0
    user: DeviceUser = DeviceUser.PUPILS
    room_id: str = ""
    description: str = ""
    pedagogical_reason: str = ""  # why this item: required per item (BY: reasons for each step)


@dataclass
class TargetEquipment:
    """The Soll-Ausstattung: the complete target state (not only what is bought); rooms not
    listed in `rooms` keep their inventory state. Measures say what is bought to get there."""

    items: list[TargetItem] = field(default_factory=list)
    rooms: list[RoomEquipment] = field(default_factory=list)  # target state per room
    connectivity: Connectivity = field(default_factory=Connectivity)
    note: str = ""


# ---------------------------------------------------------------- section 5: training plan


@dataclass
class TrainingItem:
    id: str = ""
    participants: str = ""  # who: e.g. "Fachschaft Mathematik", "all teachers"
    participant_count: int = 0
    topic: str = ""
    competence: str = ""  # optional competence code the training serves
    year: int | None = None
    when: str = ""  # finer timing as the school writes it, e.g. "2. Halbjahr", "2025-03"
    hours: Decimal = Decimal("0")
    cost: Decimal = Decimal("0")
    provider: str = ""


@dataclass
class TrainingPlan:
    items: list[TrainingItem] = field(default_factory=list)
    note: str = ""


# ---------------------------------------------------------------- section 6: support concept


@dataclass
class SupportLevel:
    provider: str = ""  # who provides it (school staff, carrier's IT, contractor)
    description: str = ""
    staff_fte: Decimal = Decimal("0")  # full-time equivalents available for this school


@dataclass
class SupportConcept:
    first_level: SupportLevel = field(default_factory=SupportLevel)
    second_level: SupportLevel = field(default_factory=SupportLevel)
    device_management: str = ""  # MDM, imaging
    maintenance: str = ""  # Wartung, updates, repairs
    replacement_cycle_years: int | None = None
    note: str = ""


# ---------------------------------------------------------------- section 7: measures


@dataclass
class Measure:
    """One funding item: quantity x unit price in a year and a rule-pack category.

    `category` is a category id of the chosen rule pack (e.g. "wlan", "mobile_devices"); the pack
    maps it to a funding pillar and says whether it is eligible.
    """

    id: str = ""
    year: int | None = None
    category: str = ""
    description: str = ""
    quantity: Decimal = Decimal("0")
    unit: str = ""  # Stück, Raum, m, pauschal
    unit_price: Decimal = Decimal("0")  # gross, in EUR
    room_id: str = ""
    target_item_id: str = ""  # the target item this measure buys, if any
    linked_measure_id: str = ""  # for accompanying costs: the investment they belong to (VV § 3(4))
    start: dt.date | None = None  # planned start (SH asks for a start date)
    note: str = ""


# ---------------------------------------------------------------- section 8: evaluation


@dataclass
class EvaluationCriterion:
    id: str = ""
    indicator: str = ""
    target: str = ""
    method: str = ""
    due_year: int | None = None


@dataclass
class Evaluation:
    criteria: list[EvaluationCriterion] = field(default_factory=list)
    horizon_years: int | None = None  # NRW suggests about 5 years
    next_review: dt.date | None = None
    update_process: str = ""  # how and by whom the plan is updated (Fortschreibung)


# ---------------------------------------------------------------- the plan


@dataclass
class FundingProgramme:
    """The rule pack the plan is written for, plus values the pack leaves to the applicant.

    `parameters` fills values a pack marks unknown or per carrier (e.g. NI's per-pupil amount), by
    the pack's parameter name. `allocated_budget` is the school's budget from an allocation notice
    and, when set, replaces the pack's budget formula.
    """

    rule_pack_id: str = ""
    rule_pack_version: str = ""
    parameters: dict[str, Decimal] = field(default_factory=dict)
    allocated_budget: Decimal | None = None


@dataclass
class Plan:
    id: str = ""
    title: str = ""
    schema_version: int = SCHEMA_VERSION
    programme: FundingProgramme = field(default_factory=FundingProgramme)
    profile: SchoolProfile = field(default_factory=SchoolProfile)
    goals: list[Goal] = field(default_factory=list)
    inventory: Inventory = field(default_factory=Inventory)
    pedagogy: PedagogicalConcept = field(default_factory=PedagogicalConcept)
    target: TargetEquipment = field(default_factory=TargetEquipment)
    training: TrainingPlan = field(default_factory=TrainingPlan)
    support: SupportConcept = field(default_factory=SupportConcept)
    measures: list[Measure] = field(default_factory=list)
    evaluation: Evaluation = field(default_factory=Evaluation)
    adopted_on: dt.date | None = None  # resolution of the school conference (Schulkonferenz)


@dataclass
class Carrier:
    """A Schulträger and the plans of its schools, for the consolidated application (the MEP)."""

    key: str = ""
    name: str = ""
    land: Land | None = None
    schema_version: int = SCHEMA_VERSION
    programme: FundingProgramme = field(default_factory=FundingProgramme)
    plans: list[Plan] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)  # regional measures of the carrier itself
    support: SupportConcept = field(default_factory=SupportConcept)  # the carrier's own concept
    note: str = ""
