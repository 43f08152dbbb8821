"""A step of the plan as an HTML form and back, derived from the dataclasses of ``plans.model``.

Form names are dotted paths (``measures.3.unit_price``); list rows carry their ``id`` in a hidden
field and may be marked for removal; empty extra rows let people add entries without JavaScript.
Parsing never refuses a whole step: a value that cannot be read (a word in a number field) keeps
the stored value and is reported for its field, so a draft can always be saved.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
import types
import typing
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import Enum

from plans import frameworks, serialize
from plans.model import Land, Plan
from schoolcloud.planning import labels
from schoolcloud.planning.sections import Section
from schoolcloud.web.i18n import N_, current_locale
from schoolcloud.web.i18n import gettext_ as _

EXTRA_ROWS = 1  # empty rows under each list, for adding without JavaScript
# A step's form has about a dozen fields per list row; 200 measures are 2,600 fields (the parser's
# default limit is 1,000). The request body limit bounds what this lets in.
MAX_FIELDS = 100_000
HIDDEN = {"Plan.schema_version", "Plan.id", "FundingProgramme.rule_pack_version"}
NOT_A_NUMBER = N_("Please enter a number, e.g. 12,50.")
NOT_WHOLE = N_("Please enter a whole number.")


@dataclass
class Input:
    name: str
    label: str
    kind: str  # text, textarea, int, decimal, bool, choice, date, numbers, params, hidden
    value: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    hint: str = ""

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    @property
    def path(self) -> str:
        """The serialiser's and validator's way to name the field: ``measures[3].unit_price``."""
        return re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", self.name)


@dataclass
class Group:
    name: str
    label: str
    children: list


@dataclass
class Row:
    index: int
    label: str
    inputs: list[Input]
    hidden: list[Input]
    new: bool


@dataclass
class Table:
    name: str
    label: str
    columns: list[tuple[str, str]]  # (field name, label)
    rows: list[Row]

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")


def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _unwrap(tp):
    """(inner type, optional) of ``X | None``."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return inner[0], True
    return tp, False


def _is_dataclass_list(tp) -> bool:
    return typing.get_origin(tp) is list and dataclasses.is_dataclass(typing.get_args(tp)[0])


def _format_decimal(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value, "f")
    return text.replace(".", ",") if current_locale.get() == "de" else text


def _show(value, tp) -> str:
    inner, _optional = _unwrap(tp)
    if value is None:
        return ""
    if inner is Decimal:
        return _format_decimal(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if typing.get_origin(inner) is list:
        return ", ".join(str(v) for v in value)
    if typing.get_origin(inner) is dict:
        return "\n".join(f"{k} = {_format_decimal(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


class Choices:
    """Options for fields that name other parts of the plan or a code list."""

    def __init__(self, plan: Plan, programmes: list[tuple[str, str]], categories: list[tuple[str, str]],
                 parameters: list[tuple[str, bool]] = ()):
        self.plan, self.programmes, self.categories = plan, programmes, categories
        self.parameters = list(parameters)  # (name, known) of the values the programme lets a plan set

    def suggestions(self, name: str) -> list[tuple[str, str]] | None:
        """Values offered in a shared list (a datalist) rather than a select in every row: a measure may
        name any other measure, and 200 selects of 200 options would make the page megabytes long."""
        if name == "linked_measure_id":
            return [(m.id, m.description or m.id) for m in self.plan.measures if m.id]
        return None

    def parameters_hint(self) -> str:
        if not self.parameters:
            return _("This programme leaves no values to fill in.")
        names = ", ".join(name if known else _("%(name)s (unknown)", name=name) for name, known in self.parameters)
        return _("Values this programme lets you set: %(names)s. Write one per line, e.g. %(example)s = 123,45.",
                 names=names, example=self.parameters[0][0])

    def for_field(self, owner: str, name: str, tp, current: str) -> list[tuple[str, str]] | None:
        inner, optional = _unwrap(tp)
        options: list[tuple[str, str]] | None = None
        if isinstance(inner, type) and issubclass(inner, Land):
            options = [("", "–")] + list(labels.LANDS.items())
        elif isinstance(inner, type) and issubclass(inner, Enum):
            names = labels.CHOICES.get(inner.__name__, {})
            options = [(m.value, _(names[m.value]) if m.value in names else m.value) for m in inner]
        elif name == "rule_pack_id" and self.programmes:
            options = [("", "–")] + self.programmes
        elif name == "category" and self.categories:
            options = [("", "–")] + self.categories
        elif name == "building_id":
            options = [("", "–")] + [(b.id, b.name or b.id) for b in self.plan.profile.buildings if b.id]
        elif name == "room_id":
            options = [("", "–")] + [(r.id, r.name or r.id) for r in self.plan.profile.rooms if r.id]
        elif name == "target_item_id":
            options = [("", "–")] + [(i.id, i.description or i.id) for i in self.plan.target.items if i.id]
        elif name == "competence":
            options = [("", "–")] + competence_choices(self.plan)
        if options is not None and current and current not in {v for v, _label in options}:
            options.append((current, current))  # keep an unknown stored value visible rather than lose it
        return options


def competence_choices(plan: Plan) -> list[tuple[str, str]]:
    framework = frameworks.framework(plan.pedagogy.framework)
    english = current_locale.get() != "de"
    options = []
    for area in framework.areas:
        options.append((area.code, f"{area.code} {area.name_en if english else area.name_de}"))
        options += [(f"{area.code}.{n}", f"{area.code}.{n}") for n in range(1, framework.sub_competences_per_area + 1)]
    return options


def build(section: Section, plan: Plan, choices: Choices, typed=None, errors: dict | None = None) -> list:
    """The widgets of one step. Fields with ``errors`` show what was ``typed`` (the submitted form)."""
    hints = _hints(Plan)
    raw = {name: typed.get(name, "") for name in errors} if typed is not None and errors else {}
    return [_widget("Plan", attr, hints[attr], getattr(plan, attr), attr, choices, raw)
            for attr in section.attributes]


def _widget(owner: str, attr: str, tp, value, name: str, choices: Choices, raw: dict):
    inner, _optional = _unwrap(tp)
    label = labels.field_label(owner, attr)
    if dataclasses.is_dataclass(inner):
        hints = _hints(inner)
        children = [_widget(inner.__name__, f.name, hints[f.name], getattr(value, f.name), f"{name}.{f.name}",
                            choices, raw)
                    for f in dataclasses.fields(inner) if f"{inner.__name__}.{f.name}" not in HIDDEN]
        return Group(name, label, children)
    if _is_dataclass_list(inner):
        return _table(owner, attr, typing.get_args(inner)[0], value, name, choices, raw)
    return _input(owner, attr, tp, value, name, choices, raw)


def _input(owner: str, attr: str, tp, value, name: str, choices: Choices, raw: dict) -> Input:
    inner, _optional = _unwrap(tp)
    shown = raw[name] if name in raw else _show(value, tp)
    label = labels.field_label(owner, attr)
    options = choices.for_field(owner, attr, tp, shown)
    if options is not None:
        return Input(name, label, "choice", shown, options)
    suggested = choices.suggestions(attr)
    if suggested is not None:
        return Input(name, label, "suggest", shown, suggested, hint="")
    if inner is bool:
        kind = "bool"
    elif inner is int:
        kind = "int"
    elif inner is Decimal:
        kind = "decimal"
    elif inner is dt.date:
        kind = "date"
    elif typing.get_origin(inner) is list:
        kind = "numbers"
    elif typing.get_origin(inner) is dict:
        return Input(name, label, "params", shown, hint=choices.parameters_hint())
    else:
        kind = "textarea" if attr in labels.LONG_TEXT else "text"
    return Input(name, label, kind, shown)


def _table(owner: str, attr: str, cls, items: list, name: str, choices: Choices, raw: dict) -> Table:
    hints = _hints(cls)
    columns = [(f.name, labels.field_label(cls.__name__, f.name)) for f in dataclasses.fields(cls) if f.name != "id"]
    row_label = labels.ROWS.get(cls.__name__, cls.__name__)
    rows = []
    for index, item in enumerate(list(items) + [cls() for _extra in range(EXTRA_ROWS)]):
        prefix = f"{name}.{index}"
        inputs = [_input(cls.__name__, f, hints[f], getattr(item, f), f"{prefix}.{f}", choices, raw)
                  for f, _label in columns]
        hidden = [Input(f"{prefix}.id", "id", "hidden", getattr(item, "id", ""))] if "id" in hints else []
        rows.append(Row(index, f"{_(row_label)} {index + 1}", inputs, hidden, new=index >= len(items)))
    return Table(name, labels.field_label(owner, attr), columns, rows)


# -- parsing ------------------------------------------------------------------------------------------

class Errors(dict):
    """Form name -> English message id of a value that could not be read. ``new_ids`` maps the row
    prefix of each new list row to the id it was given (the autosave puts them into the form)."""

    def __init__(self):
        super().__init__()
        self.new_ids: dict[str, str] = {}


def parse(section: Section, form, base: Plan) -> tuple[Plan, Errors]:
    """The plan with this step's values from ``form``; unreadable values keep ``base``'s and are reported."""
    errors = Errors()
    plan = copy.deepcopy(base)
    hints = _hints(Plan)
    for attr in section.attributes:
        setattr(plan, attr, _parse(hints[attr], attr, form, getattr(base, attr), errors, owner="Plan", attr=attr))
    return plan, errors


def _parse(tp, name: str, form, old, errors: Errors, *, owner: str, attr: str):
    inner, optional = _unwrap(tp)
    if dataclasses.is_dataclass(inner):
        hints = _hints(inner)
        base = old if old is not None else inner()
        values = {}
        for f in dataclasses.fields(inner):
            if f"{inner.__name__}.{f.name}" in HIDDEN:
                values[f.name] = getattr(base, f.name)
            else:
                values[f.name] = _parse(hints[f.name], f"{name}.{f.name}", form, getattr(base, f.name), errors,
                                        owner=inner.__name__, attr=f.name)
        return inner(**values)
    if _is_dataclass_list(inner):
        return _parse_rows(typing.get_args(inner)[0], name, form, old or [], errors)
    raw = form.get(name)
    if inner is bool:
        return raw not in (None, "", "0")
    if raw is None:
        return old  # not on this form
    text = raw.strip() if isinstance(raw, str) else ""
    try:
        return _scalar(inner, optional, text, old)
    except ValueError as exc:
        errors[name] = str(exc)
        return old


def _scalar(inner, optional: bool, text: str, old):
    if isinstance(inner, type) and issubclass(inner, Enum):
        if not text and optional:
            return None
        try:
            return inner(text)
        except ValueError:
            raise ValueError(N_("Please choose one of the offered values.")) from None
    if inner is int:
        if not text:
            return None if optional else 0
        if re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text):
            text = text.replace(".", "")  # 1.200 pupils, German grouping
        if not re.fullmatch(r"-?\d{1,9}", text):
            raise ValueError(NOT_WHOLE)
        return int(text)
    if inner is Decimal:
        if not text:
            return None if optional else Decimal("0")
        return read_decimal(text)
    if inner is dt.date:
        if not text:
            return None
        for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise ValueError(N_("Please enter a date, e.g. 31.07.2026."))
    if typing.get_origin(inner) is list:
        parts = [p for p in re.split(r"[,;\s]+", text) if p]
        if not all(re.fullmatch(r"\d{1,2}", p) for p in parts):
            raise ValueError(N_("Please enter whole numbers separated by commas, e.g. 5, 6."))
        return [int(p) for p in parts]
    if typing.get_origin(inner) is dict:
        return _parameters(text)
    return text.replace("\r\n", "\n") if isinstance(text, str) else old


def read_decimal(text: str) -> Decimal:
    """12,50 / 1.234,50 / 1234.50 / 1 234,50 / '12,50 €' – German and English ways of writing amounts."""
    cleaned = text.replace("€", "").replace("EUR", "").replace("\u00a0", "").replace(" ", "").strip()
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(\.\d{3}){2,}", cleaned):
        cleaned = cleaned.replace(".", "")  # 1.234.567 is a German thousands grouping
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(NOT_A_NUMBER) from None
    if not value.is_finite() or abs(value) >= Decimal("1e13"):
        raise ValueError(NOT_A_NUMBER)
    return value


def _parameters(text: str) -> dict[str, Decimal]:
    values = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, number = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(N_("Please write one “name = number” per line."))
        values[key.strip()] = read_decimal(number)
    return values


def _parse_rows(cls, name: str, form, old: list, errors: Errors) -> list:
    indices = sorted({int(m.group(1)) for key in form.keys()
                      if (m := re.match(re.escape(name) + r"\.(\d+)\.", key))})
    by_id = {getattr(item, "id", None): item for item in old if getattr(item, "id", "")}
    empty = serialize.to_data(cls())
    rows = []
    for index in indices:
        prefix = f"{name}.{index}"
        if form.get(f"{prefix}._remove"):
            continue
        row_id = (form.get(f"{prefix}.id") or "").strip()
        previous = by_id.get(row_id) if row_id else None
        row = _parse(cls, prefix, form, previous or cls(), errors, owner=cls.__name__, attr="")
        if previous is None and _blank(row, empty):
            for key in [k for k in errors if k.startswith(prefix + ".")]:
                del errors[key]
            continue
        if hasattr(row, "id") and not row.id:
            row.id = uuid.uuid4().hex[:8]
            errors.new_ids[prefix] = row.id
        rows.append(row)
    return rows


def _blank(row, empty: dict) -> bool:
    data = serialize.to_data(row)
    data.pop("id", None)
    return data == {k: v for k, v in empty.items() if k != "id"}
