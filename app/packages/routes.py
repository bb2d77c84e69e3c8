from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import login_required

from app.packages.catalog import PACKAGES
from app.packages.services import comparison_rows
from app.web import owned_business_or_404

bp = Blueprint("packages", __name__)

# "Choose" posts here once billing is installed.
CHECKOUT_ENDPOINT = "billing.checkout"


@bp.get("/packages")
def catalog():
    """Public comparison, for owners still deciding."""
    return render_template(
        "packages/picker.html", packages=PACKAGES, rows=comparison_rows(), business=None, current=None, choose_endpoint=None
    )


@bp.get("/businesses/<slug>/packages")
@login_required
def picker(slug: str):
    business = owned_business_or_404(slug)
    integration = business.integration
    current = integration.service_package if integration and integration.status not in ("cancelled",) else None
    # -- rollout (issue 16): outside the stage, "Join the waitlist" replaces Checkout.
    from app.rollout.services import may_subscribe, mark_invitation_seen, waitlist_entry

    rollout_open, waitlist = may_subscribe(business), waitlist_entry(business)
    mark_invitation_seen(business)
    return render_template(
        "packages/picker.html",
        packages=PACKAGES,
        rows=comparison_rows(),
        business=business,
        current=current,
        choose_endpoint=CHECKOUT_ENDPOINT if CHECKOUT_ENDPOINT in current_app.view_functions else None,
        rollout_open=rollout_open, waitlist=waitlist,
    )
