"""The owner's side of the rollout: join the waitlist from the package picker."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required

from app.rollout import services
from app.web import owned_business_or_404

bp = Blueprint("rollout", __name__)


@bp.post("/businesses/<slug>/waitlist")
@login_required
def join(slug: str):
    business = owned_business_or_404(slug)
    try:
        entry = services.join_waitlist(business, request.form.get("package", ""))
    except services.RolloutError as error:
        flash(str(error), "error")
        return redirect(url_for("packages.picker", slug=business.slug), 303)
    if entry.invited_at is not None:
        flash("You're invited: choose your package to check out.", "success")
    else:
        flash("You're on the waitlist. We'll tell you here and by email as soon as you can subscribe.", "success")
    return redirect(url_for("packages.picker", slug=business.slug), 303)
