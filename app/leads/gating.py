"""Catalog gates for leads (lead_management) and messaging (multi_channel):
a business without the feature sees which package brings it."""
from __future__ import annotations

from functools import wraps

from flask import abort, render_template

from app.packages.catalog import FEATURES, PACKAGES
from app.usage.services import has_feature, package_of

LEADS = "lead_management"
MESSAGING = "multi_channel"


def feature_offer(business, feature: str) -> dict:
    """What the upgrade offer says: the feature's label and the smallest package with it."""
    label = next((f.label for f in FEATURES if f.key == feature), feature)
    package = next((p for p in sorted(PACKAGES, key=lambda p: p.display_order) if p.has(feature)), None)
    current = package_of(business)
    return {"feature": feature, "label": label, "package": package, "current": current}


def gated(feature: str, active: str, missing: str = "offer"):
    """A view of an owner's business that needs a catalog feature: the view gets
    `business` instead of `slug` (404 to anyone but the owner). Without the
    feature: the upgrade offer page (`missing="offer"`), or 404 / 403 for the
    partials and posts behind a page that already showed the offer."""
    from app.web import owned_business_or_404

    def decorator(view):
        @wraps(view)
        def wrapper(slug, **kwargs):
            business = owned_business_or_404(slug)
            if has_feature(business, feature):
                return view(business, **kwargs)
            if missing == "404":
                abort(404)
            page = render_template("leads/upgrade.html", business=business, offer=feature_offer(business, feature),
                                   active=active)
            return (page, 403) if missing == "403" else page
        return wrapper
    return decorator


__all__ = ["LEADS", "MESSAGING", "feature_offer", "gated", "has_feature"]
