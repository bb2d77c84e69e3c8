"""The business navigation follows the package: an area whose catalog feature
the package lacks is left out, one link offers the next package instead, and
the area's URLs still answer with their upgrade page."""
from __future__ import annotations

import re

import pytest

from app.packages.catalog import PACKAGES
from app.navigation import BUSINESS_NAV, nav_feature
from tests.campaigns.test_campaigns_pages import wire

GATED = {"analytics.index": "/analytics", "leads.index": "/leads", "messaging.inbox": "/messages",
         "campaigns.index": "/campaigns", "integrations.index": "/integrations"}


def nav_of(html: str) -> list[str]:
    nav = re.search(r'zone-label.*?<nav class="nav">(.*?)</nav>', html, re.S).group(1)  # the business's own nav
    # A label without its count badge (Messages shows the unread count).
    return [re.sub(r"<span class=\"nav-count.*?</span>|<[^>]+>|\s+", " ", label).strip()
            for label in re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)]


def test_every_gated_area_names_a_catalog_feature():
    features = {nav_feature(entry) for entry in BUSINESS_NAV} - {None}
    assert {entry[0] for entry in BUSINESS_NAV if nav_feature(entry)} == set(GATED)
    assert features <= {f for p in PACKAGES for f in p.features}


@pytest.mark.parametrize("package, shown, hidden, offer", [
    ("ai_receptionist", [], ["Analytics", "Leads", "Messages", "Campaigns", "Integrations"],
     "Upgrade: Analytics, Leads, Campaigns"),
    ("ai_sales", ["Analytics", "Leads", "Campaigns"], ["Messages", "Integrations"], "Upgrade: Messages"),
    ("ai_business_suite", ["Analytics", "Leads", "Messages", "Campaigns"], ["Integrations"], "Upgrade: Integrations"),
    ("ai_enterprise", ["Analytics", "Leads", "Messages", "Campaigns", "Integrations"], [], None),
])
def test_nav_shows_what_the_package_includes(client, factories, logged_in_owner, package, shown, hidden, offer):
    business = factories.business(owner=logged_in_owner)
    wire(business, package=package)
    html = client.get(f"/businesses/{business.slug}/dashboard").get_data(as_text=True)
    labels = nav_of(html)
    for label in shown:
        assert label in labels
    for label in hidden:
        assert label not in labels
    upgrade = [label for label in labels if label.startswith("Upgrade")]
    assert upgrade == ([offer] if offer else [])
    # Every hidden area still answers with its upgrade page, never an error.
    for endpoint, path in GATED.items():
        response = client.get(f"/businesses/{business.slug}{path}")
        assert response.status_code == 200, (endpoint, response.status_code)


def test_receptionist_dashboard_offers_campaigns_beside_outbound_minutes(client, factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner)
    wire(business, package="ai_receptionist")
    html = client.get(f"/businesses/{business.slug}/dashboard").get_data(as_text=True)
    meter = re.search(r'data-meter="outbound_minutes"(.*?)(data-meter=|</section>)', html, re.S).group(1)
    assert "Not in your package" in meter and "0 of" not in meter
    assert 'id="outbound-offer"' in meter and "AI Sales Assistant" in meter and "500 outbound minutes" in meter

    sales = factories.business(owner=logged_in_owner, name="Sales Shop")
    wire(sales, package="ai_sales")
    sales_html = client.get(f"/businesses/{sales.slug}/dashboard").get_data(as_text=True)
    assert 'id="outbound-offer"' not in sales_html and "0 of 500" in sales_html


def test_business_without_a_package_sees_only_ungated_areas(client, factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner)
    html = client.get(f"/businesses/{business.slug}/dashboard").get_data(as_text=True)
    labels = nav_of(html)
    assert not {"Analytics", "Leads", "Messages", "Campaigns", "Integrations"} & set(labels)
    assert "Upgrade: Analytics, Leads, Campaigns" in labels
    page = client.get(f"/businesses/{business.slug}/campaigns")
    assert page.status_code == 200 and "Compare packages and upgrade" in page.get_data(as_text=True)
    assert client.post(f"/businesses/{business.slug}/campaigns/new", data={}).status_code == 403


def test_the_kept_nav_follows_every_change_it_shows(client, factories, logged_in_owner):
    """The nav is rendered once and kept per business, role, package, page and
    unread count (navigation.business_nav_html): each change below must show on
    the very next page, never a nav kept from before it."""
    from app.extensions import db
    from app.models import ContactMessage, Membership

    business = factories.business(owner=logged_in_owner, name="Kept Nav Salon", timezone="America/Los_Angeles")
    wire(business, package="ai_receptionist")
    url = f"/businesses/{business.slug}/dashboard"

    def nav_html(page=url):
        html = client.get(page).get_data(as_text=True)
        return html, nav_of(html)

    def business_bar(html):  # the business header and its nav: no tokens (CSRF, live poll) stamped by the second
        return html[html.index('<div class="topbar" style="position:static'):html.index("<main")]

    html, labels = nav_html()
    assert "Kept Nav Salon" in html and "America/Los_Angeles" in html and "Messages" not in labels
    again, labels_again = nav_html()
    assert (business_bar(again), labels_again) == (business_bar(html), labels)  # the same inputs: the same nav

    business.name = "Renamed Salon"
    business.timezone = "Europe/Berlin"
    db.session.commit()
    html, labels = nav_html()
    assert "Renamed Salon" in html and "Kept Nav Salon" not in html and "Times in Europe/Berlin" in html

    business.integration.service_package = "ai_business_suite"
    db.session.commit()
    html, labels = nav_html()
    assert "Messages" in labels and "Upgrade: Integrations" in labels
    assert re.search(r'id="unread-count" aria-label="0 unread" hidden>0<', html)

    db.session.add(ContactMessage(business_id=business.id, direction="inbound", channel="sms",
                                  to_address="+15551230000", body="Are you open?", status="received"))
    db.session.commit()
    html, labels = nav_html()
    assert re.search(r'id="unread-count" aria-label="1 unread">1<', html)
    # The page's own entry is marked on each page, from the same kept nav.
    calls = client.get(f"/businesses/{business.slug}/calls").get_data(as_text=True)
    assert re.search(r'href="/businesses/[^"]+/calls" class="active"', calls)
    assert not re.search(r'href="/businesses/[^"]+/dashboard" class="active"', calls)

    # A membership row makes the claiming account staff: the owner-only areas go.
    assert "Billing" in labels and "Team" in labels
    db.session.add(Membership(business_id=business.id, user_id=logged_in_owner.id, role="staff"))
    db.session.commit()
    _html, labels = nav_html(f"/businesses/{business.slug}/calls")
    assert "Billing" not in labels and "Team" not in labels and "Calls" in labels
