"""Campaign pages: list, new/edit draft with a live audience preview, the
live campaign page, lifecycle actions, targets and CSV export."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.campaigns import audience, csv_audience, forms, reporting, services
from app.campaigns.purposes import PURPOSES
from app.contacts.segments import SegmentError, clean_rules, describe, segments_of
from app.extensions import db
from app.packages.offers import requires_feature, smallest_package_with
from app.models import Campaign, CampaignStatus, Coordinator, SkipReason, TargetStatus
from app.usage.services import OUTBOUND_MINUTES, upgrade_offer
from app.web import parse_uuid, render_partial_or_page

CAMPAIGNS = "campaigns"
bp = Blueprint("campaigns", __name__, url_prefix="/businesses/<slug>/campaigns")


@bp.app_template_global()
def campaigns_offer():
    """The smallest package with campaigns, for offers outside this area (the dashboard's outbound meter)."""
    return smallest_package_with("campaigns")


def _campaign_or_404(business, campaign_id) -> Campaign:
    campaign = db.session.get(Campaign, parse_uuid(campaign_id)) if parse_uuid(campaign_id) else None
    if campaign is None or campaign.business_id != business.id:
        abort(404)
    return campaign


def _coordinators(business):
    return [c for c in db.session.scalars(select(Coordinator).where(Coordinator.business_id == business.id)
                                          .order_by(Coordinator.position)) if c.is_live]


def _upgrade_page(business):
    """What a package without campaigns sees at every campaign URL: a page on GET
    (as the other gated areas), 403 for anything that would change something."""
    page = render_template("campaigns/upgrade.html", business=business, offer=campaigns_offer())
    return page, (200 if request.method == "GET" else 403)


@bp.get("")
@login_required
@requires_feature(CAMPAIGNS, _upgrade_page)
def index(business):
    campaigns = list(db.session.scalars(select(Campaign).where(Campaign.business_id == business.id)
                                        .order_by(Campaign.created_at.desc())))
    return render_template("campaigns/index.html", business=business, campaigns=campaigns,
                           counts=reporting.counts_for([c.id for c in campaigns]),
                           advanced=services.is_advanced(business), launches_left=services.launches_left(business))


def _form_page(business, values, errors=None, campaign=None, status=200):
    shown = _shown_audience(business, values, campaign)
    return render_template(
        "campaigns/form.html", business=business, values=values, errors=errors or {}, campaign=campaign,
        purposes=PURPOSES, coordinators=_coordinators(business), segments=segments_of(business),
        exclusion_labels=audience.EXCLUSION_LABELS, **shown,
        estimate=services.estimate(business, shown["preview"].eligible if shown["preview"] else 0, _Shape(values)),
        max_concurrency=services.max_concurrency(business), advanced=services.is_advanced(business),
    ), status


def _shown_audience(business, values, campaign=None, try_upload=False) -> dict:
    """The audience preview for the form as typed: `preview` (or None), `rules_text`,
    `csv_problem`, and `kept_list` (a draft's uploaded list). A newly chosen file is
    imported for a look and rolled back (`try_upload`, the htmx preview only: a
    full page after a refused POST has no file left to read)."""
    purpose = values.get("purpose") or "lead_follow_up"
    except_id = campaign.id if campaign else None
    shown = {"preview": None, "rules_text": None, "csv_problem": None, "kept_list": None}
    if values.get("audience_source") != "csv":
        rules = _rules_from(values, business)
        if rules is not None:
            shown.update(preview=audience.preview(business, rules, purpose, except_id), rules_text=describe(rules))
        return shown
    upload = values.get("csv_upload")
    if try_upload and upload is not None and upload.filename:
        def measure(contact_import):
            return (audience.preview(business, {}, purpose, except_id, import_id=contact_import.id),
                    csv_audience.describe(contact_import))
        measured, shown["csv_problem"] = csv_audience.preview_upload(business, upload, measure)
        if measured:
            shown["preview"], shown["rules_text"] = measured
        return shown
    kept = (campaign.contact_import if campaign is not None and campaign.contact_import_id
            else csv_audience.kept_import(business, values.get("contact_import_id")))
    if kept is not None:
        shown.update(preview=audience.preview(business, {}, purpose, except_id, import_id=kept.id),
                     rules_text=csv_audience.describe(kept), kept_list=kept)
    return shown


class _Shape:
    """The retry settings of unsaved form values, for the estimate."""

    def __init__(self, values):
        try:
            self.max_attempts = max(1, min(int(values.get("max_attempts") or 1), 10))
        except ValueError:
            self.max_attempts = 1
        self.retry_results = [r for r in services.RETRYABLE if values.get(f"retry_{r}")]


def _rules_from(values, business):
    segment_id = parse_uuid(values.get("segment_id"))
    if segment_id:
        segment = next((s for s in segments_of(business) if s.id == segment_id), None)
        return segment.rules if segment else None
    try:
        return clean_rules(values)
    except SegmentError:
        return None


@bp.route("/new", methods=["GET", "POST"])
@login_required
@requires_feature(CAMPAIGNS, _upgrade_page)
def new(business):
    if request.method == "GET":
        return _form_page(business, forms.defaults(_coordinators(business)))
    values = forms.form_data(request.form, request.files)
    try:
        campaign = services.create_draft(business, values, actor=current_user)
    except services.CampaignError as exc:
        db.session.rollback()
        return _form_page(business, values, exc.errors, status=422)
    flash("Draft saved. Check the audience and launch when ready.", "success")
    return redirect(url_for("campaigns.detail", slug=business.slug, campaign_id=campaign.id))


@bp.post("/preview")
@login_required
@requires_feature(CAMPAIGNS, _upgrade_page)
def preview(business):
    """The audience count, exclusions and estimate for the form as typed (htmx)."""
    values = forms.form_data(request.form, request.files)
    shown = _shown_audience(business, values, try_upload=True)
    return render_template("campaigns/_preview.html", business=business, values=values,
                           exclusion_labels=audience.EXCLUSION_LABELS,
                           **shown, estimate=services.estimate(business, shown["preview"].eligible if shown["preview"]
                                                               else 0, _Shape(values)))


@bp.route("/<campaign_id>/edit", methods=["GET", "POST"])
@login_required
@requires_feature(CAMPAIGNS, _upgrade_page)
def edit(business, campaign_id):
    campaign = _campaign_or_404(business, campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        flash(f"A {campaign.status} campaign's audience and settings cannot be edited: "
              "pause or cancel it, or call the unreached again in a follow-up.", "error")
        back = redirect(url_for("campaigns.detail", slug=business.slug, campaign_id=campaign.id))
        return (back, 409) if request.method == "POST" else back
    if request.method == "GET":
        return _form_page(business, forms.from_campaign(campaign, business), campaign=campaign)
    values = forms.form_data(request.form, request.files)
    try:
        services.update_draft(business, campaign, values, actor=current_user)
    except services.CampaignError as exc:
        db.session.rollback()
        return _form_page(business, values, exc.errors, campaign=campaign, status=422)
    flash("Draft updated.", "success")
    return redirect(url_for("campaigns.detail", slug=business.slug, campaign_id=campaign.id))


def _live_context(business, campaign):
    status_filter = request.args.get("status") or ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    targets, filtered_total = reporting.targets_page(campaign.id, status_filter, page)
    counts = reporting.counts(campaign.id)
    draft_preview = None
    if campaign.status == CampaignStatus.DRAFT and campaign.audience_source != "follow_up":
        draft_preview = audience.preview(business, purpose=campaign.purpose, except_campaign_id=campaign.id,
                                         **services.audience_of(campaign))
    planned = counts.total or (draft_preview.eligible if draft_preview else 0)
    return dict(business=business, campaign=campaign, counts=counts,
                funnel=reporting.funnel(campaign.id), minutes=reporting.minutes_used(campaign.id),
                by_day=reporting.dials_by_day(campaign, business), targets=targets, filtered_total=filtered_total,
                status_filter=status_filter, page=page, page_size=reporting.PAGE_SIZE,
                status_labels=reporting.STATUS_LABELS, skip_labels=SkipReason.LABELS,
                advanced=services.is_advanced(business),
                minutes_offer=upgrade_offer(business, OUTBOUND_MINUTES) if campaign.paused_reason == "minutes" else None,
                estimate=services.estimate(business, planned, campaign) if campaign.status == CampaignStatus.DRAFT else None,
                preview=draft_preview,
                exclusion_labels=audience.EXCLUSION_LABELS, rules_text=_audience_text(campaign),
                live=campaign.status in (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING)
                or (campaign.status == CampaignStatus.PAUSED and bool(counts.by_status[TargetStatus.DIALLING])))


def _audience_text(campaign) -> str:
    if campaign.audience_source == "follow_up":
        return "not reached by the previous campaign"
    if campaign.audience_source == "csv":
        return csv_audience.describe(campaign.contact_import) if campaign.contact_import else "an uploaded list"
    return describe(services.rules_of(campaign))


@bp.get("/<campaign_id>")
@login_required
@requires_feature(CAMPAIGNS, _upgrade_page)
def detail(business, campaign_id):
    campaign = _campaign_or_404(business, campaign_id)
    return render_partial_or_page("campaigns/detail.html", "campaigns/_live.html", **_live_context(business, campaign),
                                  **message_routes.card_context(business, campaign))


@bp.get("/<campaign_id>/live")
@login_required
@requires_feature(CAMPAIGNS, _upgrade_page)
def live(business, campaign_id):
    """The self-refreshing part of the campaign page (polled while the campaign runs)."""
    campaign = _campaign_or_404(business, campaign_id)
    response = Response(render_template("campaigns/_live.html", **_live_context(business, campaign),
                                        **message_routes.card_context(business, campaign)))
    response.headers["Vary"] = "HX-Request"
    return response


_ACTIONS = {
    "launch": lambda business, campaign: services.launch(business, campaign, actor=current_user),
    "pause": lambda business, campaign: services.pause(campaign, actor=current_user),
    "resume": lambda business, campaign: services.resume(campaign, actor=current_user),
    "cancel": lambda business, campaign: services.cancel(campaign, actor=current_user),
}
_DONE = {"launch": "Campaign launched.", "pause": "Paused: no new calls start; calls in progress finish.",
         "resume": "Campaign resumed.", "cancel": "Campaign cancelled."}


@bp.post("/<campaign_id>/<any(launch, pause, resume, cancel):action>")
@login_required
@requires_feature(CAMPAIGNS, _upgrade_page)
def act(business, campaign_id, action):
    campaign = _campaign_or_404(business, campaign_id)
    try:
        _ACTIONS[action](business, campaign)
    except services.CampaignError as exc:
        db.session.rollback()
        flash(" ".join(exc.errors.values()), "error")
        return redirect(url_for("campaigns.detail", slug=business.slug, campaign_id=campaign.id)), 409
    flash(_DONE[action], "success")
    return redirect(url_for("campaigns.detail", slug=business.slug, campaign_id=campaign.id))


@bp.post("/<campaign_id>/follow-up")
@login_required
@requires_feature(CAMPAIGNS, _upgrade_page)
def follow_up(business, campaign_id):
    campaign = _campaign_or_404(business, campaign_id)
    try:
        follow = services.follow_up(business, campaign, actor=current_user)
    except services.CampaignError as exc:
        db.session.rollback()
        flash(" ".join(exc.errors.values()), "error")
        return redirect(url_for("campaigns.detail", slug=business.slug, campaign_id=campaign.id)), 409
    flash("Follow-up drafted with everyone not reached. Review and launch it.", "success")
    return redirect(url_for("campaigns.detail", slug=business.slug, campaign_id=follow.id))


@bp.get("/<campaign_id>/export.csv")
@login_required
@requires_feature(CAMPAIGNS, _upgrade_page)
def export(business, campaign_id):
    campaign = _campaign_or_404(business, campaign_id)
    return Response(reporting.export_csv(campaign, business), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="campaign-{campaign.id}.csv"'})


from app.campaigns import message_routes  # noqa: E402,F401  (the follow-up by text registers on this blueprint)
