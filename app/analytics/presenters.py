"""Turn an analytics `Report` into the charts and tables the pages show."""
from __future__ import annotations

from markupsafe import Markup, escape

from app.charts.styled import Series, bar_chart, heatmap_chart, line_chart
from app.analytics.services import OUTCOME_LABELS, OUTCOMES, WEEKDAY_NAMES, Report, format_metric


def _day_labels(report: Report) -> list[str]:
    return [f"{day:%b %-d}" for day in report.days]


def _peak(labels, values) -> str:
    if not values or max(values) == 0:
        return "no calls in this range"
    index = max(range(len(values)), key=lambda i: values[i])
    return f"busiest {labels[index]} with {values[index]:,}"


def calls_chart(report: Report):
    """Calls per day, stacked by status (direction has its own chart below)."""
    labels = _day_labels(report)
    days = [report.per_day[d] for d in report.days]
    series = [
        Series("Answered", [t.answered for t in days], "answered"),
        Series("Voicemail", [t.voicemail for t in days], "voicemail"),
        Series("Missed", [t.missed for t in days], "missed"),
    ]
    summary = (f"{report.totals.calls:,} calls from {report.range.label()}: {report.totals.answered:,} answered, "
               f"{report.totals.voicemail:,} voicemail, {report.totals.missed:,} missed; "
               f"{_peak(labels, [t.calls for t in days])}.")
    return bar_chart("Calls per day by status", labels, series, summary=summary)


def direction_chart(report: Report):
    labels = _day_labels(report)
    days = [report.per_day[d] for d in report.days]
    summary = f"{report.totals.inbound:,} inbound and {report.totals.outbound:,} outbound calls."
    return bar_chart("Calls per day by direction", labels, [
        Series("Inbound", [t.inbound for t in days], "inbound"),
        Series("Outbound", [t.outbound for t in days], "outbound"),
    ], summary=summary)


def answer_rate_chart(report: Report):
    labels = _day_labels(report)
    values = [report.per_day[d].answer_rate for d in report.days]
    summary = (f"Answer rate {format_metric('answer_rate', report.totals.answer_rate)} over the range; "
               "days without calls are left blank.")
    return line_chart("Answer rate per day", labels, [Series("Answer rate", values, "answered")],
                      summary=summary, percent=True)


def outcomes_chart(report: Report):
    labels = _day_labels(report)
    days = [report.per_day[d] for d in report.days]
    series = [Series(OUTCOME_LABELS[o], [t.outcomes.get(o, 0) for t in days], f"o-{o}") for o in OUTCOMES]
    parts = ", ".join(f"{report.totals.outcomes.get(o, 0):,} {OUTCOME_LABELS[o].lower()}" for o in OUTCOMES)
    return bar_chart("Outcomes per day", labels, series, summary=f"Outcomes over the range: {parts}.")


def heatmap(report: Report):
    hours = [f"{h:02d}" for h in range(24)]
    grid = report.heatmap
    peak, where = 0, None
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if value > peak:
                peak, where = value, f"{WEEKDAY_NAMES[r]} {c:02d}:00–{c:02d}:59"
    summary = (f"Busiest hour of the week: {where}, {peak:,} calls (local time)." if where
               else "No calls in this range.")
    return heatmap_chart("When customers call (hour of week, local time)", list(WEEKDAY_NAMES), hours, grid,
                         summary=summary)


def breakdown_rows(report: Report, groups: dict, label) -> list[dict]:
    """One row per coordinator (or campaign), busiest first."""
    rows = []
    for key, totals in sorted(groups.items(), key=lambda item: (-item[1].calls, item[0])):
        rows.append({"key": key, "label": label(key), "totals": totals})
    return rows


TABLE_COLUMNS = ("calls", "answered", "missed", "answer_rate", "talk_seconds", "average_talk_seconds", "bookings",
                 "booking_rate", "leads", "lead_rate")


def numbers_table(chart) -> Markup:
    """A chart's numbers as a table, built in Python: 90 days × several series is
    thousands of cells, which a template loop renders several times slower."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in chart.headers)
    body = "".join(
        "<tr>" + "".join(f'<th scope="row">{escape(cell)}</th>' if index == 0 else f"<td>{escape(cell)}</td>"
                         for index, cell in enumerate(row)) + "</tr>"
        for row in chart.rows)
    return Markup(f'<table class="analytics-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
