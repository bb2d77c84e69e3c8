"""SVG charts coloured by the stylesheet (`.chart-s-<name>` classes), with axes,
labels and a text alternative: the owner's analytics pages use these.
(`app/charts/svg.py` draws the operator console's charts, coloured inline,
with negative stacks and linked bars.)

Generic on purpose (labels and numbers in, markup out) so other pages can use
them: nothing here knows about calls. Every chart carries a one-sentence
summary (the SVG's <title>/<desc> and aria-label) and its numbers as a table
for screen readers and for anyone who wants the exact figures.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from markupsafe import Markup, escape

from app.charts.svg import NICE_STEPS

WIDTH, HEIGHT = 720, 240
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 12, 12, 36
_ids = count(1)


@dataclass
class Series:
    name: str
    values: list[float]
    css_class: str  # colour comes from the stylesheet: .chart-s-<css_class>


@dataclass
class Chart:
    title: str
    summary: str
    svg: Markup
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def nice_ceiling(value: float) -> float:
    """The axis maximum: 1, 2, 2.5 or 5 times a power of ten, at least `value`."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 0.1
    return next((step * magnitude for step in NICE_STEPS if step * magnitude >= value), 10 * magnitude)


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _frame(title: str, summary: str, body: list[str], width=WIDTH, height=HEIGHT) -> Markup:
    uid = next(_ids)
    return Markup(
        f'<svg class="chart-svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-t{uid} chart-d{uid}" preserveAspectRatio="xMidYMid meet">'
        f'<title id="chart-t{uid}">{escape(title)}</title><desc id="chart-d{uid}">{escape(summary)}</desc>'
        + "".join(body) + "</svg>")


def _axes(maximum: float, labels: list[str], percent: bool, plot_w: float, plot_h: float) -> list[str]:
    parts = []
    for tick in range(5):
        value = maximum * tick / 4
        y = MARGIN_TOP + plot_h - plot_h * tick / 4
        parts.append(f'<line class="chart-grid" x1="{MARGIN_LEFT}" x2="{MARGIN_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-tick" x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{escape(_fmt(value, percent))}</text>')
    n = max(len(labels), 1)
    every = max(1, round(n / 8))
    for index, label in enumerate(labels):
        if index % every and index != n - 1:
            continue
        if index == n - 1 and index % every and index % every < every * 0.7:
            continue  # too close to the previous label: they would overlap
        x = MARGIN_LEFT + plot_w * (index + 0.5) / n
        parts.append(f'<text class="chart-tick" x="{x:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append(f'<line class="chart-axis-line" x1="{MARGIN_LEFT}" x2="{MARGIN_LEFT + plot_w}" '
                 f'y1="{MARGIN_TOP + plot_h}" y2="{MARGIN_TOP + plot_h}"/>')
    return parts


def bar_chart(title: str, labels: list[str], series: list[Series], *, summary: str,
              stacked: bool = True) -> Chart:
    """Bars per label; several series stack (or stand side by side)."""
    plot_w, plot_h = WIDTH - MARGIN_LEFT - MARGIN_RIGHT, HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    n = max(len(labels), 1)
    if stacked:
        peak = max((sum(s.values[i] for s in series) for i in range(len(labels))), default=0)
    else:
        peak = max((v for s in series for v in s.values), default=0)
    maximum = nice_ceiling(peak)
    body = _axes(maximum, labels, False, plot_w, plot_h)
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.8 / (1 if stacked else max(len(series), 1)))
    # Escaped once, not per bar: a 90-day chart has hundreds of bars.
    names = [str(escape(s.name.lower())) for s in series]
    for i, label in enumerate(labels):
        base = MARGIN_TOP + plot_h
        safe_label = str(escape(label))
        for position, s in enumerate(series):
            value = s.values[i]
            if not value:
                continue
            h = plot_h * value / maximum
            x = MARGIN_LEFT + slot * i + slot * 0.1 + (0 if stacked else bar_w * position)
            y = base - h if stacked else MARGIN_TOP + plot_h - h
            body.append(f'<rect class="chart-s-{s.css_class}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                        f'height="{h:.1f}"><title>{safe_label}: {_fmt(value, False)} {names[position]}</title></rect>')
            if stacked:
                base -= h
    return Chart(title, summary, _frame(title, summary, body), ["", *[s.name for s in series]],
                 [[label, *[_fmt(s.values[i], False) for s in series]] for i, label in enumerate(labels)])


def line_chart(title: str, labels: list[str], series: list[Series], *, summary: str,
               percent: bool = False) -> Chart:
    """One line per series; None values leave a gap (no calls that day)."""
    plot_w, plot_h = WIDTH - MARGIN_LEFT - MARGIN_RIGHT, HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    n = max(len(labels), 1)
    peak = max((v for s in series for v in s.values if v is not None), default=0)
    maximum = 1 if percent else nice_ceiling(peak)
    body = _axes(maximum, labels, percent, plot_w, plot_h)
    for s in series:
        segment: list[str] = []
        segments = []
        for i, value in enumerate(s.values):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x = MARGIN_LEFT + plot_w * (i + 0.5) / n
            y = MARGIN_TOP + plot_h - plot_h * value / maximum
            segment.append(f"{x:.1f},{y:.1f}")
            body.append(f'<circle class="chart-s-{s.css_class}" cx="{x:.1f}" cy="{y:.1f}" r="2.5">'
                        f'<title>{escape(labels[i])}: {escape(_fmt(value, percent))}</title></circle>')
        if segment:
            segments.append(segment)
        for points in segments:
            body.append(f'<polyline class="chart-line chart-s-{s.css_class}" points="{" ".join(points)}"/>')
    rows = [[label, *["—" if s.values[i] is None else _fmt(s.values[i], percent) for s in series]]
            for i, label in enumerate(labels)]
    return Chart(title, summary, _frame(title, summary, body), ["", *[s.name for s in series]], rows)


def heatmap_chart(title: str, row_labels: list[str], column_labels: list[str], grid: list[list[float]], *,
                  summary: str) -> Chart:
    """A grid of cells shaded by value (five steps), each labelled in its tooltip."""
    cell_w, cell_h, left, top = 26, 22, 44, 20
    width, height = left + cell_w * len(column_labels) + 8, top + cell_h * len(row_labels) + 8
    peak = max((v for row in grid for v in row), default=0)
    body = []
    for c, label in enumerate(column_labels):
        if c % 3 == 0:
            body.append(f'<text class="chart-tick" x="{left + cell_w * c + cell_w / 2:.0f}" y="{top - 6}" '
                        f'text-anchor="middle">{escape(label)}</text>')
    safe_columns = [str(escape(label)) for label in column_labels]
    for r, row_label in enumerate(row_labels):
        y = top + cell_h * r
        safe_row = str(escape(row_label))
        body.append(f'<text class="chart-tick" x="{left - 6}" y="{y + cell_h / 2 + 4:.0f}" text-anchor="end">'
                    f'{escape(row_label)}</text>')
        for c, value in enumerate(grid[r]):
            level = 0 if not value or not peak else min(4, 1 + int(4 * value / (peak + 1)))
            body.append(f'<rect class="heat-{level}" x="{left + cell_w * c}" y="{y}" width="{cell_w - 2}" '
                        f'height="{cell_h - 2}" rx="3"><title>{safe_row} {safe_columns[c]}: '
                        f'{_fmt(value, False)}</title></rect>')
    rows = [[row_label, *[_fmt(v, False) for v in grid[r]]] for r, row_label in enumerate(row_labels)]
    return Chart(title, summary, _frame(title, summary, body, width, height), ["", *column_labels], rows)
