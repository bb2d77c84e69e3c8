"""The owner's navigation: which areas a business's pages link to (by role and
by package), where "home" is for the current user, and the template globals
that carry them. Areas add an entry to BUSINESS_NAV; package gating comes from
the catalog feature named in the entry."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user
from markupsafe import Markup

from app.web import can


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
    from app.teams.access import role_for
    from app.teams.permissions import permission_for_endpoint, role_allows

    # The role once, then `role_allows` per entry: `can` per entry would go
    # through the request's role cache 21 times on every page, which showed in
    # bench/profile_view.py.
    role = role_for(current_user, business)
    links, missing = [], []
    for entry in BUSINESS_NAV:
        endpoint, label, feature = entry[0], entry[1], nav_feature(entry)
        if endpoint not in current_app.view_functions or not role_allows(role, permission_for_endpoint(endpoint)):
            continue
        if offers_area(business, feature):
            links.append((endpoint, label))
        else:
            missing.append((label, feature))
    upgrade = None
    package = upgrade_for([feature for _, feature in missing]) if missing else None
    if package is not None and "packages.picker" in current_app.view_functions \
            and role_allows(role, permission_for_endpoint("packages.picker")):
        upgrade = {"package": package, "labels": [label for label, feature in missing if package.has(feature)]}
    return {"links": links, "upgrade": upgrade}


# Rendered navs kept per process. A nav is a function of the key
# `business_nav_html` builds, so an entry is never stale: a renamed business,
# another role, package or unread count is another key. Cleared when full
# (a few KB an entry) rather than evicted one by one.
_NAV_CACHE_ENTRIES = 2048


def business_nav_html(business, active: str | None) -> Markup:
    """The business header and sub-navigation of one page (macros/business_nav.html).

    Rendering it took about a tenth of a business page's CPU (bench/profile_view.py),
    and it is the same on every page of a business for a role and package. So it
    is rendered once per key: where the app is mounted, the business's slug, name
    and zone label (which names the zone's abbreviation now in force), the role,
    the package, the page's entry and the unread count beside "Messages"."""
    from flask import current_app, request

    from app.teams.access import role_for
    from app.timezones import zone_label
    from app.usage.services import package_of

    app = current_app._get_current_object()
    nav_badge = app.jinja_env.globals.get("nav_badge")
    badge = nav_badge(business, "messaging.inbox") if nav_badge is not None else None
    package = package_of(business)
    zone = zone_label(business)
    key = (request.script_root, business.slug, business.name, zone,
           role_for(current_user, business), package.slug if package else None, active, badge)
    cache = app.extensions.setdefault("business_nav_html", {})
    html = cache.get(key)
    if html is None:
        render = app.jinja_env.get_template("macros/business_nav.html").module.render_business_nav
        html = Markup(render(business, active, business_nav_for(business), badge, zone))
        if len(cache) >= _NAV_CACHE_ENTRIES:
            cache.clear()
        cache[key] = html
    return html


def register_template_helpers(app: Flask) -> None:
    """Globals every page template reads: the user's businesses (id, slug, name rows), the nav, `can`."""
    from app.models import WEEKDAYS

    @app.context_processor
    def inject_globals():
        from app.teams.access import business_choices_for

        owned = []
        # Jobs render emails with no request, where current_user is None.
        if current_user and current_user.is_authenticated:
            owned = business_choices_for(current_user)
        # Every registered area (whatever the package): templates ask it whether an area exists.
        links = [(entry[0], entry[1]) for entry in BUSINESS_NAV if entry[0] in app.view_functions]
        return {"owned_businesses": owned, "owned_business_ids": {row.id for row in owned}, "weekdays": WEEKDAYS,
                "business_nav_links": links, "business_nav_endpoints": app.view_functions, "can": can,
                "business_home": business_home_url, "business_nav_for": business_nav_for,
                "business_nav_html": business_nav_html}
