"""Leads inbox: list with filters, board, lead page, CSV export, manual entry."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.leads import services
from app.leads.gating import LEADS, gated, has_feature
from app.leads.qualification import request_qualification
from app.models.leads import LeadSource, LeadStatus
from app.timezones import format_local
from app.web import is_htmx, render_partial_or_page

bp = Blueprint("leads", __name__, url_prefix="/businesses/<slug>/leads")


def _lead_or_404(business, lead_id):
    lead = services.get_lead_or_none(business, lead_id)
    if lead is None:
        abort(404)
    return lead


def _common():
    return {"statuses": LeadStatus.PIPELINE, "sources": LeadSource.LABELS, "is_stale": services.is_stale}


@bp.get("")
@login_required
@gated(LEADS, "leads.index")
def index(business):
    filters = services.LeadFilters.from_args(request.args)
    results = services.search_leads(business, filters)
    response = render_partial_or_page("leads/index.html", "leads/_results.html", business=business,
                                      filters=filters, results=results, **_common())
    return (response, 422) if filters.errors else response


@bp.get("/board")
@login_required
@gated(LEADS, "leads.index")
def board(business):
    return render_template("leads/board.html", business=business, columns=services.board(business), **_common())


@bp.get("/export.csv")
@login_required
@gated(LEADS, "leads.index")
def export(business):
    filters = services.LeadFilters.from_args(request.args)
    query = services.filtered_query(business, filters)
    if filters.errors:
        return Response("; ".join(filters.errors.values()), status=422, mimetype="text/plain")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["created", "name", "phone", "email", "source", "status", "lost_reason", "score", "score_reason",
                     "value", "next_step", "follow_up_due", "follow_up_note", "owner_note", "message"])
    from app.extensions import db

    for lead in db.session.scalars(query.limit(50_000)).unique():
        writer.writerow([format_local(lead.created_at, business, "%Y-%m-%d %H:%M"), lead.label, lead.phone or "",
                         lead.email or "", LeadSource.LABELS.get(lead.source, lead.source), lead.status,
                         lead.lost_reason or "", "" if lead.score is None else lead.score, lead.score_reason or "",
                         "" if lead.value is None else f"{lead.value:.2f}", lead.next_step or "",
                         lead.follow_up_due.isoformat() if lead.follow_up_due else "", lead.follow_up_note or "",
                         lead.owner_note or "", (lead.message or "").replace("\r", " ")])
    filename = f"leads-{business.slug}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/new", methods=["GET", "POST"])
@login_required
@gated(LEADS, "leads.index")
def new(business):
    errors, values = {}, {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            lead = services.create_manual(business, values, actor=current_user)
        except services.LeadError as exc:
            errors = exc.errors
        else:
            flash(f"Lead {lead.label} was added.", "success")
            return redirect(url_for("leads.detail", slug=business.slug, lead_id=lead.id))
    return render_template("leads/new.html", business=business, errors=errors, values=values), (422 if errors else 200)


@bp.get("/<lead_id>")
@login_required
@gated(LEADS, "leads.index")
def detail(business, lead_id):
    lead = _lead_or_404(business, lead_id)
    return render_template("leads/detail.html", business=business, lead=lead, errors={}, values=None, **_common())


@bp.post("/<lead_id>/status")
@login_required
@gated(LEADS, "leads.index")
def status(business, lead_id):
    """htmx from the list and the board: the changed row or card; a plain form: back to the lead."""
    lead = _lead_or_404(business, lead_id)
    error = None
    try:
        services.change_status(business, lead, request.form.get("status"),
                               lost_reason=request.form.get("lost_reason"), actor=current_user)
    except services.LeadError as exc:
        error = next(iter(exc.errors.values()))
    if is_htmx():
        if request.form.get("view") == "board":
            return render_template("leads/_board.html", business=business, columns=services.board(business),
                                   error=error, error_lead=lead, **_common()), (422 if error else 200)
        return render_template("leads/_row.html", business=business, lead=lead, error=error,
                               asked=request.form.get("status"), **_common()), (422 if error else 200)
    flash(error or f"{lead.label} is now {lead.status}.", "error" if error else "success")
    return redirect(url_for("leads.detail", slug=business.slug, lead_id=lead.id), code=303)


@bp.post("/<lead_id>/details")
@login_required
@gated(LEADS, "leads.index")
def details(business, lead_id):
    lead = _lead_or_404(business, lead_id)
    try:
        services.update_details(business, lead, request.form, actor=current_user)
    except services.LeadError as exc:
        return render_template("leads/detail.html", business=business, lead=lead, errors=exc.errors,
                               values=request.form, **_common()), 422
    flash("Saved.", "success")
    return redirect(url_for("leads.detail", slug=business.slug, lead_id=lead.id))


@bp.post("/<lead_id>/qualify")
@login_required
@gated(LEADS, "leads.index")
def qualify(business, lead_id):
    lead = _lead_or_404(business, lead_id)
    request_qualification(lead)
    flash("Your AI assistant is qualifying this lead; the score appears in a moment.", "success")
    return redirect(url_for("leads.detail", slug=business.slug, lead_id=lead.id))


@bp.app_template_global("leads_dashboard")
def leads_dashboard(business) -> "services.PanelFigures | None":
    """The dashboard's leads panel (None without lead management)."""
    if not has_feature(business, LEADS):
        return None
    return services.panel_figures(business)
