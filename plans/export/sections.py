"""The plan's own sections (mep-domain.md 1.3, sections 1-6 and 8) as document sections: what the
school wrote, in tables where it is a list. Section 7 and the figures come from `plan_document`, since
they need the calculator.
"""

from __future__ import annotations

from plans.calculator import TrainingTotals
from plans.export.document import Column, Facts, Paragraph, Section, Table
from plans.export.texts import (
    CONNECTIVITY,
    DEVICE_KINDS,
    DEVICE_USERS,
    DISPLAY_KINDS,
    LAENDER,
    ROOM_KINDS,
    SCHOOL_TYPES,
    SECTION_HEADINGS,
    yes_no,
)
from plans.frameworks import framework
from plans.model import Connectivity, Plan, RoomEquipment

NOTHING = "Keine Angaben."


def _text(text: str) -> list[Paragraph]:
    return [Paragraph(part.strip()) for part in text.split("\n\n") if part.strip()]


def _or_nothing(blocks: list) -> list:
    return blocks or [Paragraph(NOTHING, "note")]


def _room_names(plan: Plan) -> dict[str, str]:
    return {room.id: room.name or room.id for room in plan.profile.rooms}


def _building_names(plan: Plan) -> dict[str, str]:
    return {b.id: b.name or b.id for b in plan.profile.buildings}


def profile_section(plan: Plan) -> Section:
    p = plan.profile
    facts = Facts((
        ("Schule", p.name, "text"),
        ("Schulnummer", p.school_number, "text"),
        ("Schulform", SCHOOL_TYPES[p.school_type], "text"),
        ("Land", LAENDER.get(p.land, ""), "text"),
        ("Schulträger", " ".join(x for x in (p.carrier_name, f"({p.carrier_key})" if p.carrier_key else "") if x),
         "text"),
        ("Anschrift", p.address, "text"),
        ("Schülerinnen und Schüler", p.pupils, "int"),
        ("davon Teilzeit (berufsbildend)", p.pupils_part_time or None, "int"),
        ("Klassen", p.classes, "int"),
        ("Lehrkräfte", p.teachers, "int"),
        ("Gebäude", len(p.buildings), "int"),
        ("Räume", len(p.rooms), "int"),
        ("Beschluss der Schulkonferenz", plan.adopted_on, "date"),
    ))
    blocks: list = [facts, *_text(p.description)]
    if p.rooms:
        buildings = _building_names(plan)
        blocks.append(Table(
            (Column("Raum"), Column("Gebäude"), Column("Art")),
            [(r.name or r.id, buildings.get(r.building_id, r.building_id), ROOM_KINDS[r.kind]) for r in p.rooms],
            caption="Räume"))
    goals = Section("Ziele", _or_nothing([Table(
        (Column("Ziel", weight=5), Column("Woran wir es messen", weight=4), Column("bis", "year")),
        [(g.text, g.indicator, g.due_year) for g in plan.goals])] if plan.goals else []))
    return Section(SECTION_HEADINGS["profile"], blocks, [goals])


def _connectivity_facts(c: Connectivity) -> Facts:
    return Facts((
        ("Anschluss", CONNECTIVITY.get(c.kind, c.kind), "text"),
        ("Bandbreite (Mbit/s, ab / auf)",
         " / ".join(str(x) for x in (c.bandwidth_down_mbit, c.bandwidth_up_mbit) if x is not None), "text"),
        ("Anbieter", c.provider, "text"),
    ))


def _rooms_table(plan: Plan, rooms: list[RoomEquipment], caption: str) -> Table:
    names = _room_names(plan)
    return Table(
        (Column("Raum", weight=3), Column("LAN-Ports", "int"), Column("Access Points", "int"),
         Column("WLAN"), Column("Anzeigegerät", weight=2)),
        [(names.get(r.room_id, r.room_id), r.lan_ports, r.access_points, yes_no(r.wlan), DISPLAY_KINDS[r.display])
         for r in rooms],
        caption=caption)


def inventory_section(plan: Plan) -> Section:
    inv = plan.inventory
    buildings = _building_names(plan)
    network = []
    if inv.buildings:
        network.append(Table(
            (Column("Gebäude", weight=3), Column("Strukturierte Verkabelung"), Column("Glasfaser-Backbone"),
             Column("WLAN flächendeckend")),
            [(buildings.get(b.building_id, b.building_id), yes_no(b.structured_cabling), yes_no(b.fibre_backbone),
              yes_no(b.wlan_coverage)) for b in inv.buildings],
            caption="Netzwerk je Gebäude"))
    if inv.rooms:
        network.append(_rooms_table(plan, inv.rooms, "Netzwerk, WLAN und Anzeigegeräte je Raum"))
    devices = []
    if inv.devices:
        names = _room_names(plan)
        devices.append(Table(
            (Column("Gerät", weight=2), Column("Anzahl", "int"), Column("Nutzung", weight=2), Column("Raum", weight=2),
             Column("Anschaffung", "year"), Column("im MDM")),
            [(DEVICE_KINDS[d.kind], d.count, DEVICE_USERS[d.user], names.get(d.room_id, d.room_id),
              d.year_acquired, yes_no(d.managed)) for d in inv.devices],
            caption="Geräte", totals=("Summe", sum(d.count for d in inv.devices), None, None, None, None)))
    return Section(SECTION_HEADINGS["inventory"], _text(inv.note), [
        Section("Internetanbindung", [_connectivity_facts(inv.connectivity), *_text(inv.connectivity.note)]),
        Section("Netzwerk, WLAN und Anzeigegeräte", _or_nothing(network)),
        Section("Endgeräte und weitere Ausstattung", _or_nothing(devices)),
        Section("Kompetenzen des Kollegiums", _or_nothing(_text(inv.staff_skills))),
    ])


def pedagogy_section(plan: Plan) -> Section:
    ped = plan.pedagogy
    fw = framework(ped.framework)
    blocks: list = [Facts((("Kompetenzrahmen", fw.name_de, "text"),))]
    if ped.entries:
        def area(code: str) -> str:
            found = fw.area(code)
            return f"{code} {found.name_de}" if found else code
        blocks.append(Table(
            (Column("Fach", weight=2), Column("Jahrgang", weight=1.3), Column("Kompetenzbereich", weight=3),
             Column("Inhalt", weight=3), Column("Medien und Werkzeuge", weight=2)),
            [(e.subject, ", ".join(str(g) for g in e.grade_levels), area(e.competence), e.content, e.tools)
             for e in ped.entries],
            caption="Mediencurriculum: Fächer und Jahrgänge je Kompetenzbereich"))
    else:
        blocks.append(Paragraph(NOTHING, "note"))
    return Section(SECTION_HEADINGS["pedagogy"], blocks + _text(ped.note), [
        Section("Unterrichtsentwicklung", _or_nothing(_text(ped.teaching_development)))])


def target_section(plan: Plan) -> Section:
    target = plan.target
    names = _room_names(plan)
    blocks: list = []
    if target.items:
        blocks.append(Table(
            (Column("Ausstattung", weight=2), Column("Anzahl", "int"), Column("Nutzung", weight=1.7),
             Column("Raum", weight=1.5), Column("Beschreibung", weight=2), Column("Pädagogische Begründung", weight=4)),
            [(DEVICE_KINDS[t.kind], t.quantity, DEVICE_USERS[t.user], names.get(t.room_id, t.room_id), t.description,
              t.pedagogical_reason) for t in target.items],
            caption="Soll-Ausstattung mit pädagogischer Begründung"))
    if target.rooms:
        blocks.append(_rooms_table(plan, target.rooms, "Soll-Zustand je Raum"))
    if target.connectivity.kind or target.connectivity.bandwidth_down_mbit:
        blocks.append(Paragraph("Internetanbindung (Soll)"))
        blocks.append(_connectivity_facts(target.connectivity))
    return Section(SECTION_HEADINGS["target"], _or_nothing(blocks) + _text(target.note))


def training_section(plan: Plan, totals: TrainingTotals) -> Section:
    """The training plan; the totals row holds the calculator's sums."""
    items = plan.training.items
    blocks: list = []
    if items:
        blocks.append(Table(
            (Column("Wer", weight=2.2), Column("Anzahl", "int", weight=0.9), Column("Thema", weight=2.5),
             Column("Kompetenz", weight=1), Column("Wann", weight=1.6), Column("Stunden", "number", weight=1),
             Column("Anbieter", weight=1.8), Column("Kosten", "money")),
            [(t.participants, t.participant_count, t.topic, t.competence,
              " ".join(str(x) for x in (t.year, t.when) if x), t.hours, t.provider, t.cost) for t in items],
            caption="Fortbildungen",
            totals=("Summe", sum(t.participant_count for t in items), None, None, None, totals.hours, None,
                    totals.cost)))
        blocks.append(Facts((("Teilnehmerstunden (Stunden x Teilnehmende)", totals.participant_hours, "number"),)))
    return Section(SECTION_HEADINGS["training"], _or_nothing(blocks) + _text(plan.training.note))


def support_section(plan: Plan) -> Section:
    s = plan.support
    levels = Table(
        (Column("Ebene", weight=1.5), Column("Wer", weight=2.5), Column("Aufgaben", weight=4),
         Column("Stellenanteil (VZÄ)", "number", weight=1.5)),
        [("First Level", s.first_level.provider, s.first_level.description, s.first_level.staff_fte),
         ("Second Level", s.second_level.provider, s.second_level.description, s.second_level.staff_fte)],
        caption="Support-Ebenen")
    facts = Facts((
        ("Geräteverwaltung (MDM)", s.device_management, "text"),
        ("Wartung", s.maintenance, "text"),
        ("Ersatzzyklus (Jahre)", s.replacement_cycle_years, "int"),
    ))
    return Section(SECTION_HEADINGS["support"], [levels, facts, *_text(s.note)])


def evaluation_section(plan: Plan) -> Section:
    ev = plan.evaluation
    blocks: list = [Facts((
        ("Planungshorizont (Jahre)", ev.horizon_years, "int"),
        ("Nächste Überprüfung", ev.next_review, "date"),
        ("Fortschreibung", ev.update_process, "text"),
    ))]
    if ev.criteria:
        blocks.append(Table(
            (Column("Indikator", weight=3), Column("Zielwert", weight=3), Column("Methode", weight=2),
             Column("bis", "year")),
            [(c.indicator, c.target, c.method, c.due_year) for c in ev.criteria],
            caption="Evaluationskriterien"))
    return Section(SECTION_HEADINGS["evaluation"], blocks)
