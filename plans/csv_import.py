"""Import measures and inventory (devices, rooms) from CSV or XLSX.

All or nothing: `import_measures`, `import_devices` and `import_rooms` return an `ImportResult`
with either every row parsed (`rows`) or the list of problems (`errors`, each with the row number
as in the file - the header is row 1 - the column as headed in the file, a stable code and a German
and English message) and no rows at all, so that a caller cannot write half an import.

CSV: UTF-8 (with or without BOM) or Windows-1252; delimiter ``;``, ``,`` or tab, found from the
header line. Numbers in a ``;``-delimited file are read the German way (``1.234,56``, ``1.234``
is 1234; ``449.99``, which cannot be German, is read with a decimal point); otherwise the English
way (``1,234.56``; ``449,99`` with one or two digits after the comma is still a decimal comma).
XLSX: the first worksheet; typed numbers are taken as they are, text cells the German way. Headers are matched case-insensitively
against German and English names (see the ``COLUMNS`` tables); unknown columns are ignored and
listed in `ignored_columns`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Generic, TypeVar

from plans.calculator import cents
from plans.model import DeviceKind, DeviceStock, DeviceUser, DisplayKind, Measure, Room, RoomEquipment, RoomKind
from plans.rulepack import RulePack

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
MAX_ERRORS = 200  # a broken file should not produce a list nobody reads

T = TypeVar("T")


@dataclass(frozen=True)
class ImportProblem:
    row: int  # row number in the file (header = 1); 0 for the whole file
    column: str  # column header as in the file ('' for a whole row or the file)
    code: str
    message_de: str
    message_en: str


@dataclass
class ImportResult(Generic[T]):
    rows: list[T] = field(default_factory=list)
    errors: list[ImportProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class RoomRow:
    """One line of a room import: the room for the profile and its state for the inventory."""

    room: Room
    equipment: RoomEquipment


class _CellError(ValueError):
    def __init__(self, code: str, de: str, en: str):
        super().__init__(en)
        self.code, self.de, self.en = code, de, en


# ---------------------------------------------------------------- reading the table


@dataclass
class _Table:
    header: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number in the file, cells)
    decimal_comma: bool


def _read_table(data: bytes, filename: str) -> _Table | ImportProblem:
    if len(data) > MAX_IMPORT_BYTES:
        return _file_problem("file.too_large", f"Die Datei ist größer als {MAX_IMPORT_BYTES // (1024 * 1024)} MB.",
                             f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    return _read_csv(data)


def _file_problem(code: str, de: str, en: str) -> ImportProblem:
    return ImportProblem(0, "", code, de, en)


def _read_csv(data: bytes) -> _Table | ImportProblem:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # cp1252 leaves 5 bytes undefined; they show as U+FFFD
    if "\x00" in text:
        return _file_problem("file.binary", "Die Datei ist keine CSV-Datei.", "The file is not a CSV file.")
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = max(";,\t", key=first.count) if first else ";"
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        return _file_problem("file.csv_broken", f"Die CSV-Datei ist fehlerhaft: {exc}", f"The CSV file is broken: {exc}")
    numbered = [(number, record) for number, record in enumerate(records, start=1) if any(cell.strip() for cell in record)]
    if not numbered:
        return _file_problem("file.empty", "Die Datei ist leer.", "The file is empty.")
    (_, header), *rows = numbered
    return _Table([cell.strip() for cell in header], rows, decimal_comma=delimiter == ";")


def _read_xlsx(data: bytes) -> _Table | ImportProblem:
    import openpyxl  # only needed for XLSX; keeps CSV imports light

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to read an uploaded file is the file's fault, reported as such
        return _file_problem("file.xlsx_broken", f"Die XLSX-Datei lässt sich nicht lesen ({type(exc).__name__}).",
                             f"The XLSX file cannot be read ({type(exc).__name__}).")
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if any(value not in (None, "") for value in values):
                rows.append((number, list(values)))
            if len(rows) > MAX_IMPORT_ROWS + 1:
                break
    finally:
        workbook.close()
    if not rows:
        return _file_problem("file.empty", "Die Tabelle ist leer.", "The sheet is empty.")
    (_, header), *rest = rows
    return _Table(["" if cell is None else str(cell).strip() for cell in header], rest, decimal_comma=True)


# ---------------------------------------------------------------- cell parsers


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores "12" typed as 12.0
    return str(value).strip()


_DE_NUMBER = re.compile(r"-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?")
_EN_NUMBER = re.compile(r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")
_COMMA_DECIMAL = re.compile(r"-?\d+,\d{1,2}")


def _decimal(value: Any, decimal_comma: bool) -> Decimal:
    if isinstance(value, bool):
        raise _CellError("cell.not_a_number", "ist keine Zahl", "is not a number")
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that gives this float, e.g. 449.99
    text = re.sub(r"\s|\u00a0|€|EUR", "", _text(value), flags=re.IGNORECASE)
    if decimal_comma and _DE_NUMBER.fullmatch(text):
        text = text.replace(".", "").replace(",", ".")
    elif _COMMA_DECIMAL.fullmatch(text):
        text = text.replace(",", ".")  # "449,99" in a comma-delimited file: quoted, and plainly a decimal comma
    elif _EN_NUMBER.fullmatch(text):
        text = text.replace(",", "")
    else:
        raise _CellError("cell.not_a_number", f"„{_text(value)}“ ist keine Zahl", f"“{_text(value)}” is not a number")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise _CellError("cell.not_a_number", f"„{_text(value)}“ ist keine Zahl", f"“{_text(value)}” is not a number") from None


def _not_negative_decimal(value: Any, decimal_comma: bool) -> Decimal:
    number = _decimal(value, decimal_comma)
    if number < 0:
        raise _CellError("cell.negative", "darf nicht negativ sein", "must not be negative")
    return number


def _whole(value: Any, decimal_comma: bool) -> int:
    number = _decimal(value, decimal_comma)
    if number != number.to_integral_value():
        raise _CellError("cell.not_whole", f"{_text(value)} ist keine ganze Zahl", f"{_text(value)} is not a whole number")
    if number < 0:
        raise _CellError("cell.negative", "darf nicht negativ sein", "must not be negative")
    return int(number)


def _year(value: Any, decimal_comma: bool) -> int:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year
    year = _whole(value, decimal_comma)
    if not 1990 <= year <= 2100:
        raise _CellError("cell.year", f"{year} ist kein Jahr (1990–2100)", f"{year} is not a year (1990–2100)")
    return year


def _date(value: Any, _: bool) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise _CellError("cell.date", f"„{text}“ ist kein Datum (TT.MM.JJJJ)", f"“{text}” is not a date (DD.MM.YYYY or YYYY-MM-DD)")


_YES = {"ja", "j", "yes", "y", "x", "1", "true", "wahr"}
_NO = {"nein", "n", "no", "0", "false", "falsch", "-"}


def _bool(value: Any, _: bool) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise _CellError("cell.yes_no", f"„{_text(value)}“: bitte ja oder nein", f"“{_text(value)}”: use yes or no")


def _choice(enum: type[Enum], names: dict[str, str]) -> Callable[[Any, bool], Enum]:
    """A parser for an enum by value or by one of its German/English names (lower case)."""
    lookup = {member.value: member for member in enum}
    lookup.update({name: enum(value) for name, value in names.items()})
    allowed = ", ".join(sorted(name for name in lookup if name))

    def parse(value: Any, _: bool) -> Enum:
        key = _text(value).lower()
        if key in lookup:
            return lookup[key]
        raise _CellError("cell.choice", f"„{_text(value)}“ ist unbekannt; möglich: {allowed}", f"“{_text(value)}” is unknown; allowed: {allowed}")

    return parse


_DEVICE_KIND = _choice(DeviceKind, {
    "pc": "desktop", "computer": "desktop", "desktop-pc": "desktop", "notebook": "laptop", "tablet": "tablet", "ipad": "tablet",
    "interaktive tafel": "interactive_board", "interaktives whiteboard": "interactive_board", "whiteboard": "interactive_board",
    "smartboard": "interactive_board", "interaktives display": "interactive_board", "bildschirm": "display", "großbildschirm": "display",
    "beamer": "projector", "projektor": "projector", "dokumentenkamera": "document_camera", "access point": "access_point",
    "ap": "access_point", "server": "server", "drucker": "printer", "laborgerät": "lab_equipment", "messgerät": "lab_equipment",
    "sonstiges": "other",
})
_DEVICE_USER = _choice(DeviceUser, {
    "schüler": "pupils", "schülerinnen und schüler": "pupils", "schüler:innen": "pupils", "lehrkräfte": "teachers",
    "lehrer": "teachers", "gemeinsam": "shared", "pool": "shared", "verwaltung": "administration",
})
_ROOM_KIND = _choice(RoomKind, {
    "klassenraum": "classroom", "klassenzimmer": "classroom", "unterrichtsraum": "classroom", "computerraum": "computer_room",
    "informatikraum": "computer_room", "fachraum": "specialist", "lehrerzimmer": "staff", "verwaltung": "administration",
    "sonstiges": "other",
})
_DISPLAY = _choice(DisplayKind, {
    "keine": "none", "kein": "none", "": "none", "beamer": "projector", "projektor": "projector", "interaktive tafel": "interactive_board",
    "whiteboard": "interactive_board", "smartboard": "interactive_board", "bildschirm": "display", "sonstige": "other", "sonstiges": "other",
})


def _plain(value: Any, _: bool) -> str:
    return _text(value)


# ---------------------------------------------------------------- column tables


@dataclass(frozen=True)
class Column:
    key: str
    headers: tuple[str, ...]  # accepted headers, lower case; the first is the German name shown in messages
    parse: Callable[[Any, bool], Any] = _plain
    required: bool = False  # the column must exist and every row needs a value

    @property
    def name(self) -> str:
        """The German header, as messages show it."""
        return self.headers[0][:1].upper() + self.headers[0][1:]


MEASURE_COLUMNS = (
    Column("id", ("nr", "nr.", "id", "kennung", "lfd. nr.")),
    Column("year", ("jahr", "haushaltsjahr", "year"), _year, required=True),
    Column("category", ("kategorie", "förderkategorie", "förderbereich", "category"), required=True),
    Column("description", ("beschreibung", "bezeichnung", "maßnahme", "description"), required=True),
    Column("quantity", ("menge", "anzahl", "stückzahl", "quantity"), _not_negative_decimal, required=True),
    Column("unit", ("einheit", "unit")),
    Column("unit_price", ("einzelpreis", "einzelpreis (brutto)", "stückpreis", "preis", "unit price", "unit_price"), _not_negative_decimal, required=True),
    Column("total", ("summe", "gesamt", "gesamtpreis", "total"), _decimal),
    Column("room_id", ("raum", "room", "room_id")),
    Column("target_item_id", ("soll-position", "target item", "target_item_id")),
    Column("linked_measure_id", ("bezug", "verknüpft mit", "linked measure", "linked_measure_id")),
    Column("start", ("beginn", "start"), _date),
    Column("note", ("bemerkung", "anmerkung", "note")),
)

DEVICE_COLUMNS = (
    Column("kind", ("geräteart", "gerät", "art", "kind"), _DEVICE_KIND, required=True),
    Column("count", ("anzahl", "menge", "count"), _whole, required=True),
    Column("user", ("nutzung", "nutzer", "user"), _DEVICE_USER),
    Column("room_id", ("raum", "room", "room_id")),
    Column("year_acquired", ("anschaffungsjahr", "baujahr", "year acquired", "year_acquired"), _year),
    Column("managed", ("mdm", "verwaltet", "managed"), _bool),
    Column("note", ("bemerkung", "anmerkung", "note")),
)

ROOM_COLUMNS = (
    Column("room_id", ("raum", "raum-id", "raumnummer", "room", "room_id"), required=True),
    Column("name", ("raumname", "bezeichnung", "name")),
    Column("building_id", ("gebäude", "building", "building_id")),
    Column("kind", ("raumart", "art", "kind"), _ROOM_KIND),
    Column("lan_ports", ("netzwerkdosen", "lan-ports", "lan", "lan_ports"), _whole),
    Column("access_points", ("access points", "aps", "wlan-aps", "access_points"), _whole),
    Column("wlan", ("wlan", "wifi"), _bool),
    Column("display", ("präsentation", "anzeigegerät", "display"), _DISPLAY),
    Column("note", ("bemerkung", "anmerkung", "note")),
)


# ---------------------------------------------------------------- parsing rows


def _parse_table(data: bytes, filename: str, columns: tuple[Column, ...]) -> tuple[_Table | None, list[dict], ImportResult]:
    """Rows as dicts by column key, or the problems. Returns (table, records, result-with-errors)."""
    result: ImportResult = ImportResult()
    table = _read_table(data, filename)
    if isinstance(table, ImportProblem):
        result.errors.append(table)
        return None, [], result
    if len(table.rows) > MAX_IMPORT_ROWS:
        result.errors.append(_file_problem("file.too_many_rows", f"Mehr als {MAX_IMPORT_ROWS} Zeilen.", f"More than {MAX_IMPORT_ROWS} rows."))
        return None, [], result
    positions: dict[str, int] = {}
    for index, title in enumerate(table.header):
        column = next((c for c in columns if title.lower() in c.headers), None)
        if column is None:
            if title:
                result.ignored_columns.append(title)
        elif column.key in positions:
            result.errors.append(ImportProblem(1, title, "header.duplicate", f"Die Spalte {title} kommt doppelt vor.", f"The column {title} appears twice."))
        else:
            positions[column.key] = index
    for column in columns:
        if column.required and column.key not in positions:
            result.errors.append(ImportProblem(1, column.name, "header.missing", f"Die Spalte „{column.name}“ fehlt.",
                                               f"The column “{column.name}” ({column.headers[-1]}) is missing."))
    if result.errors:
        return None, [], result
    records = []
    for number, cells in table.rows:
        record: dict[str, Any] = {"_row": number}
        for column in columns:
            if column.key not in positions:
                continue
            index = positions[column.key]
            value = cells[index] if index < len(cells) else None
            header = table.header[index]
            if value is None or (isinstance(value, str) and not value.strip()):
                if column.required:
                    _add(result, ImportProblem(number, header, "cell.missing", f"{header}: Wert fehlt.", f"{header}: value missing."))
                continue
            try:
                record[column.key] = column.parse(value, table.decimal_comma)
            except _CellError as problem:
                _add(result, ImportProblem(number, header, problem.code, f"{header}: {problem.de}.", f"{header}: {problem.en}."))
        records.append(record)
    return table, records, result


def _add(result: ImportResult, problem: ImportProblem) -> None:
    if len(result.errors) < MAX_ERRORS:
        result.errors.append(problem)


def _header_of(table: _Table, columns: tuple[Column, ...], key: str) -> str:
    column = next(c for c in columns if c.key == key)
    return next((title for title in table.header if title.lower() in column.headers), column.name)


def _once(item_id: str, row: int, seen: dict[str, int], result: ImportResult, header: str) -> None:
    """Report an id that an earlier row already has."""
    if item_id in seen:
        _add(result, ImportProblem(row, header, "cell.duplicate_id", f"{header}: {item_id} steht schon in Zeile {seen[item_id]}.",
                                   f"{header}: {item_id} is already in row {seen[item_id]}."))
    seen.setdefault(item_id, row)


def _finish(result: ImportResult, rows: list) -> ImportResult:
    """All rows, or none when there is any error."""
    result.rows = [] if result.errors else rows
    return result


def import_measures(data: bytes, filename: str = "", pack: RulePack | None = None) -> ImportResult[Measure]:
    """Measures from CSV/XLSX. With `pack`, categories may be given by id or by their German or
    English name, and unknown categories are errors. Rows without an id get ``m<row>``; a
    ``Summe`` column, if present, must equal quantity x unit price rounded to cents."""
    table, records, result = _parse_table(data, filename, MEASURE_COLUMNS)
    if table is None:
        return result
    names = {}
    if pack is not None:
        for category in pack.categories.values():
            names.update({category.id.lower(): category.id, category.name_de.lower(): category.id, category.name_en.lower(): category.id})
    seen: dict[str, int] = {}
    measures = []
    for record in records:
        row = record.pop("_row")
        total = record.pop("total", None)
        if pack is not None and "category" in record:
            category = names.get(record["category"].lower())
            if category is None:
                header = _header_of(table, MEASURE_COLUMNS, "category")
                _add(result, ImportProblem(row, header, "cell.category", f"{header}: „{record['category']}“ ist keine Kategorie von {pack.name_de}.",
                                           f"{header}: “{record['category']}” is not a category of {pack.name_en}."))
            record["category"] = category or record["category"]
        record.setdefault("id", f"m{row}")
        _once(record["id"], row, seen, result, _header_of(table, MEASURE_COLUMNS, "id"))
        if total is not None and "quantity" in record and "unit_price" in record:
            expected = cents(record["quantity"] * record["unit_price"])
            if cents(total) != expected:
                header = _header_of(table, MEASURE_COLUMNS, "total")
                _add(result, ImportProblem(row, header, "cell.total_mismatch",
                                           f"{header}: {total} ≠ Menge × Einzelpreis = {expected}.", f"{header}: {total} ≠ quantity × unit price = {expected}."))
        if all(key in record for key in ("year", "category", "description", "quantity", "unit_price")):
            measures.append(Measure(**record))
    return _finish(result, measures)


def import_devices(data: bytes, filename: str = "") -> ImportResult[DeviceStock]:
    """Inventory devices (kind, count, user, room, year, MDM) from CSV/XLSX."""
    table, records, result = _parse_table(data, filename, DEVICE_COLUMNS)
    if table is None:
        return result
    devices = []
    for record in records:
        record.pop("_row")
        if "kind" in record and "count" in record:
            devices.append(DeviceStock(**record))
    return _finish(result, devices)


def import_rooms(data: bytes, filename: str = "") -> ImportResult[RoomRow]:
    """Rooms with their network, WLAN and display state from CSV/XLSX."""
    table, records, result = _parse_table(data, filename, ROOM_COLUMNS)
    if table is None:
        return result
    rooms, seen = [], {}
    for record in records:
        row = record.pop("_row")
        if "room_id" not in record:
            continue
        room_id = record["room_id"]
        _once(room_id, row, seen, result, _header_of(table, ROOM_COLUMNS, "room_id"))
        room = Room(id=room_id, name=record.get("name", ""), building_id=record.get("building_id", ""), kind=record.get("kind", RoomKind.CLASSROOM))
        equipment = RoomEquipment(
            room_id=room_id,
            lan_ports=record.get("lan_ports", 0),
            access_points=record.get("access_points", 0),
            wlan=record.get("wlan", record.get("access_points", 0) > 0),
            display=record.get("display", DisplayKind.NONE),
            note=record.get("note", ""),
        )
        rooms.append(RoomRow(room, equipment))
    return _finish(result, rooms)
