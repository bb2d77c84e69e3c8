"""Analytics pages (thin: figures come from services, charts from presenters).

Each page is gated by one catalog feature; a package without it sees what it
would get and the upgrade (`gating.upsell_response`).
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask_login import login_required

from app.analytics import exports, gating, presenters, rollups, services
from app.analytics.ranges import PRESETS, RangeError, parse_range, preset_range
from app.packages.offers import requires_feature
from app.web import render_partial_or_page

bp = Blueprint("analytics", __name__, url_prefix="/businesses/<slug>/analytics")


def gated(feature: str, active: str):
    """The view gets the owner's `business` when its package has `feature`;
    otherwise what the page would give and the upgrade (`gating.upsell_response`)."""
    return requires_feature(feature, lambda business: gating.upsell_response(business, feature, active))


def range_or_errors(business):
    try:
        return parse_range(business, request.args), {}
    except RangeError as error:
        return preset_range(business, "30d"), error.errors


def overview_context(business, period, filters=None) -> dict:
    report = services.build_report(business, period, filters)
    return {
        "report": report,
        "deltas": report.deltas(),
        "charts": {
            "calls": presenters.calls_chart(report),
            "direction": presenters.direction_chart(report),
            "answer_rate": presenters.answer_rate_chart(report),
            "outcomes": presenters.outcomes_chart(report),
            "heatmap": presenters.heatmap(report),
        },
        "coordinator_rows": presenters.breakdown_rows(report, report.coordinators, report.coordinator_label),
        "columns": presenters.TABLE_COLUMNS,
        "metrics": services.METRICS,
        "format_metric": services.format_metric,
    }


@bp.get("")
@login_required
@gated("call_analytics", "analytics.index")
def index(business):
    period, errors = range_or_errors(business)
    context = {"business": business, "period": period, "presets": PRESETS, "errors": errors,
               "reporting": gating.allowed(business, "call_reporting"),
               "insights": gating.allowed(business, "customer_insights"),
               "enterprise": gating.allowed(business, "enterprise_reporting")}
    if not rollups.ensure_current(business):
        return render_partial_or_page("analytics/index.html", "analytics/_counting.html", counting=True, **context)
    if request.args.get("counting"):
        return "", 200, {"HX-Refresh": "true"}  # the count finished: show the whole page
    context.update(overview_context(business, period))
    response = render_partial_or_page("analytics/index.html", "analytics/_regions.html", counting=False, **context)
    if errors:
        response.status_code = 422
    return response


@bp.get("/export/<table>.csv")
@login_required
@gated("call_reporting", "analytics.index")
def export_csv(business, table):
    if table not in exports.TABLES:
        abort(404)
    period, errors = range_or_errors(business)
    if errors:
        return Response("; ".join(errors.values()) + "\n", status=422, mimetype="text/plain")
    if not rollups.ensure_current(business):
        return Response("Your call figures are being counted; try again in a minute.\n", status=503,
                        mimetype="text/plain", headers={"Retry-After": "60"})
    body = exports.render(table, business, period)
    filename = f"{business.slug}-{table}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


from app.analytics import enterprise_routes, insights_routes, reporting_routes  # noqa: E402,F401  (same blueprint)
@bp.app_context_processor
def analytics_template_helpers():
    # The analytics tabs mark the sections a package lacks.
    from app.models.base import utcnow

    return {"package_has": gating.allowed, "now_utc": utcnow, "chart_numbers": presenters.numbers_table}
