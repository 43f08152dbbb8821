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
import functools
import json
import types
import typing
from decimal import Decimal, InvalidOperation
from enum import Enum
from collections.abc import Callable
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

    def within(self, segment: str) -> "PlanFormatError":
        """The same error one level up: `segment` (a field name or "[3]") put in front of the path."""
        return PlanFormatError(_prefix(segment, self.path), self.message_en, self.message_de)


# ---------------------------------------------------------------- export


def to_data(obj: Any) -> Any:
    """A dataclass tree as JSON-ready dicts, lists, strings, numbers, booleans and None."""
    if isinstance(obj, (str, int, float, bool)) and not isinstance(obj, Enum) or obj is None:
        return obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {name: to_data(getattr(obj, name)) for name in _field_names(type(obj))}
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
    try:
        return _converter(cls)(data)
    except PlanFormatError as error:
        raise error.within(path) if path else error


def _prefix(segment: str, path: str) -> str:
    if not path:
        return segment
    return segment + path if path.startswith("[") else f"{segment}.{path}"


def _fail(message_en: str, message_de: str) -> PlanFormatError:
    return PlanFormatError("", message_en, message_de)


# Converters are built once per type; a failing child raises with its own path and each parent
# puts its segment in front, so that no path text is built for the values that are fine.
@functools.cache
@typing.no_type_check
def _converter(tp: Any) -> Callable[[Any], Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [option for option in typing.get_args(tp) if option is not type(None)]
        convert_inner = _converter(inner)

        def optional(value):
            return None if value is None else convert_inner(value)

        return optional
    if origin is list:
        convert_item = _converter(typing.get_args(tp)[0])

        def list_of(value):
            if not isinstance(value, list):
                raise _fail("must be a list", "muss eine Liste sein")
            result = []
            for index, item in enumerate(value):
                try:
                    result.append(convert_item(item))
                except PlanFormatError as error:
                    raise error.within(f"[{index}]") from None
            return result

        return list_of
    if origin is dict:
        convert_value = _converter(typing.get_args(tp)[1])

        def dict_of(value):
            if not isinstance(value, dict):
                raise _fail("must be an object", "muss ein Objekt sein")
            result = {}
            for key, item in value.items():
                try:
                    result[key] = convert_value(item)
                except PlanFormatError as error:
                    raise error.within(str(key)) from None
            return result

        return dict_of
    if dataclasses.is_dataclass(tp):
        return _dataclass_converter(tp)
    if isinstance(tp, type) and issubclass(tp, Enum):
        members = {member.value: member for member in tp}
        shown = ", ".join(members)

        def enum(value):
            if isinstance(value, str) and value in members:
                return members[value]
            raise _fail(f"unknown value {value!r}; allowed: {shown}", f"unbekannter Wert {value!r}; erlaubt: {shown}")

        return enum
    simple = {Decimal: _decimal, dt.date: _date, bool: _bool, int: _int, str: _str}
    if tp in simple:
        return simple[tp]
    raise TypeError(f"plans.serialize cannot convert {tp!r}")  # a model bug, not bad input


def _dataclass_converter(cls: Any) -> Callable[[Any], Any]:
    hints = typing.get_type_hints(cls)
    names = _field_names(cls)
    converters: dict[str, Callable[[Any], Any]] = {}

    def convert(value):
        if not isinstance(value, dict):
            raise _fail("must be an object", "muss ein Objekt sein")
        if not converters:  # filled on first use: nested dataclasses may refer to each other
            converters.update({name: _converter(hints[name]) for name in names})
        kwargs = {}
        for key, item in value.items():
            if key not in converters:
                raise PlanFormatError(str(key), "unknown field", "unbekanntes Feld")
            if item is None and not _optional(hints[key]):
                raise PlanFormatError(key, "must not be empty (null)", "darf nicht leer (null) sein")
            try:
                kwargs[key] = converters[key](item)
            except PlanFormatError as error:
                raise error.within(key) from None
        return cls(**kwargs)

    return convert


@functools.cache
def _optional(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def _date(value: Any) -> dt.date:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail("must be a date (YYYY-MM-DD)", "muss ein Datum sein (JJJJ-MM-TT)")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise _fail("must be true or false", "muss true oder false sein")


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _fail("must be a whole number", "muss eine ganze Zahl sein")


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _fail("must be text", "muss Text sein")


def _decimal(value: Any) -> Decimal:
    # Strings are the written form; plain JSON numbers are accepted too (parsed without float).
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise _fail("must be a number (as text, e.g. \"12.50\")", "muss eine Zahl sein (als Text, z. B. \"12.50\")")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise _fail(f"{value!r} is not a number", f"{value!r} ist keine Zahl")
    return number


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


