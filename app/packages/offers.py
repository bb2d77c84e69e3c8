"""Upgrade offers for catalog features: what a lower package is shown in
place of a feature it does not include."""
from __future__ import annotations

from app.packages.catalog import FEATURES, PACKAGES, PackageDefinition


def feature_label(feature: str) -> str:
    return next(f.label for f in FEATURES if f.key == feature)


def smallest_package_with(feature: str) -> PackageDefinition | None:
    return next((p for p in sorted(PACKAGES, key=lambda p: p.display_order) if p.has(feature)), None)


def requires_feature(feature: str, offer, missing: str = "offer"):
    """A view of an owner's business that needs a catalog feature. The view gets
    `business` instead of `slug` (404 to anyone but the owner). Without the
    feature the visitor gets `offer(business)`, the area's upgrade page (a body,
    or a (body, status) pair); `missing="403"` sends that page with 403 (a post
    behind a page that showed the offer), `missing="404"` a plain 404 (partials)."""
    from functools import wraps

    from flask import abort

    from app.usage.services import has_feature
    from app.web import owned_business_or_404

    def decorator(view):
        @wraps(view)
        def wrapper(slug, **kwargs):
            business = owned_business_or_404(slug)
            if has_feature(business, feature):
                return view(business, **kwargs)
            if missing == "404":
                abort(404)
            response = offer(business)
            if missing == "403":
                body = response[0] if isinstance(response, tuple) else response
                return body, 403
            return response
        return wrapper
    return decorator


def offers_area(business, feature: str | None) -> bool:
    """Whether a business's package includes an area that needs `feature` (None:
    every business has it). The navigation and the areas' own gates agree
    because both ask the package through has_feature."""
    from app.usage.services import has_feature

    return feature is None or has_feature(business, feature)


def upgrade_for(features: list[str]) -> PackageDefinition | None:
    """The smallest package that includes any of `features` (the next step up)."""
    return next((p for p in sorted(PACKAGES, key=lambda p: p.display_order) if any(p.has(f) for f in features)), None)
