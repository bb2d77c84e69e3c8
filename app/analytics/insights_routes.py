"""AI customer insights pages (customer_insights): customers at risk, who to
call, and each contact's AI profile (also shown on the contact's page)."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for
from flask_login import login_required

from app.analytics import insights
from app.analytics.routes import bp, gated
from app.extensions import db
from app.models import Contact
from app.web import parse_uuid


@bp.get("/insights")
@login_required
@gated("customer_insights", "analytics.index")
def insights_page(business):
    return render_template("analytics/insights.html", business=business, at_risk=insights.at_risk(business),
                           who_to_call=insights.who_to_call(business), cursor=insights.last_synced(business),
                           refreshing=insights.unfinished_refresh(business) is not None,
                           campaigns_ready="campaigns.index" in current_app.view_functions)


@bp.post("/insights/sync")
@login_required
@gated("customer_insights", "analytics.index")
def sync_insights(business):
    insights.request_refresh(business)
    return redirect(url_for("analytics.insights_page", slug=business.slug))


@bp.get("/insights/status")
@login_required
@gated("customer_insights", "analytics.insights_page")
def insights_status(business):
    """Polled while a refresh runs; reloads the page once it is done."""
    if insights.unfinished_refresh(business) is None:
        return "", 200, {"HX-Refresh": "true"}
    return render_template("analytics/_insights_status.html", business=business, refreshing=True)


@bp.get("/insights/contacts/<contact_id>")
@login_required
@gated("customer_insights", "analytics.insights_page")
def contact_insight(business, contact_id):
    contact = db.session.get(Contact, parse_uuid(contact_id)) if parse_uuid(contact_id) else None
    if contact is None or contact.business_id != business.id:
        abort(404)
    return render_template("analytics/_contact_insight.html", business=business, contact=contact,
                           insight=insights.insight_for(business, contact))
