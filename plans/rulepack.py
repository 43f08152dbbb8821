"""Rule packs: the funding rules of one programme in one Land, as versioned YAML data files.

The files live in plans/rulepacks/ as ``<id>.v<version>.yaml``. A pack may ``extends`` another
(the Land packs extend ``dp1-federal``): mappings are merged key by key, the child winning; keys
listed in the child's ``replace`` are taken from the child whole. Every rule value is written as

    {value: ..., source: <key of `sources` or URL>, status: known|approximate|unverified|unknown,
     note: "...", parameter: <name>}

and loaded as a `Sourced` value. ``status: unknown`` goes with ``value: null``: the value is not
known (never guessed). A ``parameter`` name lets a plan supply or override the value through
``Plan.programme.parameters`` (for instance NI's per-pupil amount, or a DigitalPakt 2.0 rate once a
Land publishes it). For boolean values (category eligibility) a parameter of 1 means true, 0 false.

`load_pack` and `available_packs` read the bundled files; `parse_pack` checks a pack given as data
(e.g. one a carrier edited and stored elsewhere). Problems raise `RulePackError` naming the file
and the key path.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from plans.model import CompetenceFramework, Land, Measure, Plan

PACK_DIR = Path(__file__).with_name("rulepacks")
# libyaml's loader when PyYAML has it: the pure-Python one takes about a second for the bundled packs.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SECTION_NAMES = tuple(f.name for f in fields(Plan) if f.name not in ("id", "title", "schema_version", "programme", "adopted_on"))

V = TypeVar("V")


class RulePackError(ValueError):
    def __init__(self, origin: str, path: str, message: str):
        self.origin = origin
        self.path = path
        self.message = message
        super().__init__(f"{origin}: {path or '(pack)'}: {message}")


class UnknownRulePack(LookupError):
    def __init__(self, pack_id: str, version: str | None):
        self.pack_id = pack_id
        self.version = version
        wanted = f"{pack_id} version {version}" if version else pack_id
        super().__init__(f"no rule pack {wanted}")


class ValueStatus(StrEnum):
    KNOWN = "known"
    APPROXIMATE = "approximate"  # the source gives an "about" figure
    UNVERIFIED = "unverified"  # reported, not confirmed from a primary text
    UNKNOWN = "unknown"  # no value


@dataclass(frozen=True)
class Sourced(Generic[V]):
    value: V | None
    status: ValueStatus
    sources: tuple[str, ...] = ()
    note: str = ""
    parameter: str = ""  # plan parameter that may supply or override the value

    @property
    def known(self) -> bool:
        return self.value is not None

    @property
    def source(self) -> str:
        """The sources as one string, for messages and exports."""
        return " ; ".join(self.sources)


UNKNOWN: Sourced[Any] = Sourced(None, ValueStatus.UNKNOWN)


class BudgetFormula(StrEnum):
    # A fixed base (Sockel) per school plus an amount per weighted pupil (Niedersachsen).
    SOCKEL_PLUS_WEIGHTED_PER_PUPIL = "sockel_plus_weighted_per_pupil"
    # An amount per pupil (BW, HE: "about" figures).
    PER_PUPIL = "per_pupil"
    # The Land allocates each carrier a budget by a formula with data we do not have (NRW: GFG
    # Schlüsselzuweisung); the amount comes from the allocation notice (FundingProgramme.allocated_budget).
    ALLOCATED = "allocated"


@dataclass(frozen=True)
class BudgetRule:
    formula: BudgetFormula
    note: str = ""
    sources: tuple[str, ...] = ()
    sockel_per_school: Sourced[Decimal] = UNKNOWN
    sockel_min_pupils: Sourced[int] = UNKNOWN
    sockel_per_pupil_below_min: Sourced[Decimal] = UNKNOWN
    per_pupil_amount: Sourced[Decimal] = UNKNOWN
    # Weights by group: general, grundschule, vocational_full_time, vocational_part_time.
    pupil_weights: Mapping[str, Sourced[Decimal]] = field(default_factory=dict)


@dataclass(frozen=True)
class MobileDeviceCap:
    """VV § 3 Abs. 1 Nr. 6 lit. c (see plans.calculator for how it is applied)."""

    applies_to: str  # "general": allgemeinbildende schools only; "all"
    carrier_share: Sourced[Decimal]
    per_school_amount: Sourced[Decimal]
    transferable_between_schools: Sourced[bool]
    note: str = ""


@dataclass(frozen=True)
class Pillar:
    id: str
    name_de: str
    name_en: str


@dataclass(frozen=True)
class Category:
    id: str
    name_de: str
    name_en: str
    pillar: str | None  # None: outside every pillar (not eligible)
    eligible: Sourced[bool]
    mobile_device: bool = False  # counts against the mobile-device cap
    requires_link: bool = False  # must name the investment it belongs to (linked_measure_id)
    pillar_from_link: bool = False  # counted in the pillar of the linked measure
    condition_de: str = ""
    condition_en: str = ""


@dataclass(frozen=True)
class Deadline:
    id: str
    date: Sourced[dt.date]
    name_de: str
    name_en: str


@dataclass(frozen=True)
class Funding:
    """Shares of the eligible costs: the grant, a Land share, the carrier's own share."""

    funding_rate: Sourced[Decimal]
    land_share: Sourced[Decimal]
    own_share: Sourced[Decimal]
    min_cofinancing: Sourced[Decimal] = UNKNOWN  # Land + carrier together, at least


@dataclass(frozen=True)
class RulePack:
    id: str
    version: str
    programme: str
    name_de: str
    name_en: str
    land: Land | None
    abstract: bool
    period_start: Sourced[dt.date]
    period_end: Sourced[dt.date]
    early_start: Sourced[dt.date]
    pillars: Mapping[str, Pillar]
    categories: Mapping[str, Category]
    funding: Funding
    mobile_cap: MobileDeviceCap
    budget: BudgetRule
    framework: Sourced[CompetenceFramework]
    deadlines: Mapping[str, Deadline]
    required_sections: Sourced[tuple[str, ...]]
    recommended_sections: Sourced[tuple[str, ...]]
    note: str = ""
    origin: str = ""
    # Fields of plans.model.Measure every measure must fill under this pack (e.g. SH: start).
    required_measure_fields: Sourced[tuple[str, ...]] = UNKNOWN

    def category(self, category_id: str) -> Category | None:
        return self.categories.get(category_id)

    def parameters(self) -> dict[str, Sourced[Any]]:
        """Every value a plan may supply through programme.parameters, by parameter name."""
        found: dict[str, Sourced[Any]] = {}
        for value in _walk_sourced(self):
            if value.parameter:
                found[value.parameter] = value
        return found


def _walk_sourced(obj: Any):
    if isinstance(obj, Sourced):
        yield obj
    elif isinstance(obj, Mapping):
        for item in obj.values():
            yield from _walk_sourced(item)
    elif hasattr(obj, "__dataclass_fields__"):
        for f in fields(obj):
            yield from _walk_sourced(getattr(obj, f.name))


# ---------------------------------------------------------------- loading the bundled files


def load_pack(pack_id: str, version: str | None = None) -> RulePack:
    """The bundled pack `pack_id` in `version` (default: the newest). Raises UnknownRulePack."""
    packs = _bundled()
    if version:
        pack = packs.get((pack_id, version))
        if pack is None:
            raise UnknownRulePack(pack_id, version)
        return pack
    matching = [pack for (pid, _), pack in packs.items() if pid == pack_id]
    if not matching:
        raise UnknownRulePack(pack_id, None)
    return max(matching, key=lambda pack: _version_key(pack.version))


def available_packs(include_abstract: bool = False) -> list[RulePack]:
    """Bundled packs, sorted by id and version (newest last); base packs only when asked."""
    packs = [pack for pack in _bundled().values() if include_abstract or not pack.abstract]
    return sorted(packs, key=lambda pack: (pack.id, _version_key(pack.version)))


def _version_key(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"[.-]", version))


@functools.cache
def _bundled() -> dict[tuple[str, str], RulePack]:
    return load_directory(PACK_DIR)


def load_directory(directory: Path) -> dict[tuple[str, str], RulePack]:
    """All packs in a directory by (id, version), with `extends` resolved."""
    raw: dict[tuple[str, str], tuple[str, dict]] = {}
    for path in sorted(directory.glob("*.yaml")):
        origin = path.name
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        except yaml.YAMLError as exc:
            raise RulePackError(origin, "", f"not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise RulePackError(origin, "", "must be a mapping")
        key = (_text(data, "id", origin, ""), _text(data, "version", origin, ""))
        expected = f"{key[0]}.v{key[1]}.yaml"
        if path.name != expected:
            raise RulePackError(origin, "", f"file name must be {expected} (from id and version)")
        raw[key] = (origin, data)
    bases = {key: data for key, (_, data) in raw.items()}
    return {key: parse_pack(data, origin, bases) for key, (origin, data) in raw.items()}


def parse_pack(data: Mapping[str, Any], origin: str = "<pack>", bases: Mapping[tuple[str, str], Mapping] | None = None) -> RulePack:
    """Check and build a pack from YAML/JSON data; `bases` resolves `extends` (default: bundled)."""
    if bases is None:
        bases = {key: _raw_bundled(key) for key in _bundled()}
    merged = _resolve_extends(dict(data), origin, bases, seen=())
    return _Parser(origin, merged).pack()


@functools.cache
def _raw_bundled_cached(key: tuple[str, str]) -> dict:
    pack_id, version = key
    return yaml.load((PACK_DIR / f"{pack_id}.v{version}.yaml").read_text(encoding="utf-8"), Loader=_YAML_LOADER)


def _raw_bundled(key: tuple[str, str]) -> dict:
    return copy.deepcopy(_raw_bundled_cached(key))


def _resolve_extends(data: dict, origin: str, bases: Mapping[tuple[str, str], Mapping], seen: tuple) -> dict:
    parent_ref = data.pop("extends", None)
    replace = data.pop("replace", [])
    if parent_ref is None:
        return data
    if not isinstance(parent_ref, str):
        raise RulePackError(origin, "extends", "must be a pack id, optionally with @version")
    parent_id, _, parent_version = parent_ref.partition("@")
    candidates = [key for key in bases if key[0] == parent_id and (not parent_version or key[1] == parent_version)]
    if not candidates:
        raise RulePackError(origin, "extends", f"unknown base pack {parent_ref!r}")
    key = max(candidates, key=lambda k: _version_key(k[1]))
    if key in seen:
        raise RulePackError(origin, "extends", f"circular extends through {parent_ref!r}")
    parent = _resolve_extends(copy.deepcopy(dict(bases[key])), origin, bases, seen + (key,))
    parent.pop("abstract", None)
    if not isinstance(replace, list):
        raise RulePackError(origin, "replace", "must be a list of top-level keys")
    for name in replace:
        parent.pop(name, None)
    return _deep_merge(parent, data)


def _deep_merge(base: dict, override: Mapping) -> dict:
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping) and not _is_sourced(value):
            result[key] = _deep_merge(dict(result[key]), value)
        else:
            result[key] = value  # a sourced value is replaced whole, never mixed with its parent's
    return result


def _is_sourced(value: Mapping) -> bool:
    return "value" in value or "status" in value


def _text(data: Mapping, key: str, origin: str, path: str, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise RulePackError(origin, _join(path, key), "must be non-empty text")
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# ---------------------------------------------------------------- checking one pack


_PACK_KEYS = {
    "id", "version", "abstract", "programme", "name_de", "name_en", "land", "period", "sources", "pillars",
    "categories", "funding", "caps", "budget", "framework", "deadlines", "sections", "note", "measure_fields",
}
MEASURE_FIELDS = tuple(f.name for f in fields(Measure))
_SOURCED_KEYS = {"value", "source", "status", "note", "parameter"}
_WEIGHT_GROUPS = ("general", "grundschule", "vocational_full_time", "vocational_part_time")


class _Parser:
    def __init__(self, origin: str, data: dict):
        self.origin = origin
        self.data = data
        self.sources: dict[str, str] = {}

    def fail(self, path: str, message: str) -> RulePackError:
        return RulePackError(self.origin, path, message)

    def mapping(self, value: Any, path: str, allowed: set[str] | None = None, required: tuple[str, ...] = ()) -> dict:
        if not isinstance(value, Mapping):
            raise self.fail(path, "must be a mapping")
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    raise self.fail(_join(path, str(key)), "unknown key")
        for key in required:
            if key not in value:
                raise self.fail(_join(path, key), "is missing")
        return dict(value)

    def pack(self) -> RulePack:
        data = self.mapping(self.data, "", _PACK_KEYS, required=(
            "id", "version", "programme", "name_de", "name_en", "pillars", "categories", "funding", "caps",
            "budget", "framework", "sections"))
        pack_id = _text(data, "id", self.origin, "")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", pack_id):
            raise self.fail("id", "must be lower-case letters, digits and dashes")
        version = _text(data, "version", self.origin, "")
        if not re.fullmatch(r"[0-9A-Za-z.-]+", version):
            raise self.fail("version", "must be letters, digits, dots and dashes")
        for key, url in self.mapping(data.get("sources", {}), "sources").items():
            if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                raise self.fail(f"sources.{key}", "must be an http(s) URL")
            self.sources[str(key)] = url
        land = data.get("land")
        if land is not None and land not in {member.value for member in Land}:
            raise self.fail("land", f"unknown Land {land!r}")
        if not isinstance(data.get("abstract", False), bool):
            raise self.fail("abstract", "must be true or false")
        period = self.mapping(data.get("period", {}), "period", {"start", "end", "early_start"})
        pillars = {
            key: Pillar(key, _text(item, "name_de", self.origin, f"pillars.{key}"), _text(item, "name_en", self.origin, f"pillars.{key}"))
            for key, item in ((str(k), self.mapping(v, f"pillars.{k}", {"name_de", "name_en"})) for k, v in self.mapping(data["pillars"], "pillars").items())
        }
        categories = {str(key): self.category(str(key), value, pillars) for key, value in self.mapping(data["categories"], "categories").items()}
        if not categories:
            raise self.fail("categories", "must list at least one category")
        funding = self.funding(data["funding"])
        return RulePack(
            id=pack_id,
            version=version,
            programme=_text(data, "programme", self.origin, ""),
            name_de=_text(data, "name_de", self.origin, ""),
            name_en=_text(data, "name_en", self.origin, ""),
            land=Land(land) if land else None,
            abstract=data.get("abstract", False),
            period_start=self.sourced(period.get("start"), "period.start", self.date),
            period_end=self.sourced(period.get("end"), "period.end", self.date),
            early_start=self.sourced(period.get("early_start"), "period.early_start", self.date),
            pillars=pillars,
            categories=categories,
            funding=funding,
            mobile_cap=self.cap(data["caps"]),
            budget=self.budget(data["budget"]),
            framework=self.sourced(data["framework"], "framework", self.framework_id),
            deadlines=self.deadlines(data.get("deadlines", {})),
            required_sections=self.sections(data["sections"], "required"),
            recommended_sections=self.sections(data["sections"], "recommended"),
            note=_text(data, "note", self.origin, "", required=False),
            origin=self.origin,
            required_measure_fields=self.sourced(data.get("measure_fields"), "measure_fields", self.measure_field_list),
        )

    # -- values

    def sourced(self, raw: Any, path: str, convert) -> Sourced:
        if raw is None:
            return UNKNOWN
        item = self.mapping(raw, path, _SOURCED_KEYS, required=("status",))
        try:
            status = ValueStatus(item["status"])
        except ValueError:
            raise self.fail(f"{path}.status", f"must be one of {', '.join(s.value for s in ValueStatus)}") from None
        value = item.get("value")
        if status is ValueStatus.UNKNOWN:
            if value is not None:
                raise self.fail(f"{path}.value", "must be null when the status is unknown")
            if not item.get("note"):
                raise self.fail(f"{path}.note", "an unknown value needs a note saying why")
        elif value is None:
            raise self.fail(f"{path}.value", "is missing (use status: unknown for values nobody knows)")
        sources = self.source_urls(item.get("source"), f"{path}.source")
        if status is not ValueStatus.UNKNOWN and not sources:
            raise self.fail(f"{path}.source", "every known value needs its source")
        parameter = item.get("parameter") or ""
        if parameter and not re.fullmatch(r"[a-z][a-z0-9_]*", str(parameter)):
            raise self.fail(f"{path}.parameter", "must be a lower-case name with underscores")
        note = item.get("note") or ""
        if not isinstance(note, str):
            raise self.fail(f"{path}.note", "must be text")
        return Sourced(None if value is None else convert(value, f"{path}.value"), status, sources, note, str(parameter))

    def source_urls(self, raw: Any, path: str) -> tuple[str, ...]:
        if raw is None:
            return ()
        items = raw if isinstance(raw, list) else [raw]
        urls = []
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise self.fail(path, "must be a source key or URL, or a list of them")
            if item.startswith(("https://", "http://")):
                urls.append(item)
            elif item in self.sources:
                urls.append(self.sources[item])
            else:
                raise self.fail(path if len(items) == 1 else f"{path}[{index}]", f"unknown source {item!r} (not in `sources` and not a URL)")
        return tuple(urls)

    def decimal(self, value: Any, path: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(path, "must be a number")
        try:
            number = Decimal(str(value))  # str() of a YAML float gives its shortest exact text
        except InvalidOperation:
            raise self.fail(path, f"{value!r} is not a number") from None
        if not number.is_finite() or number < 0:
            raise self.fail(path, "must be a finite number, not negative")
        return number

    def share(self, value: Any, path: str) -> Decimal:
        number = self.decimal(value, path)
        if number > 1:
            raise self.fail(path, "a share must be between 0 and 1")
        return number

    def integer(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(path, "must be a whole number, not negative")
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, "must be true or false")
        return value

    def date(self, value: Any, path: str) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(path, "must be a date YYYY-MM-DD") from None

    def framework_id(self, value: Any, path: str) -> CompetenceFramework:
        try:
            return CompetenceFramework(value)
        except ValueError:
            raise self.fail(path, f"unknown framework {value!r}") from None

    def section_list(self, value: Any, path: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(path, "must be a list of section names")
        for index, name in enumerate(value):
            if name not in SECTION_NAMES:
                raise self.fail(f"{path}[{index}]", f"unknown section {name!r}; sections: {', '.join(SECTION_NAMES)}")
        return tuple(value)

    def measure_field_list(self, value: Any, path: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(name in MEASURE_FIELDS for name in value):
            raise self.fail(path, f"must be a list of measure fields: {', '.join(MEASURE_FIELDS)}")
        return tuple(value)

    # -- parts

    def category(self, key: str, raw: Any, pillars: Mapping[str, Pillar]) -> Category:
        path = f"categories.{key}"
        item = self.mapping(raw, path, {
            "name_de", "name_en", "pillar", "eligible", "mobile_device", "requires_link", "pillar_from_link",
            "condition_de", "condition_en"}, required=("pillar", "eligible"))
        pillar = item.get("pillar")
        if pillar is not None and pillar not in pillars:
            raise self.fail(f"{path}.pillar", f"unknown pillar {pillar!r}")
        eligible = self.sourced(item["eligible"], f"{path}.eligible", self.boolean)
        if eligible.value is True and pillar is None:
            raise self.fail(f"{path}.pillar", "an eligible category needs a pillar")
        flags = {name: self.boolean(item.get(name, False), f"{path}.{name}") for name in ("mobile_device", "requires_link", "pillar_from_link")}
        return Category(
            id=key,
            name_de=_text(item, "name_de", self.origin, path),
            name_en=_text(item, "name_en", self.origin, path),
            pillar=pillar,
            eligible=eligible,
            condition_de=_text(item, "condition_de", self.origin, path, required=False),
            condition_en=_text(item, "condition_en", self.origin, path, required=False),
            **flags,
        )

    def funding(self, raw: Any) -> Funding:
        item = self.mapping(raw, "funding", {"funding_rate", "land_share", "own_share", "min_cofinancing"},
                            required=("funding_rate", "land_share", "own_share"))
        funding = Funding(**{key: self.sourced(item.get(key), f"funding.{key}", self.share) for key in item})
        parts = (funding.funding_rate, funding.land_share, funding.own_share)
        if all(part.known for part in parts) and sum(part.value for part in parts) != 1:
            raise self.fail("funding", "funding_rate + land_share + own_share must be 1")
        return funding

    def cap(self, raw: Any) -> MobileDeviceCap:
        caps = self.mapping(raw, "caps", {"mobile_devices"}, required=("mobile_devices",))
        path = "caps.mobile_devices"
        item = self.mapping(caps["mobile_devices"], path, {
            "applies_to", "carrier_share", "per_school_amount", "transferable_between_schools", "note"}, required=("applies_to",))
        if item["applies_to"] not in ("general", "all"):
            raise self.fail(f"{path}.applies_to", "must be general or all")
        return MobileDeviceCap(
            applies_to=item["applies_to"],
            carrier_share=self.sourced(item.get("carrier_share"), f"{path}.carrier_share", self.share),
            per_school_amount=self.sourced(item.get("per_school_amount"), f"{path}.per_school_amount", self.decimal),
            transferable_between_schools=self.sourced(item.get("transferable_between_schools"), f"{path}.transferable_between_schools", self.boolean),
            note=_text(item, "note", self.origin, path, required=False),
        )

    def budget(self, raw: Any) -> BudgetRule:
        item = self.mapping(raw, "budget", {
            "formula", "note", "source", "sockel_per_school", "sockel_min_pupils", "sockel_per_pupil_below_min",
            "per_pupil_amount", "pupil_weights"}, required=("formula",))
        try:
            formula = BudgetFormula(item["formula"])
        except ValueError:
            raise self.fail("budget.formula", f"must be one of {', '.join(f.value for f in BudgetFormula)}") from None
        needed = {
            BudgetFormula.SOCKEL_PLUS_WEIGHTED_PER_PUPIL: ("sockel_per_school", "sockel_min_pupils", "sockel_per_pupil_below_min", "per_pupil_amount", "pupil_weights"),
            BudgetFormula.PER_PUPIL: ("per_pupil_amount",),
            BudgetFormula.ALLOCATED: (),
        }[formula]
        for key in needed:
            if key not in item:
                raise self.fail(f"budget.{key}", f"is missing (needed by the formula {formula.value})")
        weights = {}
        if "pupil_weights" in item:
            raw_weights = self.mapping(item["pupil_weights"], "budget.pupil_weights", set(_WEIGHT_GROUPS), required=_WEIGHT_GROUPS)
            weights = {group: self.sourced(raw_weights[group], f"budget.pupil_weights.{group}", self.decimal) for group in _WEIGHT_GROUPS}
        return BudgetRule(
            formula=formula,
            note=_text(item, "note", self.origin, "budget", required=False),
            sources=self.source_urls(item.get("source"), "budget.source"),
            sockel_per_school=self.sourced(item.get("sockel_per_school"), "budget.sockel_per_school", self.decimal),
            sockel_min_pupils=self.sourced(item.get("sockel_min_pupils"), "budget.sockel_min_pupils", self.integer),
            sockel_per_pupil_below_min=self.sourced(item.get("sockel_per_pupil_below_min"), "budget.sockel_per_pupil_below_min", self.decimal),
            per_pupil_amount=self.sourced(item.get("per_pupil_amount"), "budget.per_pupil_amount", self.decimal),
            pupil_weights=weights,
        )

    def deadlines(self, raw: Any) -> dict[str, Deadline]:
        result = {}
        for key, value in self.mapping(raw, "deadlines").items():
            path = f"deadlines.{key}"
            item = self.mapping(value, path, {"date", "name_de", "name_en"}, required=("date",))
            result[str(key)] = Deadline(
                id=str(key),
                date=self.sourced(item["date"], f"{path}.date", self.date),
                name_de=_text(item, "name_de", self.origin, path),
                name_en=_text(item, "name_en", self.origin, path),
            )
        return result

    def sections(self, raw: Any, which: str) -> Sourced[tuple[str, ...]]:
        item = self.mapping(raw, "sections", {"required", "recommended"}, required=("required", "recommended"))
        return self.sourced(item[which], f"sections.{which}", self.section_list)
