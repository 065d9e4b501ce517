"""Charts as SVG drawn on the server: every bar labelled with its group and value, axes with ticks, a title and
a description for screen readers, so nothing needs hovering or JavaScript to read."""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str  # app-bar-start, app-bar-end (workspace.css colours them; both pass 3:1 against white)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def grouped_bars(title: str, description: str, groups: list[tuple[str, list[float | None]]], series: list[Series],
                 axis_label: str, chart_id: str = "chart") -> str:
    """Horizontal bars: for each group, one bar per series, its value written at its end. `chart_id` names
    the title and description, so two charts on one page each keep their own."""
    label_width, bar_area, bar_height, gap = 190, 360, 18, 14
    legend_height, axis_height = 30, 44
    group_height = len(series) * bar_height + gap
    height = legend_height + len(groups) * group_height + axis_height + 10
    width = label_width + bar_area + 60
    top = max((v for _, values in groups for v in values if v is not None), default=0)
    scale_max = _nice_max(top)
    x = lambda v: label_width + bar_area * (v / scale_max)  # noqa: E731 - a scale, read as one
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(description)}</desc>']
    for i, s in enumerate(series):  # the legend
        lx = label_width + i * 150
        parts.append(f'<rect class="{s.css_class}" x="{lx}" y="6" width="14" height="14"/>'
                     f'<text x="{lx + 20}" y="18">{escape(s.name)}</text>')
    for g, (label, values) in enumerate(groups):
        y0 = legend_height + g * group_height
        parts.append(f'<text x="{label_width - 8}" y="{y0 + len(series) * bar_height / 2 + 5}" '
                     f'text-anchor="end">{escape(label[:28])}</text>')
        for i, (s, value) in enumerate(zip(series, values, strict=True)):
            y = y0 + i * bar_height
            if value is None:
                parts.append(f'<text x="{label_width + 4}" y="{y + 13}">{escape(s.name)}: no data</text>')
                continue
            parts.append(f'<rect class="{s.css_class}" x="{label_width}" y="{y}" width="{x(value) - label_width:.1f}" '
                         f'height="{bar_height - 3}"><title>{escape(s.name)}: {_number(value)}</title></rect>'
                         f'<text x="{x(value) + 4:.1f}" y="{y + 13}">{_number(value)}</text>')
    axis_y = legend_height + len(groups) * group_height
    parts.append(f'<line x1="{label_width}" y1="{axis_y}" x2="{label_width + bar_area}" y2="{axis_y}" '
                 f'stroke="#4c6272"/>')
    for k in range(5):
        value = scale_max * k / 4
        parts.append(f'<line x1="{x(value):.1f}" y1="{axis_y}" x2="{x(value):.1f}" y2="{axis_y + 5}" stroke="#4c6272"/>'
                     f'<text x="{x(value):.1f}" y="{axis_y + 20}" text-anchor="middle">{_number(value)}</text>')
    parts.append(f'<text x="{label_width + bar_area / 2}" y="{axis_y + 40}" text-anchor="middle">'
                 f'{escape(axis_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
