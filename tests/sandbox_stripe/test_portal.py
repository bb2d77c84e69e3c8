"""Customer portal: the page, switching plans, cancel and resume."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request

from .helpers import subscribe


def _post(url: str, fields: dict) -> str:
    """Submits a portal form; follows the 303 back to the portal page like a browser."""
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method="POST")) as response:
        return response.read().decode()


def test_portal_switch_plan_and_cancel_at_period_end(api, sandbox, receiver, catalog):
    customer, sub = subscribe(api, sandbox, catalog["starter"])
    session = api.billing_portal.Session.create(customer=customer.id, return_url="https://app.test/account")
    assert session.id.startswith("bps_") and session.object == "billing_portal.session"
    assert session.customer == customer.id and session.return_url == "https://app.test/account"

    page = urllib.request.urlopen(session.url).read().decode()
    for text in ("AlphaSite AI Services", "Starter Assistant", "Growth Assistant", "$99.00 / month",
                 "Current plan", "Cancel subscription", "https://app.test/account"):
        assert text in page
    assert catalog["growth"].id in page

    switch_action = re.search(r'action="([^"]+/switch)"', page).group(1)
    page = _post(sandbox.url + switch_action, {"price": catalog["growth"].id})
    assert "Your plan has been updated." in page
    switched = api.Subscription.retrieve(sub.id)
    assert switched["items"].data[0].price.id == catalog["growth"].id
    assert switched.status == "active"

    toggle_action = re.search(r'action="([^"]+/toggle-cancel)"', page).group(1)
    page = _post(sandbox.url + toggle_action, {})
    assert "Renew subscription" in page
    assert api.Subscription.retrieve(sub.id).cancel_at_period_end is True
    _post(sandbox.url + toggle_action, {})
    assert api.Subscription.retrieve(sub.id).cancel_at_period_end is False

    received = receiver.wait_for(sandbox.webhook_secret, lambda events: sum(
        1 for e in events if e.type == "customer.subscription.updated" and e.data.object.id == sub.id
        and "cancel_at_period_end" in e.data.previous_attributes) >= 2)
    updates = [e for e in received if e.type == "customer.subscription.updated" and e.data.object.id == sub.id]
    price_change = [e for e in updates if "items" in e.data.previous_attributes]
    assert price_change and price_change[0].data.object["items"].data[0].price.id == catalog["growth"].id
    assert price_change[0].request.id is None
    assert [e.data.object.cancel_at_period_end for e in updates
            if "cancel_at_period_end" in e.data.previous_attributes] == [True, False]
