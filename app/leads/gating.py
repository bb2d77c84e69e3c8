"""Catalog gates for leads (lead_management) and messaging (multi_channel):
a business without the feature sees which package brings it."""
from __future__ import annotations

from flask import render_template

from app.packages.catalog import FEATURES
from app.packages.offers import requires_feature, smallest_package_with
from app.usage.services import has_feature, package_of

LEADS = "lead_management"
MESSAGING = "multi_channel"


def feature_offer(business, feature: str) -> dict:
    """What the upgrade offer says: the feature's label and the smallest package with it."""
    label = next((f.label for f in FEATURES if f.key == feature), feature)
    package = smallest_package_with(feature)
    current = package_of(business)
    return {"feature": feature, "label": label, "package": package, "current": current}


def gated(feature: str, active: str, missing: str = "offer"):
    """`requires_feature` with the leads/messaging upgrade page as the offer."""
    def offer(business):
        return render_template("leads/upgrade.html", business=business, offer=feature_offer(business, feature),
                               active=active)
    return requires_feature(feature, offer, missing)


__all__ = ["LEADS", "MESSAGING", "feature_offer", "gated", "has_feature"]
