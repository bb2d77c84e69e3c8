"""Console metrics pages: overview (KPIs), MRR, revenue, adoption, usage.
Each table downloads as CSV with ?format=csv (and ?table= where a page has several)."""
from __future__ import annotations

from flask import render_template, request, session
from sqlalchemy import select

from app.admin import console, health, margin
from app.admin.metrics import kpis, mrr, snapshots
from app.admin.metrics.periods import PRESETS, current_month, parse_month, parse_range
from app.admin.routes import bp
from app.extensions import db
from app.models import Business
from app.packages.catalog import PACKAGES


_LAST_GOOD = "console_last_filters"


def _filters():
    """The request's filters; on bad input, the field errors over the last good view
    (kept in the session), with what was typed left in the fields."""
    launch = kpis.launch_month()
    filters = parse_range(request.args, launch)
    if not filters.errors:
        session[_LAST_GOOD] = filters.query_args()
        return filters, 200
    last_good = parse_range(session.get(_LAST_GOOD) or {}, launch)
    last_good.errors = filters.errors
    last_good.start_raw, last_good.end_raw = filters.start_raw, filters.end_raw
    return last_good, 422


def _context(filters, **extra):
    return {"filters": filters, "presets": PRESETS, "packages": PACKAGES, **extra}


def _wants_csv() -> bool:
    return request.args.get("format") == "csv"


@bp.get("/")
def index():
    data = console.overview()
    failing_jobs = health.failed_job_count()
    failing_webhooks = health.failed_webhook_count()
    lagging = health.lagging_count()
    return render_template("admin/overview.html", data=data, failing_jobs=failing_jobs,
                           failing_webhooks=failing_webhooks, lagging=lagging, dollars=console.dollars)


@bp.get("/overview/margin-floor")
def overview_margin_floor():
    """The overview's margin card, loaded after the first paint: the count the margin page's report
    would give, from one aggregate statement rather than the report itself."""
    return render_template("admin/_margin_floor_card.html", count=margin.floor_count(current_month()))


@bp.get("/metrics/mrr")
def mrr_page():
    filters, status = _filters()
    figures = snapshots.figures_for(filters.months, filters.package)
    rows = console.mrr_table_rows(figures)
    if _wants_csv():
        return console.csv_response(f"mrr-movements-{filters.first:%Y%m}-{filters.last:%Y%m}.csv", rows)
    return render_template("admin/mrr.html", **_context(
        filters, figures=figures, rows=rows, chart=console.movements_chart(figures, filters),
        line=console.mrr_line_chart(figures), dollars=console.dollars,
        drilldown=console.drilldown_links(filters.package),
        kinds=mrr.KINDS, labels=console.KIND_LABELS)), status


@bp.get("/metrics/mrr/businesses")
def mrr_businesses():
    month = parse_month(request.args.get("month"))
    kind = request.args.get("kind", "")
    filters, status = _filters()
    errors = dict(filters.errors)
    if month is None:
        errors["month"] = "Month: use the form YYYY-MM."
    if kind not in mrr.KINDS:
        errors["kind"] = "Choose new, expansion, reactivation, contraction or churn."
    movements = []
    if not errors:
        found = mrr.month_movements(month, kind, filters.package)
        ids = {m.business_id for m in found}
        names = {b.id: b for b in db.session.scalars(select(Business).where(Business.id.in_(ids)))} if ids else {}
        movements = [(m, names.get(m.business_id)) for m in found]
    if _wants_csv() and not errors:
        return console.csv_response(f"mrr-{kind}-{month:%Y%m}.csv", [
            {"business": b.name if b else "", "business_id": str(m.business_id), "at_utc": m.at.isoformat(),
             "package": m.package, "mrr_change": m.delta / 100} for m, b in movements])
    return render_template("admin/mrr_businesses.html", month=month, kind=kind, errors=errors,
                           movements=movements, labels=console.KIND_LABELS, filters=filters,
                           package_name=console.package_name, dollars=console.dollars), (422 if errors else 200)


@bp.get("/metrics/revenue")
def revenue_page():
    filters, status = _filters()
    data = console.revenue_page(filters)
    if _wants_csv():
        if request.args.get("table") == "cohorts":
            return console.csv_response("cohort-retention.csv", console.cohort_table_rows(data["cohorts"]))
        return console.csv_response("revenue.csv", console.revenue_table_rows(data["months"]))
    return render_template("admin/revenue.html", **_context(filters, **data, dollars=console.dollars,
                                                            percent=console.percent)), status


@bp.get("/metrics/adoption")
def adoption_page():
    filters, status = _filters()
    data = console.adoption_page(filters)
    if _wants_csv():
        return console.csv_response("adoption.csv", console.adoption_table_rows(data["months"]))
    return render_template("admin/adoption.html", **_context(filters, **data, percent=console.percent)), status


@bp.get("/metrics/usage")
def usage_page():
    filters, status = _filters()
    data = console.usage_page(filters)
    if _wants_csv():
        return console.csv_response("usage.csv", console.usage_table_rows(data["totals"], data["by_package"]))
    return render_template("admin/usage.html", **_context(filters, **data, percent=console.percent)), status


@bp.get("/metrics/definitions")
def definitions():
    """docs/metrics.md, as the pages link to it."""
    from pathlib import Path

    from flask import current_app

    path = Path(current_app.root_path).parent / "docs" / "metrics.md"
    return render_template("admin/definitions.html", text=path.read_text(encoding="utf-8"))
