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
    return render_template(
        "packages/picker.html",
        packages=PACKAGES,
        rows=comparison_rows(),
        business=business,
        current=current,
        choose_endpoint=CHECKOUT_ENDPOINT if CHECKOUT_ENDPOINT in current_app.view_functions else None,
    )
