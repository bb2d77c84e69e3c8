"""What each console page shows, assembled from the metric modules, plus
CSV rows for every table. Routes stay thin: they parse, call one of these
and render."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from flask import Response, url_for

from app.admin.metrics import adoption, kpis, mrr, revenue, snapshots, usage
from app.admin.metrics.periods import RangeFilter, add_months, current_month, month_start, operator_zone
from app.charts.svg import Chart, Series, line_chart, stacked_bars
from app.timezones import local_today
from app.packages.catalog import PACKAGES, PACKAGES_BY_SLUG

KIND_LABELS = {"new": "New", "expansion": "Expansion", "reactivation": "Reactivation",
               "contraction": "Contraction", "churn": "Churn"}
KIND_COLORS = {"new": "#16a34a", "expansion": "#4f46e5", "reactivation": "#0891b2",
               "contraction": "#f59e0b", "churn": "#dc2626"}


def dollars(cents: float) -> str:
    """Whole dollars for tables: "$12,345", "-$49"."""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.0f}"


def compact_dollars(cents: float) -> str:
    """Chart axes and labels: "$12.3k" from ten thousand up."""
    value = abs(cents) / 100
    return ("-" if cents < 0 else "") + (f"${value / 1000:,.1f}k" if value >= 10_000 else f"${value:,.0f}")


def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def package_name(slug: str | None) -> str:
    package = PACKAGES_BY_SLUG.get(slug or "")
    return package.name if package else (slug or "—")


# ---------------------------------------------------------------- overview

@dataclass
class Overview:
    kpis: list
    mrr_now: int
    customers_now: int
    chart: str
    months: list


def overview() -> Overview:
    this_month = current_month()
    months = [add_months(this_month, offset) for offset in range(-11, 1)]
    view = snapshots.Monthly(months)
    figures = view.figures()
    now_figure = figures[-1]
    last_month = view.usage_cells(months[-2])
    items = kpis.kpis(now_figure.mrr_end, now_figure.customers_end, figures[-2].customers_end,
                      local_today(operator_zone()),
                      calls_last_month=None if last_month is None else sum(cell.calls for cell in last_month))
    return Overview(items, now_figure.mrr_end, now_figure.customers_end, movements_chart(figures, None), months)


# ---------------------------------------------------------------- MRR

def drilldown_links(package: str | None):
    """(month, kind) -> the MRR drill-down's URL, as url_for("admin.mrr_businesses", month=..., kind=...,
    package=...) gives it, from one url_for: a url_for per bar and per table cell (sixty each for
    twelve months) was a fifth of the overview's Python time."""
    base = url_for("admin.mrr_businesses")

    def link(month: date, kind: str) -> str:
        query = {"month": month.strftime("%Y-%m"), "kind": kind}
        if package:
            query["package"] = package
        return f"{base}?{urlencode(query)}"

    return link


def movements_chart(figures: list[mrr.MonthFigures], filters: RangeFilter | None) -> str:
    categories = [f.month.strftime("%b %y") for f in figures]
    series = []
    link = drilldown_links(filters.package if filters else None)
    for kind in mrr.KINDS:
        links = [link(f.month, kind) for f in figures]
        series.append(Series(KIND_LABELS[kind], [f.amounts[kind] for f in figures], KIND_COLORS[kind], links))
    chart = Chart(
        title="MRR movements per month", categories=categories, series=series,
        line=Series("Net MRR change", [f.net for f in figures], "#111827"), fmt=compact_dollars,
        extra_desc="Gains (new, expansion, reactivation) stack above zero, losses (contraction, churn) below; "
                   "the line is the net change.",
    )
    return stacked_bars(chart, "mrr-movements")


def mrr_table_rows(figures: list[mrr.MonthFigures]) -> list[dict]:
    rows = []
    for f in figures:
        row = {"month": f.month.strftime("%Y-%m"), "mrr_start": f.mrr_start / 100}
        for kind in mrr.KINDS:
            row[kind] = f.amounts[kind] / 100
            row[f"{kind}_count"] = f.counts[kind]
        row.update({"net": f.net / 100, "mrr_end": f.mrr_end / 100, "customers_end": f.customers_end})
        rows.append(row)
    return rows


def mrr_line_chart(figures) -> str:
    return line_chart(Chart(title="MRR at the end of each month", categories=[f.month.strftime("%b %y") for f in figures],
                            series=[Series("MRR", [f.mrr_end for f in figures], "#4f46e5")], fmt=compact_dollars, height=220),
                      "mrr-total")


# ---------------------------------------------------------------- revenue

def revenue_page(filters: RangeFilter) -> dict:
    view = snapshots.Monthly(filters.months, filters.package)
    figures = view.figures()
    months = revenue.revenue_months_from(figures, view.retentions())
    return {
        "months": months,
        "ltv": revenue.ltv(figures, current_month()),
        "cohorts": revenue.cohort_grid_from(view.cohorts()) if not filters.package else [],
        "chart": line_chart(Chart(
            title="Retention per month", categories=[m.month.strftime("%b %y") for m in months],
            series=[Series("Gross revenue retention", [_pct(m.gross_retention) for m in months], "#4f46e5"),
                    Series("Net revenue retention", [_pct(m.net_retention) for m in months], "#16a34a"),
                    Series("Logo churn", [_pct(m.logo_churn) for m in months], "#dc2626")],
            fmt=lambda v: f"{v:.0f} %", height=240), "retention"),
    }


def _pct(value: float | None) -> float | None:
    return None if value is None else value * 100


def revenue_table_rows(months: list[revenue.RevenueMonth]) -> list[dict]:
    return [{
        "month": m.month.strftime("%Y-%m"), "mrr": m.mrr / 100, "customers": m.customers,
        "arpa": None if m.arpa is None else round(m.arpa / 100, 2),
        "logo_churn": _round(m.logo_churn), "net_mrr_churn": _round(m.net_mrr_churn),
        "gross_revenue_retention": _round(m.gross_retention), "net_revenue_retention": _round(m.net_retention),
    } for m in months]


def cohort_table_rows(cohorts: list[revenue.CohortRow]) -> list[dict]:
    width = max((len(c.retained) for c in cohorts), default=0)
    rows = []
    for c in cohorts:
        row = {"cohort": c.month.strftime("%Y-%m"), "size": c.size}
        for offset in range(width):
            row[f"month_{offset}"] = _round(c.retained[offset]) if offset < len(c.retained) else None
        rows.append(row)
    return rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# ---------------------------------------------------------------- adoption

def adoption_page(filters: RangeFilter) -> dict:
    months = adoption.adoption_months(snapshots.figures_for(filters.months, filters.package), kpis.launch_month())
    categories = [m.month.strftime("%b %y") for m in months]
    mix = stacked_bars(Chart(
        title="Paying businesses by package at each month's end", categories=categories,
        series=[Series(p.name, [m.packages.get(p.slug, 0) for m in months]) for p in PACKAGES], height=240),
        "package-mix")
    rate = line_chart(Chart(
        title="Adoption: paying ÷ claimed businesses", categories=categories,
        series=[Series("Adoption", [_pct(m.adoption) for m in months], "#4f46e5")],
        fmt=lambda v: f"{v:.0f} %", height=220), "adoption-rate")
    return {"months": months, "mix_chart": mix, "rate_chart": rate,
            "now": months[-1] if months else None, "time_to_package": adoption.time_to_first_package(month_start(add_months(filters.last, 1)))}


def adoption_table_rows(months: list[adoption.AdoptionMonth]) -> list[dict]:
    rows = []
    for m in months:
        row = {"month": m.month.strftime("%Y-%m"), "months_since_launch": m.months_since_launch,
               "claimed": m.claimed, "paying": m.active, "adoption": _round(m.adoption),
               "upgrade_rate": _round(m.upgrade_rate), "downgrade_rate": _round(m.downgrade_rate)}
        row.update({p.slug: m.packages.get(p.slug, 0) for p in PACKAGES})
        rows.append(row)
    return rows


# ---------------------------------------------------------------- usage

def usage_page(filters: RangeFilter) -> dict:
    table = snapshots.Monthly(filters.months).usage()
    totals = usage.totals_by_month(table, filters.months, filters.package)
    by_package = {p.slug: usage.totals_by_month(table, filters.months, p.slug) for p in PACKAGES}
    chart = stacked_bars(Chart(
        title="Call minutes per month", categories=[t.month.strftime("%b %y") for t in totals],
        series=[Series("Inbound minutes", [round(t.inbound_minutes) for t in totals], "#4f46e5"),
                Series("Outbound minutes", [round(t.outbound_minutes) for t in totals], "#0891b2")],
        height=240), "minutes")
    return {"totals": totals, "by_package": by_package, "chart": chart}


def usage_table_rows(totals: list[usage.UsageMonth], by_package: dict) -> list[dict]:
    rows = []
    for group, series in [("all", totals)] + list(by_package.items()):
        for u in series:
            rows.append({
                "month": u.month.strftime("%Y-%m"), "package": group, "paying_businesses": u.paying_businesses,
                "inbound_minutes": round(u.inbound_minutes, 1), "outbound_minutes": round(u.outbound_minutes, 1),
                "calls": u.calls, "calls_per_business": _round(u.calls_per_business),
                "answered_calls": u.answered_calls, "ai_bookings": u.ai_bookings,
                "booking_rate": _round(u.booking_rate), "contacts_created": u.contacts_created,
                "contacts_per_business": _round(u.contacts_per_business),
                "chat_conversations": u.chat_conversations,
            })
    return rows


# ---------------------------------------------------------------- CSV

def _cell(value):
    """Numbers as they are; text that a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_response(filename: str, rows: list[dict], header: list[str] | None = None) -> Response:
    buffer = io.StringIO()
    columns = header or (list(rows[0].keys()) if rows else ["no_data"])
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})

