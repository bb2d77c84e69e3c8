"""A finished campaign's follow-up by text (or email): the card on the campaign
page, its live preview (htmx) and the send. Advanced packages only; the
campaign page offers it to the others as what an upgrade adds."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.campaigns import message_follow_up as follow_up_text
from app.campaigns.routes import CAMPAIGNS, _campaign_or_404, _live_context, _upgrade_page, bp
from app.extensions import db
from app.messaging.templates import get_template_or_none, list_templates
from app.packages.offers import requires_feature, smallest_package_with


def _values(business, form) -> dict:
    """The form as typed; an empty message starts from the chosen saved template."""
    values = {"body": (form.get("body") or "").strip(), "subject": (form.get("subject") or "").strip(),
              "use_email": bool(form.get("use_email")), "template_id": form.get("template_id") or ""}
    template = get_template_or_none(business, values["template_id"]) if values["template_id"] else None
    if template is not None and not values["body"]:
        values["body"], values["subject"] = template.body, values["subject"] or (template.subject or "")
    return values


def card_context(business, campaign, values=None, errors=None) -> dict:
    """What the follow-up card shows: the form, who it would reach, and what was sent."""
    values = values or {"body": "", "subject": "", "use_email": False, "template_id": ""}
    context = {"text_values": values, "text_errors": errors or {}, "text_progress": None, "text_plan": None,
               "text_sample": None, "text_segments": None, "skip_labels_text": follow_up_text.SKIP_LABELS,
               "text_offer": None, "text_templates": []}
    if campaign.status not in follow_up_text.CampaignStatus.FINAL:
        return context
    from app.campaigns.services import is_advanced

    if not is_advanced(business):
        context["text_offer"] = smallest_package_with("advanced_campaigns")
        return context
    planned = follow_up_text.plan(business, campaign, values["use_email"])
    sample, segments = follow_up_text.sample(business, values["body"], planned)
    context.update(text_progress=follow_up_text.progress(campaign), text_plan=planned, text_sample=sample,
                   text_segments=segments, text_templates=list_templates(business))
    return context


@bp.post("/<campaign_id>/follow-up-text")
@login_required
@requires_feature(CAMPAIGNS, _upgrade_page)
def follow_up_text_send(business, campaign_id):
    campaign = _campaign_or_404(business, campaign_id)
    values = _values(business, request.form)
    try:
        tally = follow_up_text.send(business, campaign, values["body"], values["subject"], values["use_email"],
                                    actor=current_user)
    except follow_up_text.FollowUpError as exc:
        db.session.rollback()
        if "status" in exc.errors:
            flash(exc.errors["status"], "error")
            return redirect(url_for("campaigns.detail", slug=business.slug, campaign_id=campaign.id)), 409
        return render_template("campaigns/detail.html", **_live_context(business, campaign),
                               **card_context(business, campaign, values, exc.errors)), 422
    skipped = sum(tally["skipped"].values())
    flash(f"Follow-up queued: {tally['queued']} now, {tally['held']} held for quiet hours, {skipped} skipped"
          + (f", {tally['already']} already followed up" if tally["already"] else "") + ".", "success")
    return redirect(url_for("campaigns.detail", slug=business.slug, campaign_id=campaign.id))


@bp.post("/<campaign_id>/follow-up-text/preview")
@login_required
@requires_feature(CAMPAIGNS, _upgrade_page)
def follow_up_text_preview(business, campaign_id):
    """The message as the first recipient reads it, and who it reaches (htmx)."""
    campaign = _campaign_or_404(business, campaign_id)
    values = _values(business, request.form)
    errors = {}
    try:
        follow_up_text.clean(values["body"], values["subject"], values["use_email"])
    except follow_up_text.FollowUpError as exc:
        errors = {k: v for k, v in exc.errors.items() if values["body"] or k != "body"}
    response = render_template("campaigns/_message_follow_up_preview.html", business=business, campaign=campaign, in_preview=True,
                               **card_context(business, campaign, values, errors))
    return response, 200, {"Vary": "HX-Request"}
