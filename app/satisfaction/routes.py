"""The rating form posted from the dashboard's prompt (an htmx swap of the prompt)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.satisfaction import services
from app.web import owned_business_or_404

bp = Blueprint("satisfaction", __name__)


@bp.post("/businesses/<slug>/satisfaction")
@login_required
def rate(slug: str):
    business = owned_business_or_404(slug)
    try:
        row = services.record(business, current_user, request.form.get("rating"))
    except services.RatingError as error:
        if request.headers.get("HX-Request"):
            return render_template("satisfaction/_prompt.html", business=business, error=str(error)), 422
        flash(str(error), "error")
        return redirect(url_for("dashboard.index", slug=business.slug), 303)
    thanks = row is not None and row.rating is not None
    if request.headers.get("HX-Request"):
        return render_template("satisfaction/_thanks.html", thanks=thanks)
    if thanks:
        flash("Thank you for rating AlphaSite's AI services.", "success")
    return redirect(url_for("dashboard.index", slug=business.slug), 303)


def owner_prompts(business, kept=None) -> str:
    """Jinja global for the dashboard: the rollout invitation and the monthly rating question.

    With `kept` (the dashboard's KeptPieces), whether either is due is kept
    under the business's change mark (writes to the waitlist, the ratings and
    the subscription history move it), so most views read neither table. A
    prompt that is due is checked again before it is shown: a kept "due"
    never shows a prompt that was answered since."""
    from markupsafe import Markup

    from app.rollout.services import unseen_invitation

    if kept is None or kept.mark is None:  # nothing can be kept: read each once
        invitation, rating_due = unseen_invitation(business), services.is_due(business)
    else:
        invitation_due, rating_due = kept.value(
            "owner-prompts", lambda: (unseen_invitation(business) is not None, services.is_due(business)))
        invitation = unseen_invitation(business) if invitation_due else None
        rating_due = rating_due and services.is_due(business)
    parts = []
    if invitation is not None:
        parts.append(render_template("rollout/_invitation.html", business=business, invitation=invitation))
    if rating_due:
        parts.append(render_template("satisfaction/_prompt.html", business=business, error=None))
    return Markup("".join(parts))
