"""Catalog gates for leads (lead_management) and messaging (multi_channel):
a business without the feature sees which package brings it."""
from __future__ import annotations

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


__all__ = ["LEADS", "MESSAGING", "feature_offer", "has_feature"]
