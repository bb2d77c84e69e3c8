"""AI customer insights pages (customer_insights): customers at risk, who to
call, and each contact's AI profile (also shown on the contact's page)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import login_required

from app.analytics import insights
from app.analytics.routes import bp, gated
from app.extensions import db
from app.jobs import enqueue
from app.models import Contact
from app.web import parse_uuid


@bp.get("/insights")
@login_required
def insights_page(slug):
    business, upsell = gated(slug, "customer_insights", "analytics.index")
    if upsell:
        return upsell
    return render_template("analytics/insights.html", business=business, at_risk=insights.at_risk(business),
                           who_to_call=insights.who_to_call(business), cursor=insights.last_synced(business),
                           campaigns_ready="campaigns.index" in current_app.view_functions)


@bp.post("/insights/sync")
@login_required
def sync_insights(slug):
    business, upsell = gated(slug, "customer_insights", "analytics.index")
    if upsell:
        return upsell
    enqueue("app.analytics.jobs.sync_insights_job", str(business.id), job_id=f"insights:{business.id}")
    flash("Fetching the latest insights from your AI assistant.", "success")
    return redirect(url_for("analytics.insights_page", slug=business.slug))


@bp.get("/insights/contacts/<contact_id>")
@login_required
def contact_insight(slug, contact_id):
    business, upsell = gated(slug, "customer_insights", "analytics.insights_page")
    if upsell:
        return upsell
    contact = db.session.get(Contact, parse_uuid(contact_id)) if parse_uuid(contact_id) else None
    if contact is None or contact.business_id != business.id:
        abort(404)
    return render_template("analytics/_contact_insight.html", business=business, contact=contact,
                           insight=insights.insight_for(business, contact))
