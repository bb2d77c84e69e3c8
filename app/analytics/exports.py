"""CSV export of every analytics table, in the business's local days."""
from __future__ import annotations

import csv
import io

from app.analytics import services
from app.analytics.presenters import TABLE_COLUMNS, breakdown_rows
from app.analytics.questions import open_questions
from app.analytics.ranges import DateRange

TABLES = {
    "daily": "Calls per day",
    "coordinators": "Per assistant",
    "campaigns": "Per campaign",
    "heatmap": "Calls by hour of week",
    "topics": "Top topics",
    "questions": "Unanswered questions",
}


def _cell(value) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: quote them."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _metric_cells(totals) -> list:
    cells = []
    for name in TABLE_COLUMNS:
        value = totals.metric(name)
        kind = services.METRICS[name][1]
        if value is None:
            cells.append("")
        elif kind == "percent":
            cells.append(f"{value * 100:.1f}")
        elif kind == "duration":
            cells.append(f"{value:.0f}")
        else:
            cells.append(value)
    return cells


def _metric_headers() -> list[str]:
    units = {"percent": " (%)", "duration": " (seconds)", "count": ""}
    return [services.METRICS[n][0] + units[services.METRICS[n][1]] for n in TABLE_COLUMNS]


def rows_for(table: str, business, period: DateRange) -> list[list]:
    if table in ("daily", "coordinators", "campaigns", "heatmap"):
        report = services.build_report(business, period)
    if table == "daily":
        return [["Local day", *_metric_headers()]] + [
            [day.isoformat(), *_metric_cells(report.per_day[day])] for day in report.days]
    if table == "coordinators":
        rows = breakdown_rows(report, report.coordinators, report.coordinator_label)
        return [["Assistant", *_metric_headers()]] + [[r["label"], *_metric_cells(r["totals"])] for r in rows]
    if table == "campaigns":
        rows = breakdown_rows(report, report.campaigns, lambda key: key)
        return [["Campaign", *_metric_headers()]] + [[r["label"], *_metric_cells(r["totals"])] for r in rows]
    if table == "heatmap":
        return [["Weekday", *[f"{h:02d}:00" for h in range(24)]]] + [
            [services.WEEKDAY_NAMES[i], *row] for i, row in enumerate(report.heatmap)]
    if table == "topics":
        return [["Topic", "Calls"]] + [[topic, calls] for topic, calls in services.topic_counts(business, period, 100)]
    start, end = period.bounds(business)
    from app.timezones import format_local

    return [["Question", "Times asked", "Last asked (local time)"]] + [
        [q.question, q.times_asked, format_local(q.last_asked_at, business)]
        for q in open_questions(business, start, end, limit=500)]


def render(table: str, business, period: DateRange) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows_for(table, business, period):
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()
