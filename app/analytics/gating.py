"""Which analytics page each package opens, and the upgrade offer shown instead.

The catalog (`app/packages/catalog.py`) is the only place that says which
package has which feature; nothing here names a package.
"""
from __future__ import annotations

from flask import render_template, request

from app.packages.offers import feature_label, smallest_package_with
from app.usage.services import has_feature, package_of

# What each gated page delivers, shown to owners whose package lacks it.
PROMISES = {
    "call_analytics": (
        "Calls over time by direction and status, answer rate, talk time",
        "A heatmap of when customers call, by hour of the week in your time zone",
        "Outcomes over time and conversion from calls to appointments and leads, per assistant",
        "Every figure compared with the previous period",
    ),
    "call_reporting": (
        "The top reasons customers call, each linked to its calls",
        "Questions your assistant could not answer, added to your FAQ in one click",
        "A weekly email report on Monday morning, and CSV export of every table",
    ),
    "customer_insights": (
        "An AI profile on each contact: what they come for, preferences, sentiment trend, visits and value",
        "A next best action per customer",
        "Customers at risk and a list of who to call",
    ),
    "enterprise_reporting": (
        "Reports per assistant and per campaign side by side",
        "Custom saved reports with scheduled delivery to several recipients",
        "Read-only share links that expire",
    ),
}


def allowed(business, feature: str) -> bool:
    return has_feature(business, feature)


def upsell_response(business, feature: str, active: str):
    """The page a lower package sees: what it would get and the package that has it.
    200 on GET (the page exists for them); 403 on a POST it may not make."""
    html = render_template("analytics/upsell.html", business=business, feature=feature,
                           feature_label=feature_label(feature), promises=PROMISES[feature],
                           offer=smallest_package_with(feature), current=package_of(business), active=active)
    return html, (200 if request.method == "GET" else 403)
