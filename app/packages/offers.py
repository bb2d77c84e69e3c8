"""Upgrade offers for catalog features: what a lower package is shown in
place of a feature it does not include."""
from __future__ import annotations

from app.packages.catalog import FEATURES, PACKAGES, PackageDefinition


def feature_label(feature: str) -> str:
    return next(f.label for f in FEATURES if f.key == feature)


def smallest_package_with(feature: str) -> PackageDefinition | None:
    return next((p for p in sorted(PACKAGES, key=lambda p: p.display_order) if p.has(feature)), None)
