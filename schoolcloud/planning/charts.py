"""Server-rendered SVG bar charts (no JavaScript, no external resources).

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>`` naming what it shows; the pages
put the table of the same figures next to it, so nothing is only in the picture. Colours have at least
3:1 contrast on white (WCAG 1.4.11) and each series also has its own label in the legend.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

COLOURS = ("#0b5cad", "#b35900", "#1d6b2f", "#6a3d9a", "#a50f15", "#4a5563")
WIDTH = 640
LABEL_WIDTH = 170
BAR = 16
GAP = 10


@dataclass
class Series:
    name: str
    values: list[Decimal]  # one per group


def _number(value: Decimal, decimals: int = 0) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f")  # a thin space groups thousands in both languages


def bars(chart_id: str, title: str, desc: str, groups: list[str], series: list[Series], unit: str = "") -> Markup:
    """Horizontal bars: per group (a year, a device kind) one bar per series (a pillar, now/target)."""
    top = 24 * ((len(series) + 1) // 2) + 8 if len(series) > 1 else 8
    group_height = len(series) * BAR + GAP
    height = top + max(1, len(groups)) * group_height + 8
    largest = max([v for s in series for v in s.values] + [Decimal(1)])
    scale = Decimal(WIDTH - LABEL_WIDTH - 90) / largest
    parts = [f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} {height}" '
             f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
             f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>']
    if len(series) > 1:
        for index, s in enumerate(series):
            x, y = (index % 2) * (WIDTH // 2), 4 + (index // 2) * 24
            parts.append(f'<rect x="{x}" y="{y}" width="14" height="14" fill="{COLOURS[index % len(COLOURS)]}"/>'
                         f'<text x="{x + 20}" y="{y + 12}" font-size="13">{escape(s.name)}</text>')
    for g_index, group in enumerate(groups):
        y0 = top + g_index * group_height
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y0 + len(series) * BAR / 2 + 5:.0f}" font-size="13" '
                     f'text-anchor="end">{escape(group)}</text>')
        for s_index, s in enumerate(series):
            value = s.values[g_index]
            width = max(Decimal(0), value) * scale
            y = y0 + s_index * BAR
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR - 3}" '
                         f'fill="{COLOURS[s_index % len(COLOURS)]}"/>'
                         f'<text x="{LABEL_WIDTH + width + 4:.1f}" y="{y + BAR - 5}" font-size="12">'
                         f'{escape(_number(value))}{escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def share(chart_id: str, title: str, desc: str, used: Decimal, total: Decimal, used_label: str,
          left_label: str) -> Markup:
    """One bar split into what is used and what is left of a total (a budget)."""
    inner = WIDTH - 20
    used_width = inner if total <= 0 else min(Decimal(inner), max(Decimal(0), used) * inner / total)
    over = total > 0 and used > total
    parts = [f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} 84" '
             f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
             f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
             f'<rect x="10" y="10" width="{inner}" height="28" fill="#ffffff" stroke="#4a5563"/>',
             f'<rect x="10" y="10" width="{used_width:.1f}" height="28" fill="{COLOURS[4] if over else COLOURS[0]}"/>',
             f'<rect x="10" y="52" width="14" height="14" fill="{COLOURS[4] if over else COLOURS[0]}"/>',
             f'<text x="30" y="64" font-size="13">{escape(used_label)}</text>',
             f'<rect x="{WIDTH // 2}" y="52" width="14" height="14" fill="#ffffff" stroke="#4a5563"/>',
             f'<text x="{WIDTH // 2 + 20}" y="64" font-size="13">{escape(left_label)}</text>',
             "</svg>"]
    return Markup("".join(parts))
