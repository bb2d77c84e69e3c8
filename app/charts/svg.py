"""Small, generic SVG charts rendered on the server.

`stacked_bars` draws bars per category with positive series stacked above
zero and negative ones below, an optional line (e.g. a net figure), axes
with "nice" ticks, labels and a legend; `line_chart` draws one or more
lines. Each chart carries <title> and <desc> plus a text summary, so it
reads without sight; a bar segment can link somewhere (`links`).

Values are plain numbers; `fmt` turns one into a label ("$1.2k", "12 %").
Colours come from the stylesheet's custom properties when set, with
fallbacks here, so the charts follow the app's theme.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

from markupsafe import Markup, escape

# Axis steps and maxima are these multiples of a power of ten (both chart modules).
NICE_STEPS = (1, 2, 2.5, 5, 10)
PALETTE = ("#4f46e5", "#16a34a", "#0891b2", "#f59e0b", "#dc2626", "#7c3aed", "#db2777", "#65a30d")


@dataclass
class Series:
    name: str
    values: Sequence[float]
    color: str | None = None
    links: Sequence[str | None] | None = None  # one URL (or None) per category


@dataclass
class Chart:
    title: str
    categories: Sequence[str]
    series: list[Series]
    line: Series | None = None
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}"
    width: int = 760
    height: int = 300
    margins: tuple[int, int, int, int] = (16, 16, 44, 64)  # top, right, bottom, left
    extra_desc: str = ""
    colors: list[str] = field(default_factory=lambda: list(PALETTE))


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high], zero included."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1
    raw = (high - low) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in NICE_STEPS if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _text_summary(chart: Chart) -> str:
    parts = []
    for index, category in enumerate(chart.categories):
        values = [f"{s.name} {chart.fmt(s.values[index])}" for s in chart.series if s.values[index]]
        if chart.line is not None:
            values.append(f"{chart.line.name} {chart.fmt(chart.line.values[index])}")
        parts.append(f"{category}: " + (", ".join(values) if values else "nothing"))
    return "; ".join(parts) + "."


def stacked_bars(chart: Chart, chart_id: str) -> Markup:
    top, right, bottom, left = chart.margins
    plot_w, plot_h = chart.width - left - right, chart.height - top - bottom
    count = max(1, len(chart.categories))
    highs = [sum(max(0, s.values[i]) for s in chart.series) for i in range(len(chart.categories))]
    lows = [sum(min(0, s.values[i]) for s in chart.series) for i in range(len(chart.categories))]
    if chart.line is not None:
        highs += list(chart.line.values)
        lows += list(chart.line.values)
    ticks = nice_ticks(min(lows, default=0), max(highs, default=0))
    y_min, y_max = ticks[0], ticks[-1]

    def y(value: float) -> float:
        return top + plot_h - (value - y_min) / (y_max - y_min) * plot_h

    band = plot_w / count
    bar_w = max(2.0, band * 0.64)
    out = [_open(chart, chart_id)]
    out.append(_y_axis(chart, ticks, y, left, plot_w))
    for index, category in enumerate(chart.categories):
        x = left + band * index + (band - bar_w) / 2
        up, down = 0.0, 0.0
        for number, series in enumerate(chart.series):
            value = series.values[index]
            if not value:
                continue
            color = series.color or chart.colors[number % len(chart.colors)]
            start = up if value > 0 else down
            end = start + value
            if value > 0:
                up = end
            else:
                down = end
            y_top, y_bottom = y(max(start, end)), y(min(start, end))
            rect = (f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar_w:.1f}" height="{max(0.5, y_bottom - y_top):.1f}" '
                    f'fill="{color}"><title>{escape(category)} · {escape(series.name)}: '
                    f'{escape(chart.fmt(value))}</title></rect>')
            link = series.links[index] if series.links else None
            if link:
                rect = (f'<a href="{escape(link)}" data-series="{escape(series.name)}" data-category="{escape(category)}" '
                        f'aria-label="{escape(series.name)} in {escape(category)}: {escape(chart.fmt(value))}">{rect}</a>')
            out.append(rect)
        out.append(_x_label(chart, index, category, left + band * index + band / 2, top + plot_h, count))
    if chart.line is not None:
        points = " ".join(
            f"{left + band * i + band / 2:.1f},{y(v):.1f}" for i, v in enumerate(chart.line.values))
        color = chart.line.color or "#111827"
        out.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
        for i, v in enumerate(chart.line.values):
            out.append(f'<circle cx="{left + band * i + band / 2:.1f}" cy="{y(v):.1f}" r="3" fill="{color}">'
                       f'<title>{escape(chart.categories[i])} · {escape(chart.line.name)}: {escape(chart.fmt(v))}</title></circle>')
    out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#374151" stroke-width="1"/>')
    out.append("</svg>")
    out.append(_legend(chart))
    return Markup("".join(out))


def line_chart(chart: Chart, chart_id: str) -> Markup:
    top, right, bottom, left = chart.margins
    plot_w, plot_h = chart.width - left - right, chart.height - top - bottom
    values = [v for s in chart.series for v in s.values if v is not None]
    ticks = nice_ticks(min(values, default=0), max(values, default=0))
    y_min, y_max = ticks[0], ticks[-1]
    count = max(1, len(chart.categories))
    band = plot_w / count

    def y(value: float) -> float:
        return top + plot_h - (value - y_min) / (y_max - y_min) * plot_h

    out = [_open(chart, chart_id), _y_axis(chart, ticks, y, left, plot_w)]
    for index, category in enumerate(chart.categories):
        out.append(_x_label(chart, index, category, left + band * index + band / 2, top + plot_h, count))
    for number, series in enumerate(chart.series):
        color = series.color or chart.colors[number % len(chart.colors)]
        points = [(left + band * i + band / 2, y(v), v, i) for i, v in enumerate(series.values) if v is not None]
        if points:
            joined = " ".join(f"{px:.1f},{py:.1f}" for px, py, _v, _i in points)
            out.append(f'<polyline points="{joined}" fill="none" stroke="{color}" stroke-width="2"/>')
        for px, py, v, i in points:
            out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"><title>{escape(chart.categories[i])} · '
                       f'{escape(series.name)}: {escape(chart.fmt(v))}</title></circle>')
    out.append("</svg>")
    out.append(_legend(chart))
    return Markup("".join(out))


def _open(chart: Chart, chart_id: str) -> str:
    desc = escape(chart.extra_desc + " " + _text_summary(chart)).strip()
    return (f'<svg class="svg-chart" id="{escape(chart_id)}" viewBox="0 0 {chart.width} {chart.height}" role="img" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg" '
            f'font-family="system-ui, sans-serif" font-size="11">'
            f'<title id="{escape(chart_id)}-title">{escape(chart.title)}</title>'
            f'<desc id="{escape(chart_id)}-desc">{desc}</desc>')


def _y_axis(chart: Chart, ticks, y, left: int, plot_w: float) -> str:
    parts = []
    for tick in ticks:
        parts.append(f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="#4b5563">{escape(chart.fmt(tick))}</text>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{y(ticks[-1]):.1f}" y2="{y(ticks[0]):.1f}" stroke="#9ca3af"/>')
    return "".join(parts)


def _x_label(chart: Chart, index: int, category: str, x: float, baseline: float, count: int) -> str:
    # Every label when they fit, else every n-th so they never overlap.
    every = max(1, math.ceil(count / 12))
    if index % every:
        return ""
    return f'<text x="{x:.1f}" y="{baseline + 16:.1f}" text-anchor="middle" fill="#4b5563">{escape(category)}</text>'


def _legend(chart: Chart) -> str:
    items = []
    for number, series in enumerate(chart.series):
        color = series.color or chart.colors[number % len(chart.colors)]
        items.append(f'<li><span class="swatch" style="background:{color}"></span>{escape(series.name)}</li>')
    if chart.line is not None:
        items.append(f'<li><span class="swatch line" style="background:{chart.line.color or "#111827"}"></span>'
                     f'{escape(chart.line.name)}</li>')
    return f'<ul class="chart-legend">{"".join(items)}</ul>'
