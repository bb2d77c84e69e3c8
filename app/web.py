"""Helpers shared by every blueprint: htmx partials, ownership, template globals."""
from __future__ import annotations

import uuid

from flask import Flask, abort, make_response, render_template, request
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db


def parse_uuid(raw) -> uuid.UUID | None:
    """An id from a URL, form or metadata, or None when it is not a UUID
    (callers answer 404 or skip it rather than erroring)."""
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def render_partial_or_page(page_template: str, partial_template: str, **context):
    """The fragment alone for htmx, the full page otherwise; caches must tell them apart."""
    template = partial_template if is_htmx() and not request.headers.get("HX-Boosted") else page_template
    response = make_response(render_template(template, **context))
    response.headers["Vary"] = "HX-Request"
    return response


def owned_business_or_404(slug: str, permission: str | None = None):
    """The business with this slug if the current user may use this page on it.

    A non-member gets 404, so nobody learns that the business exists; a member
    whose role lacks the permission gets 403. The permission is the argument,
    else the one declared for the endpoint in app/teams/permissions.py, else
    MANAGE (owners and managers) -- an undeclared page is never open to staff."""
    from sqlalchemy import and_
    from sqlalchemy.orm import joinedload

    from app.models import Business, Membership
    from app.teams.access import remember_role
    from app.teams.permissions import permission_for_endpoint, role_allows

    if not current_user.is_authenticated:
        abort(404)
    # The business and the user's membership in one statement: every business page runs this.
    found = db.session.execute(
        select(Business, Membership.role)
        .options(joinedload(Business.integration))  # read by the navigation's package gates
        .outerjoin(Membership, and_(Membership.business_id == Business.id, Membership.user_id == current_user.id))
        .where(Business.slug == slug)
    ).first()
    business = found[0] if found else None
    role = remember_role(current_user, business, found[1]) if found else None
    if role is None:
        abort(404)
    if not role_allows(role, permission or permission_for_endpoint(request.endpoint)):
        abort(403)
    return business


# The owner's sub-navigation, in display order. An entry shows once its
# blueprint is registered, so areas can land one at a time. A third item names
# the catalog feature (app/packages/catalog.py) the area needs: without it in
# the business's package the entry is left out and the nav offers the upgrade.
BUSINESS_NAV = (
    ("dashboard.index", "Dashboard"),
    ("businesses.overview", "Overview"),
    ("calls.index", "Calls"),
    ("analytics.index", "Analytics", "call_analytics"),  # -- analytics (issue 18)
    ("contacts.index", "Contacts"),
    # -- leads and messaging (issue 15)
    ("leads.index", "Leads", "lead_management"),
    ("messaging.inbox", "Messages", "multi_channel"),
    ("appointments.calendar", "Calendar"),
    ("campaigns.index", "Campaigns", "campaigns"),
    ("chat.conversations", "Chats"),
    # -- messages taken and notifications (issue 13)
    ("taken_messages.inbox", "Messages taken"),
    ("notifications.centre", "Notifications"),
    ("assistant.index", "AI assistant"),
    ("chat.widget_settings", "Chat widget"),
    ("billing.index", "Billing"),
    ("packages.picker", "Packages"),
    ("businesses.edit", "Profile"),
    # -- integrations and help (issue 19)
    ("integrations.index", "Integrations", "custom_integrations"),
    ("support.index", "Help"),
    # -- accounts and teams (issue 12)
    ("team.index", "Team"),
    ("audit.index", "Audit log"),
)


def can(business, permission: str | None = None, endpoint: str | None = None) -> bool:
    """Whether the current user's role allows a permission (or the page at an
    endpoint) on the business; templates use it to hide what would answer 403."""
    from app.teams.access import role_for
    from app.teams.permissions import permission_for_endpoint, role_allows

    if business is None:
        return False
    return role_allows(role_for(current_user, business), permission or permission_for_endpoint(endpoint))


def business_home_url(business) -> str:
    """The first page of the business the current user may open (staff have no overview)."""
    from flask import current_app, url_for

    candidates = ["businesses.overview"] + [entry[0] for entry in BUSINESS_NAV]
    for endpoint in candidates:
        if endpoint in current_app.view_functions and can(business, endpoint=endpoint):
            return url_for(endpoint, slug=business.slug)
    return url_for("businesses.mine")


def nav_feature(entry) -> str | None:
    return entry[2] if len(entry) > 2 else None


def business_nav_for(business) -> dict:
    """The nav of one business for the current user: `links` (endpoint, label) it
    may open, and `upgrade` — the smallest package bringing areas the current one
    lacks (`package`) and the labels of those areas (`labels`) — or None."""
    from flask import current_app

    from app.packages.offers import offers_area, upgrade_for

    links, missing = [], []
    for entry in BUSINESS_NAV:
        endpoint, label, feature = entry[0], entry[1], nav_feature(entry)
        if endpoint not in current_app.view_functions or not can(business, endpoint=endpoint):
            continue
        if offers_area(business, feature):
            links.append((endpoint, label))
        else:
            missing.append((label, feature))
    upgrade = None
    package = upgrade_for([feature for _, feature in missing]) if missing else None
    if package is not None and "packages.picker" in current_app.view_functions \
            and can(business, endpoint="packages.picker"):
        upgrade = {"package": package, "labels": [label for label, feature in missing if package.has(feature)]}
    return {"links": links, "upgrade": upgrade}


def register_template_helpers(app: Flask) -> None:
    from app.models import WEEKDAYS

    @app.context_processor
    def inject_globals():
        from app.teams.access import businesses_for

        owned = []
        # Jobs render emails with no request, where current_user is None.
        if current_user and current_user.is_authenticated:
            owned = businesses_for(current_user)
        # Every registered area (whatever the package): templates ask it whether an area exists.
        links = [(entry[0], entry[1]) for entry in BUSINESS_NAV if entry[0] in app.view_functions]
        return {"owned_businesses": owned, "weekdays": WEEKDAYS, "business_nav_links": links,
                "business_nav_endpoints": app.view_functions, "can": can, "business_home": business_home_url,
                "business_nav_for": business_nav_for}
