"""Complete JSON export and import of plans and carriers.

The format is the dataclasses of `plans.model` as JSON objects with the same field names, plus
`schema_version`. Decimals are written as strings ("1234.50") so that no digit is lost, dates as
ISO strings, enums by value. Import checks every value's type and reports the first problem as a
`PlanFormatError` naming the field path (e.g. ``measures[3].unit_price``) in English and German.
Missing keys take the field's default (so documents from before a field was added still load);
unknown keys are refused, because they are usually typos that would otherwise lose data silently.

Import checks the *format* only; content (negative prices, missing sections) is the validator's
job, so that any draft can be stored and reloaded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import types
import typing
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from plans.model import SCHEMA_VERSION, Carrier, Plan

T = TypeVar("T")

# A JSON document of more than this many characters is refused before parsing (a carrier with 60
# schools of 200 measures each is about 5 MB).
MAX_JSON_CHARS = 50_000_000


class PlanFormatError(ValueError):
    """A JSON document is not a well-formed plan. `path` names the field ('' for the whole doc)."""

    def __init__(self, path: str, message_en: str, message_de: str):
        self.path = path
        self.message_en = message_en
        self.message_de = message_de
        where = path or "(document)"
        super().__init__(f"{where}: {message_en}")


# ---------------------------------------------------------------- export


def to_data(obj: Any) -> Any:
    """A dataclass tree as JSON-ready dicts, lists, strings, numbers, booleans and None."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, list):
        return [to_data(item) for item in obj]
    if isinstance(obj, dict):
        return {str(key): to_data(value) for key, value in obj.items()}
    return obj


def plan_to_json(plan: Plan, indent: int | None = 2) -> str:
    return json.dumps(to_data(plan), ensure_ascii=False, indent=indent)


def carrier_to_json(carrier: Carrier, indent: int | None = 2) -> str:
    return json.dumps(to_data(carrier), ensure_ascii=False, indent=indent)


# ---------------------------------------------------------------- import


def plan_from_json(text: str | bytes) -> Plan:
    return from_data(Plan, _parse(text))


def carrier_from_json(text: str | bytes) -> Carrier:
    return from_data(Carrier, _parse(text))


def _parse(text: str | bytes) -> Any:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PlanFormatError("", "the file is not UTF-8 text", "Die Datei ist kein UTF-8-Text") from exc
    if len(text) > MAX_JSON_CHARS:
        raise PlanFormatError("", "the file is too large", "Die Datei ist zu groß")
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise PlanFormatError(
            "",
            f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            f"kein gültiges JSON (Zeile {exc.lineno}, Spalte {exc.colno}: {exc.msg})",
        ) from exc
    if isinstance(data, dict):
        version = data.get("schema_version", SCHEMA_VERSION)
        if not isinstance(version, int) or isinstance(version, bool):
            raise PlanFormatError("schema_version", "must be a whole number", "muss eine ganze Zahl sein")
        if version > SCHEMA_VERSION:
            raise PlanFormatError(
                "schema_version",
                f"version {version} is newer than this program understands ({SCHEMA_VERSION})",
                f"Version {version} ist neuer als dieses Programm versteht ({SCHEMA_VERSION})",
            )
    return data


def from_data(cls: type[T], data: Any, path: str = "") -> T:
    """Build a dataclass of type `cls` from JSON data, checking every value's type."""
    return _convert(cls, data, path)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@typing.no_type_check
def _convert(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None:
            if type(None) in options:
                return None
            raise PlanFormatError(path, "must not be empty (null)", "darf nicht leer (null) sein")
        (inner,) = [option for option in options if option is not type(None)]
        return _convert(inner, value, path)
    if origin is list:
        if not isinstance(value, list):
            raise PlanFormatError(path, "must be a list", "muss eine Liste sein")
        (inner,) = typing.get_args(tp)
        return [_convert(inner, item, f"{path}[{index}]") for index, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise PlanFormatError(path, "must be an object", "muss ein Objekt sein")
        _, inner = typing.get_args(tp)
        return {key: _convert(inner, item, _join(path, key)) for key, item in value.items()}
    if dataclasses.is_dataclass(tp):
        return _convert_dataclass(tp, value, path)
    if isinstance(tp, type) and issubclass(tp, Enum):
        allowed = [member.value for member in tp]
        if value not in allowed:
            shown = ", ".join(allowed)
            raise PlanFormatError(
                path, f"unknown value {value!r}; allowed: {shown}", f"unbekannter Wert {value!r}; erlaubt: {shown}"
            )
        return tp(value)
    if tp is Decimal:
        return _decimal(value, path)
    if tp is dt.date:
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise PlanFormatError(path, "must be a date (YYYY-MM-DD)", "muss ein Datum sein (JJJJ-MM-TT)")
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise PlanFormatError(path, "must be true or false", "muss true oder false sein")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise PlanFormatError(path, "must be a whole number", "muss eine ganze Zahl sein")
    if tp is str:
        if isinstance(value, str):
            return value
        raise PlanFormatError(path, "must be text", "muss Text sein")
    raise TypeError(f"plans.serialize cannot convert {tp!r} at {path}")  # a model bug, not bad input


def _decimal(value: Any, path: str) -> Decimal:
    # Strings are the written form; plain JSON numbers are accepted too (parsed without float).
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise PlanFormatError(path, "must be a number (as text, e.g. \"12.50\")", "muss eine Zahl sein (als Text, z. B. \"12.50\")")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise PlanFormatError(path, f"{value!r} is not a number", f"{value!r} ist keine Zahl")
    return number


def _convert_dataclass(cls: Any, value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise PlanFormatError(path, "must be an object", "muss ein Objekt sein")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [key for key in value if key not in fields]
    if unknown:
        key = unknown[0]
        raise PlanFormatError(_join(path, str(key)), "unknown field", "unbekanntes Feld")
    kwargs = {name: _convert(hints[name], value[name], _join(path, name)) for name in fields if name in value}
    return cls(**kwargs)
