"""Reporting pages (call_reporting): topics and their calls, unanswered
questions with "add to FAQ", the weekly email report's settings and preview."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from app.analytics import reports, services
from app.analytics.questions import FaqError, add_to_faq, open_questions
from app.analytics.routes import bp, gated, range_or_errors
from app.analytics.ranges import PRESETS
from app.extensions import db
from app.models import Call
from app.web import is_htmx, render_partial_or_page

TOPIC_CALLS_SHOWN = 200


@bp.get("/reports")
@login_required
@gated("call_reporting", "analytics.index")
def reports_page(business):
    period, errors = range_or_errors(business)
    from app.analytics import rollups

    rollups.ensure_current(business)
    start, end = period.bounds(business)
    response = render_partial_or_page(
        "analytics/reports.html", "analytics/_reports_body.html", business=business, period=period,
        presets=PRESETS, errors=errors, topics=services.topic_counts(business, period),
        questions=open_questions(business, start, end), settings=reports.settings_for(business),
        recipients=reports.recipients(business))
    if errors:
        response.status_code = 422
    return response


@bp.get("/topics")
@login_required
@gated("call_reporting", "analytics.index")
def topic_calls(business):
    topic = (request.args.get("topic") or "").strip()[:80]
    if not topic:
        abort(404)
    period, errors = range_or_errors(business)
    start, end = period.bounds(business)
    calls = db.session.scalars(
        select(Call).where(Call.business_id == business.id, Call.topic == topic, Call.started_at >= start,
                           Call.started_at < end).order_by(Call.started_at.desc()).limit(TOPIC_CALLS_SHOWN)).all()
    return render_template("analytics/topic_calls.html", business=business, period=period, topic=topic,
                           calls=calls, shown_limit=TOPIC_CALLS_SHOWN, errors=errors), (422 if errors else 200)


@bp.post("/questions/faq")
@login_required
@gated("call_reporting", "analytics.index")
def question_to_faq(business):
    question, answer = request.form.get("question", ""), request.form.get("answer", "")
    # The row's element id, echoed back as the htmx target: letters and digits only.
    row_id = re.sub(r"[^A-Za-z0-9_-]", "", request.form.get("row") or "")[:40]
    row_id = row_id if row_id[:1].isalpha() else "q" + row_id
    try:
        entry = add_to_faq(business, question, answer)
    except FaqError as error:
        db.session.rollback()
        if is_htmx():
            return render_template("analytics/_question_row.html", business=business, row_id=row_id,
                                   question_text=question, answer=answer, errors=error.errors, added=False), 422
        return render_template("analytics/faq_error.html", business=business, question_text=question,
                               answer=answer, errors=error.errors), 422
    if is_htmx():
        return render_template("analytics/_question_row.html", business=business, row_id=row_id,
                               question_text=entry["question"], answer=entry["answer"], errors={}, added=True)
    flash("Added to your FAQ; your assistant answers it from now on.", "success")
    return redirect(url_for("analytics.reports_page", slug=business.slug))


@bp.get("/weekly-report/preview")
@login_required
@gated("call_reporting", "analytics.index")
def weekly_preview(business):
    recipient = business.owner.email if business.owner else ""
    subject, text, html = reports.render_weekly(business, reports.last_full_week(business), recipient)
    return render_template("analytics/weekly_preview.html", business=business, subject=subject, text=text,
                           html=html)


@bp.post("/weekly-report/settings")
@login_required
@gated("call_reporting", "analytics.index")
def weekly_settings(business):
    try:
        reports.update_settings(business, enabled=request.form.get("enabled") == "on",
                                recipients_text=request.form.get("recipients", ""))
    except reports.SettingsError as error:
        db.session.rollback()
        return render_template("analytics/_weekly_settings.html", business=business,
                               settings=reports.settings_for(business), recipients_text=request.form.get("recipients", ""),
                               errors=error.errors), 422
    if is_htmx():
        return render_template("analytics/_weekly_settings.html", business=business,
                               settings=reports.settings_for(business), saved=True, errors={})
    flash("Weekly report settings saved.", "success")
    return redirect(url_for("analytics.reports_page", slug=business.slug))
