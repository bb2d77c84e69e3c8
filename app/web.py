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


def owned_business_or_404(slug: str):
    """The business with this slug if the current user owns it; 404 otherwise,
    so other owners cannot even learn that it exists."""
    from app.models import Business

    if not current_user.is_authenticated:
        abort(404)
    business = db.session.scalar(select(Business).where(Business.slug == slug))
    if business is None or business.owner_id != current_user.id:
        abort(404)
    return business


# The owner's sub-navigation, in display order. An entry shows once its
# blueprint is registered, so areas can land one at a time.
BUSINESS_NAV = (
    ("dashboard.index", "Dashboard"),
    ("businesses.overview", "Overview"),
    ("calls.index", "Calls"),
    ("analytics.index", "Analytics"),  # -- analytics (issue 18)
    ("contacts.index", "Contacts"),
    # -- leads and messaging (issue 15)
    ("leads.index", "Leads"),
    ("messaging.inbox", "Messages"),
    ("appointments.calendar", "Calendar"),
    ("campaigns.index", "Campaigns"),
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
    ("integrations.index", "Integrations"),
    ("support.index", "Help"),
)


def register_template_helpers(app: Flask) -> None:
    from app.models import WEEKDAYS

    @app.context_processor
    def inject_globals():
        owned = []
        # Jobs render emails with no request, where current_user is None.
        if current_user and current_user.is_authenticated:
            owned = list(current_user.businesses)
        links = [(endpoint, label) for endpoint, label in BUSINESS_NAV if endpoint in app.view_functions]
        return {"owned_businesses": owned, "weekdays": WEEKDAYS, "business_nav_links": links,
                "business_nav_endpoints": app.view_functions}

    @app.template_filter("money")
    def money(value) -> str:
        return f"${value:,.2f}"
