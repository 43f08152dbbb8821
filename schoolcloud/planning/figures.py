"""The calculator's figures as the pages show them: key numbers, and charts with their tables (costs
per pillar and year, budget used vs left, equipment now vs target). The numbers come from
``plans.calculator`` unchanged; this module only arranges and labels them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from plans.model import Plan
from schoolcloud.planning import charts, labels
from schoolcloud.web.i18n import current_locale
from schoolcloud.web.i18n import gettext_ as _

try:  # the calculator lands in plans/ separately; the editor works without it
    from plans import calculator
except ImportError:  # pragma: no cover - depends on the plans package's state
    calculator = None


@dataclass
class Chart:
    svg: Markup
    caption: str
    head: list[str]
    rows: list[list[str]]


@dataclass
class Figures:
    result: Any  # calculator.PlanResult or CarrierResult
    key: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    charts: list[Chart] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rounding: str = ""


def euro(value: Decimal | None) -> str:
    if value is None:
        return _("unknown")
    text = f"{value:,.2f}"
    if current_locale.get() == "de":
        text = text.replace(",", "\u202f").replace(".", ",")
    else:
        text = text.replace(",", "\u202f")
    return f"{text} €"


def _name(obj) -> str:
    return obj.name_en if current_locale.get() != "de" else obj.name_de


def _costs_chart(result, prefix: str) -> Chart | None:
    buckets = [b for b in result.by_pillar_year if b.total]
    if not buckets:
        return None
    years = sorted({b.year for b in buckets}, key=lambda y: (y is None, y))
    pillars = list(dict.fromkeys(b.pillar for b in buckets))
    names = {b.pillar: (_name(b) or _("not eligible")) for b in buckets}
    amount = {(b.pillar, b.year): b.total for b in buckets}
    year_names = [str(y) if y is not None else _("no year") for y in years]
    series = [charts.Series(names[p], [amount.get((p, y), Decimal(0)) for y in years]) for p in pillars]
    title = _("Costs per pillar and year")
    svg = charts.bars(f"{prefix}-costs", title, _("Horizontal bars: for each year the costs of each funding "
                                                  "pillar in euros; the table below has the same figures."),
                      year_names, series, unit=" €")
    rows = [[year_names[i], names[p], euro(amount[(p, y)])] for i, y in enumerate(years) for p in pillars
            if (p, y) in amount]
    return Chart(svg, title, [_("Year"), _("Pillar"), _("Costs")], rows)


def _budget_chart(result, prefix: str) -> Chart | None:
    budget = result.budget
    if budget.total is None:
        return None
    used = budget.used or Decimal(0)
    left = budget.total - used
    title = _("Budget used and left")
    svg = charts.share(f"{prefix}-budget", title,
                       _("A bar of the whole budget of %(total)s, filled to the requested funding of %(used)s.",
                         total=euro(budget.total), used=euro(used)),
                       used, budget.total, _("requested: %(amount)s", amount=euro(used)),
                       _("left: %(amount)s", amount=euro(left)))
    return Chart(svg, title, [_("Budget"), _("Requested funding"), _("Left")],
                 [[euro(budget.total), euro(used), euro(left)]])


def _equipment_chart(result, prefix: str) -> Chart | None:
    indicators = getattr(result, "indicators", None)
    counts = [c for c in (indicators.equipment if indicators else []) if c.now or c.target]
    if not counts:
        return None
    names = labels.CHOICES["DeviceKind"]
    groups = [_(names.get(c.kind.value, c.kind.value)) for c in counts]
    title = _("Equipment now and target")
    svg = charts.bars(f"{prefix}-equipment", title, _("Horizontal bars: for each kind of device the number "
                                                      "now and in the target equipment; the table below has "
                                                      "the same figures."),
                      groups, [charts.Series(_("now"), [Decimal(c.now) for c in counts]),
                               charts.Series(_("target"), [Decimal(c.target) for c in counts])])
    return Chart(svg, title, [_("Device"), _("now"), _("target")],
                 [[g, str(c.now), str(c.target)] for g, c in zip(groups, counts)])


def _key_figures(result) -> list[tuple[str, str]]:
    money = result.money
    key = [(_("Total costs"), euro(money.total)), (_("Eligible costs"), euro(money.eligible)),
           (_("Not eligible"), euro(money.not_eligible)), (_("Funding"), euro(money.funding)),
           (_("Own share incl. not eligible costs"), euro(money.own_total))]
    if result.budget.total is not None:
        key += [(_("Budget"), euro(result.budget.total)), (_("Budget left"), euro(result.budget.left))]
    indicators = getattr(result, "indicators", None)
    if indicators is not None and indicators.pupils_per_device_target is not None:
        key.append((_("Pupils per device (target)"), str(indicators.pupils_per_device_target)))
    return key


def _warnings(result) -> list[str]:
    found = []
    cap = result.mobile_cap
    if cap.applies and cap.excess:
        found.append(_("Mobile devices exceed the cap by %(amount)s; this amount is not eligible.",
                       amount=euro(cap.excess)))
    if result.budget.left is not None and result.budget.left < 0:
        found.append(_("The requested funding exceeds the budget by %(amount)s.", amount=euro(-result.budget.left)))
    return found


def arrange(result, prefix: str) -> Figures:
    made = [_costs_chart(result, prefix), _budget_chart(result, prefix), _equipment_chart(result, prefix)]
    return Figures(result, _key_figures(result), [c for c in made if c is not None], _warnings(result),
                   result.rounding_en if current_locale.get() != "de" else result.rounding_de)


def of_plan(plan: Plan, prefix: str = "chart") -> Figures | None:
    if calculator is None:
        return None
    try:
        result = calculator.calculate_plan(plan)
    except LookupError:  # no rule pack of that id: nothing to compute with
        return None
    return arrange(result, prefix)
