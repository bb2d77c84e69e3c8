"""Upgrade offers for catalog features: what a lower package is shown in
place of a feature it does not include."""
from __future__ import annotations

from app.packages.catalog import FEATURES, PACKAGES, PackageDefinition


def feature_label(feature: str) -> str:
    return next(f.label for f in FEATURES if f.key == feature)


def smallest_package_with(feature: str) -> PackageDefinition | None:
    return next((p for p in sorted(PACKAGES, key=lambda p: p.display_order) if p.has(feature)), None)


def offers_area(business, feature: str | None) -> bool:
    """Whether a business's package includes an area that needs `feature` (None:
    every business has it). The navigation and the areas' own gates agree
    because both ask the package through has_feature."""
    from app.usage.services import has_feature

    return feature is None or has_feature(business, feature)


def upgrade_for(features: list[str]) -> PackageDefinition | None:
    """The smallest package that includes any of `features` (the next step up)."""
    return next((p for p in sorted(PACKAGES, key=lambda p: p.display_order) if any(p.has(f) for f in features)), None)
