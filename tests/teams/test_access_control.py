"""Every business-scoped URL answers 404 to anyone but the business's members,
and 403 to a member whose role may not use it.

Areas register their URLs in BUSINESS_SCOPED_URLS so this walk covers them all,
and declare each endpoint's permission in EXPECTED_PERMISSIONS (the role walk
derives the URLs from app.url_map and fails on an undeclared endpoint).
"""
import re
import uuid

import pytest

# (method, path template with {slug})
BUSINESS_SCOPED_URLS = [
    ("GET", "/businesses/{slug}"),
    ("GET", "/businesses/{slug}/edit"),
    ("POST", "/businesses/{slug}/edit"),
    ("GET", "/businesses/{slug}/packages"),
    # AI assistant (coordinator URLs: tests/assistant/test_assistant_pages.py)
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
    # contacts (URLs with a contact or import id: tests/contacts/test_contacts.py)
    ("GET", "/businesses/{slug}/contacts"),
    ("GET", "/businesses/{slug}/contacts/new"),
    ("POST", "/businesses/{slug}/contacts/new"),
    ("POST", "/businesses/{slug}/contacts/bulk-tag"),
    ("GET", "/businesses/{slug}/contacts/fields"),
    ("POST", "/businesses/{slug}/contacts/fields"),
    ("GET", "/businesses/{slug}/contacts/import"),
    ("POST", "/businesses/{slug}/contacts/import"),
    ("GET", "/businesses/{slug}/contacts/export.csv"),
    # advanced CRM (issue 19; URLs with an id: tests/contacts/test_crm_merge_and_bulk.py)
    ("GET", "/businesses/{slug}/contacts/segments"),
    ("GET", "/businesses/{slug}/contacts/segments/new"),
    ("POST", "/businesses/{slug}/contacts/segments/new"),
    ("GET", "/businesses/{slug}/contacts/duplicates"),
    ("GET", "/businesses/{slug}/contacts/merge"),
    ("POST", "/businesses/{slug}/contacts/merge"),
    ("GET", "/businesses/{slug}/contacts/bulk-edit"),
    ("POST", "/businesses/{slug}/contacts/bulk-edit"),
    ("GET", "/businesses/{slug}/contacts/import-templates"),
    # appointments (URLs with an appointment id: tests/appointments/test_appointments.py)
    ("GET", "/businesses/{slug}/appointments"),
    ("GET", "/businesses/{slug}/appointments/new"),
    ("POST", "/businesses/{slug}/appointments/new"),
    ("GET", "/businesses/{slug}/appointments/slots"),
    ("GET", "/businesses/{slug}/appointments/settings"),
    ("POST", "/businesses/{slug}/appointments/settings"),
    # chat (transcript URLs with a conversation id: tests/chat/test_chat_owner.py)
    ("GET", "/businesses/{slug}/chat/widget"),
    ("POST", "/businesses/{slug}/chat/widget"),
    ("POST", "/businesses/{slug}/chat/widget/preview"),
    ("GET", "/businesses/{slug}/chats"),
    # dashboard and call log (URLs with a call or notice id: tests/calls/test_calls.py, tests/dashboard/test_dashboard.py)
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
    # -- leads and messaging (issue 15; URLs with a lead, contact or template id: tests/leads/test_leads.py,
    #    tests/messaging/test_messaging.py)
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
    # tests/integrations/test_integrations_access.py)
    ("GET", "/businesses/{slug}/integrations"),
    ("GET", "/businesses/{slug}/integrations/webhooks/new"),
    ("POST", "/businesses/{slug}/integrations/webhooks/new"),
    ("POST", "/businesses/{slug}/integrations/tokens"),
    ("GET", "/businesses/{slug}/help"),
    ("GET", "/businesses/{slug}/help/requests/new"),
    ("POST", "/businesses/{slug}/help/requests/new"),
    # -- knowledge base (issue 19; URLs with a source id: tests/knowledge/test_knowledge_pages.py)
    ("GET", "/businesses/{slug}/assistant/knowledge"),
    ("GET", "/businesses/{slug}/assistant/knowledge/sources"),
    ("POST", "/businesses/{slug}/assistant/knowledge/documents"),
    ("POST", "/businesses/{slug}/assistant/knowledge/pages"),
    ("POST", "/businesses/{slug}/assistant/knowledge/qa"),
    ("POST", "/businesses/{slug}/assistant/knowledge/test"),
    # -- campaigns and the do-not-contact list (issue 14; URLs with a campaign or entry id: tests/campaigns/test_campaigns_pages.py)
    ("GET", "/businesses/{slug}/campaigns"),
    ("GET", "/businesses/{slug}/campaigns/new"),
    ("POST", "/businesses/{slug}/campaigns/new"),
    ("POST", "/businesses/{slug}/campaigns/preview"),
    ("GET", "/businesses/{slug}/do-not-contact"),
    ("POST", "/businesses/{slug}/do-not-contact"),
    ("POST", "/businesses/{slug}/do-not-contact/import"),
    # -- team, audit log, refused widget embeds (issue 12; URLs with ids are walked by role below)
    ("GET", "/businesses/{slug}/team"),
    ("POST", "/businesses/{slug}/team/invite"),
    ("GET", "/businesses/{slug}/audit"),
    # advanced scheduling (issue 19; URLs with a staff or closure id: tests/appointments/test_scheduling_pages.py)
    ("GET", "/businesses/{slug}/appointments/staff"),
    ("POST", "/businesses/{slug}/appointments/staff"),
    ("POST", "/businesses/{slug}/appointments/closures"),
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
# -- roles (issue 12) ---------------------------------------------------------
# What each role may do, as the issue states it; independent of the app's own tables.
MANAGE, BILLING, TEAM, EXPORTS = "manage", "billing", "team", "exports"
STAFF_AREAS = {"calls", "contacts", "calendar", "leads", "conversations"}
ROLE_GRANTS = {
    "owner": STAFF_AREAS | {MANAGE, BILLING, TEAM, EXPORTS},
    "manager": STAFF_AREAS | {MANAGE, EXPORTS},
    "staff": STAFF_AREAS,
}

# Every business-scoped endpoint and the permission it needs. A new endpoint
# must be added here (the test below fails until it is): "manage" unless staff
# should reach it.
EXPECTED_PERMISSIONS = {
    "businesses.overview": MANAGE,
    "businesses.edit": MANAGE,
    "packages.picker": BILLING,
    "assistant.index": MANAGE,
    "assistant.status": MANAGE,
    "assistant.retry": MANAGE,
    "assistant.coordinator": MANAGE,
    "assistant.save_coordinator": MANAGE,
    "assistant.edit_coordinator": MANAGE,
    "billing.index": BILLING,
    "billing.invoices": BILLING,
    "billing.checkout": BILLING,
    "billing.success": BILLING,
    "billing.checkout_cancelled": BILLING,
    "billing.change": BILLING,
    "billing.cancel": BILLING,
    "billing.resume": BILLING,
    "billing.portal": BILLING,
    "contacts.index": "contacts",
    "contacts.new": "contacts",
    "contacts.detail": "contacts",
    "contacts.field": "contacts",
    "contacts.tags": "contacts",
    "contacts.delete": "contacts",
    "contacts.bulk_tag": "contacts",
    "contacts.fields": MANAGE,
    "contacts.delete_field": MANAGE,
    "contacts.import_upload": MANAGE,
    "contacts.import_review": MANAGE,
    "contacts.import_progress": MANAGE,
    "contacts.export": EXPORTS,
    "contacts.segments": "contacts",
    "contacts.segment_edit": "contacts",
    "contacts.segment_delete": "contacts",
    "contacts.duplicates": "contacts",
    "contacts.merge_contacts": "contacts",
    "contacts.bulk_edit": "contacts",
    "contacts.import_templates": MANAGE,
    "contacts.import_template_delete": MANAGE,
    "appointments.calendar": "calendar",
    "appointments.new": "calendar",
    "appointments.slots": "calendar",
    "appointments.detail": "calendar",
    "appointments.reschedule": "calendar",
    "appointments.cancel": "calendar",
    "appointments.retry": "calendar",
    "appointments.settings": MANAGE,
    "chat.widget_settings": MANAGE,
    "chat.widget_preview": MANAGE,
    "chat.conversations": "conversations",
    "chat.transcript": "conversations",
    "embed_refusals.allow": MANAGE,
    "embed_refusals.dismiss": MANAGE,
    "dashboard.index": MANAGE,
    "dashboard.live": MANAGE,
    "dashboard.sync_status": MANAGE,
    "dashboard.sync_now": MANAGE,
    "dashboard.dismiss_notice": MANAGE,
    "calls.index": "calls",
    "calls.detail": "calls",
    "calls.export": EXPORTS,
    "team.index": TEAM,
    "team.invite": TEAM,
    "team.change_role": TEAM,
    "team.remove": TEAM,
    "team.revoke": TEAM,
    "audit.index": MANAGE,
    # -- campaigns, leads, messaging, notifications, analytics, integrations, support (issues 13-19)
    "analytics.contact_insight": "contacts",
    "analytics.create_report": MANAGE,
    "analytics.delete_report": MANAGE,
    "analytics.enterprise_page": MANAGE,
    "analytics.export_csv": EXPORTS,
    "analytics.index": MANAGE,
    "analytics.insights_page": MANAGE,
    "analytics.insights_status": MANAGE,
    "analytics.question_to_faq": MANAGE,
    "analytics.reports_page": MANAGE,
    "analytics.revoke_share": MANAGE,
    "analytics.saved_report": MANAGE,
    "analytics.share_report": MANAGE,
    "analytics.sync_insights": MANAGE,
    "analytics.topic_calls": MANAGE,
    "analytics.weekly_preview": MANAGE,
    "analytics.weekly_settings": MANAGE,
    "assistant.call_handling": MANAGE,
    "assistant.call_handling_status": MANAGE,
    "assistant.reset_coordinator": MANAGE,
    "assistant.save_call_handling": MANAGE,
    "assistant.test_call": MANAGE,
    "assistant.voice_sample_audio": MANAGE,
    "campaigns.act": MANAGE,
    "campaigns.detail": MANAGE,
    "campaigns.edit": MANAGE,
    "campaigns.export": EXPORTS,
    "campaigns.follow_up": MANAGE,
    "campaigns.follow_up_text_preview": MANAGE,
    "campaigns.follow_up_text_send": MANAGE,
    "campaigns.index": MANAGE,
    "campaigns.live": MANAGE,
    "campaigns.new": MANAGE,
    "campaigns.preview": MANAGE,
    "contact_consent.capture": "contacts",
    "contact_consent.revoke": "contacts",
    "do_not_contact.create": MANAGE,
    "do_not_contact.import_csv": MANAGE,
    "do_not_contact.index": MANAGE,
    "do_not_contact.lift_entry": MANAGE,
    "integrations.create_token": MANAGE,
    "integrations.delete_endpoint": MANAGE,
    "integrations.disable_endpoint": MANAGE,
    "integrations.edit_endpoint": MANAGE,
    "integrations.enable_endpoint": MANAGE,
    "integrations.endpoint_detail": MANAGE,
    "integrations.index": MANAGE,
    "integrations.new_endpoint": MANAGE,
    "integrations.redeliver": MANAGE,
    "integrations.revoke_token": MANAGE,
    "integrations.send_test": MANAGE,
    "knowledge.add_page": MANAGE,  # -- knowledge base (issue 19)
    "knowledge.add_qa": MANAGE,
    "knowledge.index": MANAGE,
    "knowledge.remove": MANAGE,
    "knowledge.retry": MANAGE,
    "knowledge.source_detail": MANAGE,
    "knowledge.sources": MANAGE,
    "knowledge.test": MANAGE,
    "knowledge.upload": MANAGE,
    "leads.board": "leads",
    "leads.detail": "leads",
    "leads.details": "leads",
    "leads.export": EXPORTS,
    "leads.index": "leads",
    "leads.new": "leads",
    "leads.qualify": "leads",
    "leads.status": "leads",
    "messaging.delete_template": MANAGE,
    "messaging.inbox": "conversations",
    "messaging.lift_block": MANAGE,
    "messaging.preview": "conversations",
    "messaging.send": "conversations",
    "messaging.templates": MANAGE,
    "messaging.text_back": MANAGE,
    "messaging.thread": "conversations",
    "notifications.centre": "calls",
    "notifications.count": "calls",
    "notifications.read": "calls",
    "notifications.read_all": "calls",
    "notifications.retry": MANAGE,
    "notifications.settings": MANAGE,
    "rollout.join": BILLING,
    "satisfaction.rate": MANAGE,
    "support.attachment": MANAGE,
    "support.index": MANAGE,
    "support.new_request": MANAGE,
    "support.request_detail": MANAGE,
    "support.resolve": MANAGE,
    "taken_messages.handled": "calls",
    "taken_messages.inbox": "calls",
    "taken_messages.read": "calls",
    # -- advanced scheduling (issue 19)
    "scheduling.staff": MANAGE,
    "scheduling.add_staff": MANAGE,
    "scheduling.edit_staff": MANAGE,
    "scheduling.delete_staff": MANAGE,
    "scheduling.add_closure": MANAGE,
    "scheduling.delete_closure": MANAGE,
}


RECORD_IN_QUERY = {"analytics.topic_calls"}  # ?topic=


def scoped_rules(app):
    """(endpoint, method, concrete path) for every rule under /businesses/<slug>, ids made up."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/businesses/<slug>"):
            continue
        values = {name: ("{slug}" if name == "slug" else str(uuid.uuid4())) for name in rule.arguments}
        if "field" in rule.arguments:
            values["field"] = "name"
        def concrete(match):
            converter, options, name = match.group(1), match.group(2), match.group(3)
            if converter == "any":  # <any(launch, pause):action>: the first choice
                return options.split(",")[0].strip().strip("'\"")
            return "1" if converter == "int" else values[name]

        path = re.sub(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>", concrete, rule.rule)
        # A page that names its record in the query string answers 404 without one, like a made-up id.
        names_a_record = len(values) > 1 or rule.endpoint in RECORD_IN_QUERY
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, path, names_a_record))
    return sorted(found)


def test_every_business_scoped_endpoint_declares_a_permission(app):
    endpoints = {endpoint for endpoint, *_ in scoped_rules(app)}
    undeclared = sorted(endpoints - set(EXPECTED_PERMISSIONS))
    assert undeclared == [], f"declare the permission of these endpoints in EXPECTED_PERMISSIONS: {undeclared}"


@pytest.fixture
def team_business(factories, app):
    from app.extensions import db
    from app.models import Membership

    from tests.sync_helpers import activate

    holder = factories.user(name="Holder")
    business = factories.business(owner=holder, name="Team Business")
    # The top package, so a package gate (403 on a feature's POST) never hides the role check.
    activate(business, package="ai_enterprise")
    people = {"owner": holder, "outsider": factories.user(name="Outsider")}
    for role in ("manager", "staff"):
        person = factories.user(name=role.title())
        db.session.add(Membership(business_id=business.id, user_id=person.id, role=role))
        people[role] = person
    second_owner = factories.user(name="Second owner")
    db.session.add(Membership(business_id=business.id, user_id=second_owner.id, role="owner"))
    people["second_owner"] = second_owner
    db.session.commit()
    return business, people


@pytest.mark.parametrize("person", ["outsider", "staff", "manager", "owner", "second_owner"])
def test_every_route_checks_the_role(app, client, auth, team_business, person):
    """Walk every business-scoped route as each role: 404 to a non-member, 403
    to a member without the permission, neither to a member with it (routes
    with a made-up id may still answer 404 for the missing record)."""
    business, people = team_business
    role = {"second_owner": "owner", "outsider": None}.get(person, person)
    auth.login(people[person].email)
    wrong = []
    for endpoint, method, path, has_ids in scoped_rules(app):
        if endpoint not in EXPECTED_PERMISSIONS:
            continue  # reported by the declaration test
        status = client.open(path.format(slug=business.slug), method=method).status_code
        if role is None:
            expected_ok = status == 404
        elif EXPECTED_PERMISSIONS[endpoint] in ROLE_GRANTS[role]:
            expected_ok = status != 403 and (has_ids or status != 404)
        else:
            expected_ok = status == 403
        if not expected_ok:
            wrong.append((person, method, path, status))
    assert wrong == []
