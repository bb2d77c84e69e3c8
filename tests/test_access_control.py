"""Every business-scoped URL answers 404 to anyone but the owner.

Areas register their URLs in BUSINESS_SCOPED_URLS so this walk covers them all.
"""
import pytest

# (method, path template with {slug})
BUSINESS_SCOPED_URLS = [
    ("GET", "/businesses/{slug}"),
    ("GET", "/businesses/{slug}/edit"),
    ("POST", "/businesses/{slug}/edit"),
    ("GET", "/businesses/{slug}/packages"),
    # AI assistant (coordinator URLs: tests/provisioning/test_assistant_pages.py)
    ("GET", "/businesses/{slug}/assistant"),
    ("GET", "/businesses/{slug}/assistant/status"),
    ("POST", "/businesses/{slug}/assistant/retry"),
    # billing
    ("GET", "/businesses/{slug}/billing"),
    ("GET", "/businesses/{slug}/billing/invoices"),
    ("POST", "/businesses/{slug}/billing/checkout"),
    ("GET", "/businesses/{slug}/billing/success"),
    ("GET", "/businesses/{slug}/billing/cancelled"),
    ("GET", "/businesses/{slug}/billing/change"),
    ("POST", "/businesses/{slug}/billing/change"),
    ("GET", "/businesses/{slug}/billing/cancel"),
    ("POST", "/businesses/{slug}/billing/cancel"),
    ("POST", "/businesses/{slug}/billing/resume"),
    ("POST", "/businesses/{slug}/billing/portal"),
    # contacts (URLs with a contact or import id: tests/test_contacts.py)
    ("GET", "/businesses/{slug}/contacts"),
    ("GET", "/businesses/{slug}/contacts/new"),
    ("POST", "/businesses/{slug}/contacts/new"),
    ("POST", "/businesses/{slug}/contacts/bulk-tag"),
    ("GET", "/businesses/{slug}/contacts/fields"),
    ("POST", "/businesses/{slug}/contacts/fields"),
    ("GET", "/businesses/{slug}/contacts/import"),
    ("POST", "/businesses/{slug}/contacts/import"),
    ("GET", "/businesses/{slug}/contacts/export.csv"),
    # appointments (URLs with an appointment id: tests/test_appointments.py)
    ("GET", "/businesses/{slug}/appointments"),
    ("GET", "/businesses/{slug}/appointments/new"),
    ("POST", "/businesses/{slug}/appointments/new"),
    ("GET", "/businesses/{slug}/appointments/slots"),
    ("GET", "/businesses/{slug}/appointments/settings"),
    ("POST", "/businesses/{slug}/appointments/settings"),
    # chat (transcript URLs with a conversation id: tests/test_chat_owner.py)
    ("GET", "/businesses/{slug}/chat/widget"),
    ("POST", "/businesses/{slug}/chat/widget"),
    ("POST", "/businesses/{slug}/chat/widget/preview"),
    ("GET", "/businesses/{slug}/chats"),
    # dashboard and call log (URLs with a call or notice id: tests/test_calls.py, tests/test_dashboard.py)
    ("GET", "/businesses/{slug}/dashboard"),
    ("GET", "/businesses/{slug}/dashboard/live"),
    ("GET", "/businesses/{slug}/dashboard/sync"),
    ("POST", "/businesses/{slug}/dashboard/sync"),
    ("GET", "/businesses/{slug}/calls"),
    ("GET", "/businesses/{slug}/calls/export.csv"),
    # operator console, owner side (issue 16): rollout waitlist and the monthly satisfaction rating
    ("POST", "/businesses/{slug}/waitlist"),
    ("POST", "/businesses/{slug}/satisfaction"),
    # -- receptionist setup, messages taken, notifications (issue 13; URLs with an id:
    # tests/test_receptionist_pages.py walks them as another owner)
    ("GET", "/businesses/{slug}/assistant/call-handling"),
    ("POST", "/businesses/{slug}/assistant/call-handling"),
    ("GET", "/businesses/{slug}/assistant/call-handling/status"),
    ("POST", "/businesses/{slug}/assistant/test-call"),
    ("GET", "/businesses/{slug}/messages-taken"),
    ("GET", "/businesses/{slug}/notifications"),
    ("GET", "/businesses/{slug}/notifications/count"),
    ("GET", "/businesses/{slug}/notifications/settings"),
    ("POST", "/businesses/{slug}/notifications/settings"),
    ("POST", "/businesses/{slug}/notifications/read-all"),
    # -- leads and messaging (issue 15; URLs with a lead, contact or template id: tests/test_leads.py,
    #    tests/test_messaging.py)
    ("GET", "/businesses/{slug}/leads"),
    ("GET", "/businesses/{slug}/leads/board"),
    ("GET", "/businesses/{slug}/leads/export.csv"),
    ("GET", "/businesses/{slug}/leads/new"),
    ("POST", "/businesses/{slug}/leads/new"),
    ("GET", "/businesses/{slug}/messages"),
    ("GET", "/businesses/{slug}/messages/templates"),
    ("POST", "/businesses/{slug}/messages/templates"),
    ("GET", "/businesses/{slug}/messages/text-back"),
    ("POST", "/businesses/{slug}/messages/text-back"),
    # -- analytics (issue 18; URLs with a report, link or contact id: tests/test_analytics_enterprise.py)
    ("GET", "/businesses/{slug}/analytics"),
    ("GET", "/businesses/{slug}/analytics/export/daily.csv"),
    ("GET", "/businesses/{slug}/analytics/reports"),
    ("GET", "/businesses/{slug}/analytics/topics"),
    ("POST", "/businesses/{slug}/analytics/questions/faq"),
    ("GET", "/businesses/{slug}/analytics/weekly-report/preview"),
    ("POST", "/businesses/{slug}/analytics/weekly-report/settings"),
    ("GET", "/businesses/{slug}/analytics/insights"),
    ("POST", "/businesses/{slug}/analytics/insights/sync"),
    ("GET", "/businesses/{slug}/analytics/insights/status"),
    ("GET", "/businesses/{slug}/analytics/enterprise"),
    ("POST", "/businesses/{slug}/analytics/enterprise/reports"),
    # -- integrations and help (issue 19; URLs with an endpoint, token or request id:
    # tests/test_integrations_access.py)
    ("GET", "/businesses/{slug}/integrations"),
    ("GET", "/businesses/{slug}/integrations/webhooks/new"),
    ("POST", "/businesses/{slug}/integrations/webhooks/new"),
    ("POST", "/businesses/{slug}/integrations/tokens"),
    ("GET", "/businesses/{slug}/help"),
    ("GET", "/businesses/{slug}/help/requests/new"),
    ("POST", "/businesses/{slug}/help/requests/new"),
    # -- campaigns and the do-not-contact list (issue 14; URLs with a campaign or entry id: tests/test_campaigns_pages.py)
    ("GET", "/businesses/{slug}/campaigns"),
    ("GET", "/businesses/{slug}/campaigns/new"),
    ("POST", "/businesses/{slug}/campaigns/new"),
    ("POST", "/businesses/{slug}/campaigns/preview"),
    ("GET", "/businesses/{slug}/do-not-contact"),
    ("POST", "/businesses/{slug}/do-not-contact"),
    ("POST", "/businesses/{slug}/do-not-contact/import"),
]


def all_business_scoped_urls(app):
    """Every registered rule with a <slug> under /businesses/, so a new page
    cannot be forgotten here."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/businesses/<slug>"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                path = rule.rule.replace("<slug>", "{slug}")
                urls.add((method, path))
    return sorted(urls)


def test_every_scoped_rule_is_listed(app):
    unlisted = [u for u in all_business_scoped_urls(app) if "<" not in u[1] and u not in BUSINESS_SCOPED_URLS]
    assert unlisted == [], f"add these to BUSINESS_SCOPED_URLS: {unlisted}"


@pytest.mark.parametrize("method, template", BUSINESS_SCOPED_URLS)
def test_other_owner_gets_404(client, auth, factories, method, template):
    owner = factories.user()
    business = factories.business(owner=owner, name="Private Business")
    intruder = factories.user()
    auth.login(intruder.email)
    response = client.open(template.format(slug=business.slug), method=method)
    assert response.status_code == 404


@pytest.mark.parametrize("method, template", BUSINESS_SCOPED_URLS)
def test_owner_is_not_404(client, auth, factories, method, template):
    owner = factories.user()
    business = factories.business(owner=owner, name="Own Business")
    auth.login(owner.email)
    response = client.open(template.format(slug=business.slug), method=method)
    assert response.status_code != 404


# -- operator console (issue 16): every /admin URL answers 404 to anyone who is not an admin.
_ANY_ID = "00000000-0000-0000-0000-000000000000"


def all_admin_urls(app):
    urls = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin"):
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<uuid:{argument}>", _ANY_ID)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                urls.add((method, path))
    return sorted(urls)


def test_every_console_url_is_404_to_owners_and_visitors(app, client, auth, factories):
    urls = all_admin_urls(app)
    assert len(urls) >= 20  # the walk sees the whole console
    owner = factories.user()
    business = factories.business(owner=owner)
    for method, path in urls:
        assert client.open(path, method=method).status_code == 404, (method, path, "anonymous")
    auth.login(owner.email)
    for method, path in urls:
        real = path.replace(_ANY_ID, str(business.id))
        assert client.open(real, method=method).status_code == 404, (method, path, "owner")
