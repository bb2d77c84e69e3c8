"""Advanced CRM (catalog feature "advanced_crm"): the gate every advanced contacts
page passes, and the upgrade offer a lower package sees in its place.

Data made while the package had the feature (custom field values, saved
segments, import templates) is kept after a downgrade and stays readable;
only changing it needs the feature.
"""
from __future__ import annotations

from functools import wraps

from flask import render_template, request
from flask_login import login_required

from app.packages.offers import feature_label, smallest_package_with
from app.usage.services import has_feature, package_of
from app.web import owned_business_or_404

FEATURE = "advanced_crm"

# What the upgrade offer promises; each line is a page of this area.
PROMISES = (
    ("Custom fields", "your own typed fields on every contact (birthday, preferred stylist, plan…), "
                      "imported from CSV and sent to your AI assistant"),
    ("Saved segments", "AND/OR groups over tags, custom fields, dates, lead status and appointment history, "
                       "used by campaigns and CSV exports"),
    ("Duplicate detection and merge", "same phone, same email or a similar name, merged with a preview of what is "
                                      "kept; calls, appointments and leads move to the kept contact"),
    ("Bulk edit", "set a field or a tag on the contacts you select or on a whole segment"),
    ("Import templates", "column mappings remembered for your next CSV import"),
)

READ_ONLY = ("Your {package} package does not include {feature}: your custom fields are kept and shown, "
             "but changing them needs {offer}.")


def enabled(business) -> bool:
    return has_feature(business, FEATURE)


def read_only_message(business) -> str:
    package, offer = package_of(business), smallest_package_with(FEATURE)
    return READ_ONLY.format(package=package.name if package else "current", feature=feature_label(FEATURE),
                            offer=offer.name if offer else "an upgrade")


def upsell(business, title: str, status: int | None = None):
    """The page shown instead of an advanced page: 200 on GET, 403 on anything that changes data."""
    html = render_template("contacts/upsell.html", business=business, title=title, feature=feature_label(FEATURE),
                           promises=PROMISES, offer=smallest_package_with(FEATURE), current=package_of(business))
    return html, status or (200 if request.method == "GET" else 403)


def gated(title: str):
    """Route decorator: the view gets the owner's business when the package includes
    advanced CRM; the upgrade offer otherwise. Ownership and role are checked first."""
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(slug, **kwargs):
            business = owned_business_or_404(slug)
            if not enabled(business):
                return upsell(business, title)
            return view(business, **kwargs)

        return wrapper

    return decorate
