"""Pages reached from outside the owner's session: the weekly report's signed
unsubscribe link and a saved report's expiring read-only share link."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from app.analytics import enterprise, reports
from app.extensions import db
from app.models import Business
from app.web import parse_uuid

bp = Blueprint("analytics_public", __name__)


def _business_for(token: str):
    data = reports.read_unsubscribe_token(token)
    business = db.session.get(Business, parse_uuid(data[0])) if data and parse_uuid(data[0]) else None
    if business is None:
        abort(404)
    return business, data[1]


@bp.get("/reports/unsubscribe/<token>")
def unsubscribe(token):
    """A confirmation button, not an unsubscribe: mail scanners open links."""
    business, address = _business_for(token)
    return render_template("analytics/unsubscribe.html", business=business, address=address, done=False)


@bp.post("/reports/unsubscribe/<token>")
def confirm_unsubscribe(token):
    business, address = _business_for(token)
    reports.unsubscribe(business, address)
    return render_template("analytics/unsubscribe.html", business=business, address=address, done=True)


@bp.get("/shared/reports/<token>")
def shared_report(token):
    report = enterprise.report_for_token(token)
    if report is None:
        abort(404)
    business = db.session.get(Business, report.business_id)
    from app.analytics.gating import allowed

    if not allowed(business, "enterprise_reporting"):
        abort(404)  # the package that made the link is gone; the link closes with it
    from app.analytics.enterprise_routes import render_saved_report

    response = render_saved_report(business, report, shared=True)
    return response, 200, {"X-Robots-Tag": "noindex", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
