"""Enterprise analytics pages (enterprise_reporting): per assistant and per
campaign side by side, saved reports, their schedules and share links."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.analytics import enterprise, presenters, rollups, services
from app.analytics.ranges import PRESETS
from app.analytics.routes import bp, gated, range_or_errors
from app.extensions import db
from app.web import parse_uuid


def _page(business, period, errors, form_errors=None, form=None, status=200):
    rollups.ensure_current(business)
    report = services.build_report(business, period)
    return render_template(
        "analytics/enterprise.html", business=business, period=period, errors=errors, report=report,
        coordinator_rows=presenters.breakdown_rows(report, report.coordinators, report.coordinator_label),
        campaign_rows=presenters.breakdown_rows(report, report.campaigns, lambda key: key),
        columns=presenters.TABLE_COLUMNS, metrics=services.METRICS, format_metric=services.format_metric,
        saved=enterprise.saved_reports(business), schedules=enterprise.SCHEDULES,
        report_ranges=enterprise.REPORT_RANGES, form_errors=form_errors or {}, form=form or {},
        presets=PRESETS), status


@bp.get("/enterprise")
@login_required
@gated("enterprise_reporting", "analytics.index")
def enterprise_page(business):
    period, errors = range_or_errors(business)
    return _page(business, period, errors, status=422 if errors else 200)


@bp.post("/enterprise/reports")
@login_required
@gated("enterprise_reporting", "analytics.index")
def create_report(business):
    try:
        report = enterprise.save_report(business, request.form)
    except enterprise.ReportError as error:
        db.session.rollback()
        period, _ = range_or_errors(business)
        return _page(business, period, {}, form_errors=error.errors, form=request.form, status=422)
    flash(f"Saved “{report.name}”.", "success")
    return redirect(url_for("analytics.saved_report", slug=business.slug, report_id=report.id))


def _owned_report(business, report_id):
    report = enterprise.owned_report_or_none(business, parse_uuid(report_id))
    if report is None:
        abort(404)
    return report


def render_saved_report(business, report, *, shared: bool, new_link=None, share_errors=None):
    """The saved report page: the owner's (with delivery and sharing) or a share link's read-only view."""
    context = enterprise.report_context(business, report, enterprise.report_period(business, report))
    return render_template("analytics/saved_report.html", business=business, shared=shared, new_link=new_link,
                           share_errors=share_errors or {}, share_days=() if shared else enterprise.SHARE_DAYS,
                           schedules=enterprise.SCHEDULES, metrics=services.METRICS,
                           format_metric=services.format_metric,
                           coordinator_names=services.coordinator_names(business), **context)


@bp.get("/enterprise/reports/<report_id>")
@login_required
@gated("enterprise_reporting", "analytics.index")
def saved_report(business, report_id):
    return render_saved_report(business, _owned_report(business, report_id), shared=False)


@bp.post("/enterprise/reports/<report_id>/delete")
@login_required
@gated("enterprise_reporting", "analytics.index")
def delete_report(business, report_id):
    report = _owned_report(business, report_id)
    db.session.delete(report)
    db.session.commit()
    flash(f"Deleted “{report.name}”; its share links no longer open.", "success")
    return redirect(url_for("analytics.enterprise_page", slug=business.slug))


@bp.post("/enterprise/reports/<report_id>/share")
@login_required
@gated("enterprise_reporting", "analytics.index")
def share_report(business, report_id):
    report = _owned_report(business, report_id)
    try:
        days = int(request.form.get("days", ""))
    except ValueError:
        days = 0
    try:
        link, token = enterprise.create_share_link(report, days)
    except enterprise.ReportError as error:
        return render_saved_report(business, report, shared=False, share_errors=error.errors), 422
    from app.analytics.reports import public_url

    new_link = {"url": public_url("analytics_public.shared_report", token=token), "link": link}
    return render_saved_report(business, report, shared=False, new_link=new_link)


@bp.post("/enterprise/reports/<report_id>/share/<link_id>/revoke")
@login_required
@gated("enterprise_reporting", "analytics.index")
def revoke_share(business, report_id, link_id):
    report = _owned_report(business, report_id)
    if not enterprise.revoke_share_link(report, parse_uuid(link_id)):
        abort(404)
    flash("Share link revoked.", "success")
    return redirect(url_for("analytics.saved_report", slug=business.slug, report_id=report.id))
