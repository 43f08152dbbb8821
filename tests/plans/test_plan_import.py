"""Importing measures and inventory from CSV and XLSX: all rows or only errors, never half."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest

from plans.csv_import import MAX_IMPORT_ROWS, import_devices, import_measures, import_rooms
from plans.model import DeviceKind, DeviceUser, DisplayKind, Measure, RoomKind
from plans.rulepack import load_pack

GERMAN_CSV = """Nr;Jahr;Kategorie;Beschreibung;Menge;Einheit;Einzelpreis;Summe;Bemerkung;Beginn
m1;2022;wlan;Access Points;20;Stück;389,99;7.799,80;Flur;01.03.2022
m2;2022;Vernetzung in Gebäuden und auf dem Schulgelände;Verkabelung;1;pauschal;12.345,67 €;12.345,67;;
;2023;mobile_devices;Tablets „Klasse 5“;32;Stück;449.99;14.399,68;;

"""


def test_german_csv_utf8_with_names_and_ids():
    result = import_measures(GERMAN_CSV.encode("utf-8-sig"), "massnahmen.csv", pack=load_pack("dp1-ni"))
    assert result.ok, result.errors
    assert result.rows == [
        Measure(id="m1", year=2022, category="wlan", description="Access Points", quantity=D("20"), unit="Stück",
                unit_price=D("389.99"), note="Flur", start=dt.date(2022, 3, 1)),
        # A category given by its German name is stored by id; "12.345,67 €" is German for 12345.67.
        Measure(id="m2", year=2022, category="networking", description="Verkabelung", quantity=D("1"), unit="pauschal",
                unit_price=D("12345.67")),
        # No id: the row number (4) makes one; "449.99" cannot be German thousands, so it is a decimal point.
        Measure(id="m4", year=2023, category="mobile_devices", description="Tablets „Klasse 5“", quantity=D("32"), unit="Stück",
                unit_price=D("449.99")),
    ]
    assert result.ignored_columns == []


def test_windows_1252_and_comma_delimiter():
    text = 'Jahr,Kategorie,Beschreibung,Menge,Einzelpreis,Kostenstelle\n2022,wlan,Geräte für Außenstelle,"1,000",12.50,4711\n2022,wlan,Zubehör,2,"449,99",\n'
    result = import_measures(text.encode("cp1252"), "export.csv")
    assert result.ok, result.errors
    assert [(m.description, m.quantity, m.unit_price) for m in result.rows] == [
        ("Geräte für Außenstelle", D("1000"), D("12.50")), ("Zubehör", D("2"), D("449.99"))]
    assert result.ignored_columns == ["Kostenstelle"]


def test_tab_delimited_english_headers():
    text = "year\tcategory\tdescription\tquantity\tunit price\n2021\twlan\tAPs\t3\t1,234.50\n"
    result = import_measures(text.encode())
    assert result.ok and result.rows[0].unit_price == D("1234.50")


def test_an_import_with_errors_returns_no_rows():
    text = (
        "Nr;Jahr;Kategorie;Beschreibung;Menge;Einzelpreis;Summe\n"
        "a;2022;wlan;AP;20;150,00;3.000,00\n"  # fine
        "b;zwanzig;wlan;AP;-2;150,00;\n"  # year not a number, negative quantity
        "c;2022;drohnen;;1;1x0;\n"  # unknown category, description missing, price broken
        "a;1850;wlan;AP;1;10,00;10,01\n"  # duplicate id, year out of range, total does not match
    )
    result = import_measures(text.encode(), pack=load_pack("dp1-ni"))
    assert result.rows == [] and not result.ok
    problems = {(p.row, p.column, p.code) for p in result.errors}
    assert problems == {
        (3, "Jahr", "cell.not_a_number"),
        (3, "Menge", "cell.negative"),
        (4, "Kategorie", "cell.category"),
        (4, "Beschreibung", "cell.missing"),
        (4, "Einzelpreis", "cell.not_a_number"),
        (5, "Jahr", "cell.year"),
        (5, "Nr", "cell.duplicate_id"),
        (5, "Summe", "cell.total_mismatch"),
    }
    for problem in result.errors:
        assert problem.message_de and problem.message_en and problem.message_de != problem.message_en
    mismatch = next(p for p in result.errors if p.code == "cell.total_mismatch")
    assert "10.00" in mismatch.message_en  # 1 x 10,00


def test_total_check_rounds_half_up_like_the_calculator():
    # 3 x 33.335 = 100.005 -> 100.01 (half up), not 100.00 (half even)
    text = "Jahr;Kategorie;Beschreibung;Menge;Einzelpreis;Summe\n2022;accompanying;Setup;3;33,335;100,01\n"
    assert import_measures(text.encode()).ok


@pytest.mark.parametrize(("data", "code"), [
    (b"", "file.empty"),
    (b"\n\n ; \n", "file.empty"),
    (b"Jahr;Kategorie;Beschreibung;Menge\n2022;wlan;x;1\n", "header.missing"),
    (b"Jahr;Jahr;Kategorie;Beschreibung;Menge;Einzelpreis\n", "header.duplicate"),
    (b"PK\x03\x04 not really a zip", "file.xlsx_broken"),
    (b"\x00\x01\x02binary", "file.binary"),
])
def test_broken_files(data, code):
    result = import_measures(data, "upload.csv")
    assert not result.ok and result.rows == []
    assert result.errors[0].code == code
    if code == "header.missing":
        assert (result.errors[0].row, result.errors[0].column) == (1, "Einzelpreis")


def test_too_many_rows():
    text = "Jahr;Kategorie;Beschreibung;Menge;Einzelpreis\n" + "2022;wlan;AP;1;1\n" * (MAX_IMPORT_ROWS + 1)
    result = import_measures(text.encode())
    assert [p.code for p in result.errors] == ["file.too_many_rows"]


def xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_typed_and_text_cells():
    data = xlsx([
        ["Jahr", "Kategorie", "Beschreibung", "Menge", "Einzelpreis", "Summe", "Beginn"],
        [2022, "wlan", "Access Points", 20, 389.99, 7799.8, dt.datetime(2022, 3, 1)],
        [None, None, None, None, None, None, None],  # an empty row is skipped
        ["2023", "display_devices", "Tafeln", "8", "3.499,00", None, "15.08.2023"],
    ])
    result = import_measures(data, "plan.xlsx")
    assert result.ok, result.errors
    assert [(m.id, m.year, m.quantity, m.unit_price, m.start) for m in result.rows] == [
        ("m2", 2022, D("20"), D("389.99"), dt.date(2022, 3, 1)),
        ("m4", 2023, D("8"), D("3499.00"), dt.date(2023, 8, 15)),
    ]


def test_xlsx_errors_name_row_and_column():
    data = xlsx([["Jahr", "Kategorie", "Beschreibung", "Menge", "Einzelpreis"], [2022, "wlan", "AP", 1.5, -3], [2022, "wlan", "AP", True, 3]])
    result = import_measures(data, "plan.xlsx")
    assert {(p.row, p.column, p.code) for p in result.errors} == {(2, "Einzelpreis", "cell.negative"), (3, "Menge", "cell.not_a_number")}
    assert result.rows == []


def test_devices():
    text = (
        "Geräteart;Anzahl;Nutzung;Raum;Anschaffungsjahr;MDM\n"
        "Tablet;32;Schüler;;2021;ja\n"
        "Beamer;12;gemeinsam;A101;2015;nein\n"
        "laptop;10;Lehrkräfte;;;x\n"
    )
    result = import_devices(text.encode())
    assert result.ok, result.errors
    assert [(d.kind, d.count, d.user, d.room_id, d.year_acquired, d.managed) for d in result.rows] == [
        (DeviceKind.TABLET, 32, DeviceUser.PUPILS, "", 2021, True),
        (DeviceKind.PROJECTOR, 12, DeviceUser.SHARED, "A101", 2015, False),
        (DeviceKind.LAPTOP, 10, DeviceUser.TEACHERS, "", None, True),
    ]
    bad = import_devices("Gerät;Anzahl;MDM\nHolotisch;2,5;vielleicht\n".encode())
    assert {(p.row, p.column, p.code) for p in bad.errors} == {(2, "Gerät", "cell.choice"), (2, "Anzahl", "cell.not_whole"), (2, "MDM", "cell.yes_no")}
    assert "beamer" in next(p for p in bad.errors if p.code == "cell.choice").message_de


def test_rooms():
    text = (
        "Raum;Raumname;Gebäude;Raumart;Netzwerkdosen;Access Points;WLAN;Präsentation\n"
        "A101;Klasse 5a;A;Klassenraum;2;1;;Beamer\n"
        "A201;Informatik;A;Computerraum;30;0;ja;interaktive Tafel\n"
        "B001;Lager;B;Sonstiges;;;nein;\n"
    )
    result = import_rooms(text.encode())
    assert result.ok, result.errors
    rooms = [(r.room.id, r.room.kind, r.equipment.lan_ports, r.equipment.access_points, r.equipment.wlan, r.equipment.display) for r in result.rows]
    assert rooms == [
        ("A101", RoomKind.CLASSROOM, 2, 1, True, DisplayKind.PROJECTOR),  # WLAN follows from the AP when not given
        ("A201", RoomKind.COMPUTER_ROOM, 30, 0, True, DisplayKind.INTERACTIVE_BOARD),
        ("B001", RoomKind.OTHER, 0, 0, False, DisplayKind.NONE),
    ]
    duplicate = import_rooms("Raum;WLAN\nA1;ja\nA1;nein\n".encode())
    assert [(p.row, p.code) for p in duplicate.errors] == [(3, "cell.duplicate_id")] and duplicate.rows == []
