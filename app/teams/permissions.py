"""What each role may do on a business, and which permission each page needs.

A business-scoped route declares its permission in ENDPOINT_PERMISSIONS (one
endpoint) or BLUEPRINT_PERMISSIONS (a whole area), or passes it directly:
`owned_business_or_404(slug, permission="calls")`. Anything undeclared needs
MANAGE, so a new page is never open to staff by accident.
"""
from __future__ import annotations

from app.models.teams import Role

MANAGE = "manage"  # owners and managers: settings, assistant, campaigns, audit log
BILLING = "billing"  # owners only
TEAM = "team"  # owners only
EXPORTS = "exports"  # owners and managers
CALLS = "calls"
CONTACTS = "contacts"
CALENDAR = "calendar"
LEADS = "leads"
CONVERSATIONS = "conversations"

STAFF_PERMISSIONS = frozenset({CALLS, CONTACTS, CALENDAR, LEADS, CONVERSATIONS})

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OWNER: STAFF_PERMISSIONS | {MANAGE, BILLING, TEAM, EXPORTS},
    Role.MANAGER: STAFF_PERMISSIONS | {MANAGE, EXPORTS},
    Role.STAFF: STAFF_PERMISSIONS,
}

# Whole areas staff may use (blueprint name -> permission).
BLUEPRINT_PERMISSIONS: dict[str, str] = {
    "billing": BILLING,
    "team": TEAM,
    "leads": LEADS,
    "messaging": CONVERSATIONS,
    "taken_messages": CALLS,  # messages the AI took on calls
    "contact_consent": CONTACTS,
    "rollout": BILLING,  # joining the waitlist is the first step of buying
    "knowledge": MANAGE,  # what the assistants are taught (issue 19), like the assistant itself
    "scheduling": MANAGE,  # staff, resources and closures (issue 19)
}

# Single pages; these win over the blueprint's entry.
ENDPOINT_PERMISSIONS: dict[str, str] = {
    "calls.index": CALLS,
    "calls.detail": CALLS,
    "calls.export": EXPORTS,
    "contacts.index": CONTACTS,
    "contacts.new": CONTACTS,
    "contacts.detail": CONTACTS,
    "contacts.field": CONTACTS,
    "contacts.tags": CONTACTS,
    "contacts.bulk_tag": CONTACTS,
    "contacts.delete": CONTACTS,
    "contacts.export": EXPORTS,
    # -- advanced CRM (issue 19)
    "contacts.segments": CONTACTS,
    "contacts.segment_edit": CONTACTS,
    "contacts.segment_delete": CONTACTS,
    "contacts.duplicates": CONTACTS,
    "contacts.merge_contacts": CONTACTS,
    "contacts.bulk_edit": CONTACTS,
    "appointments.calendar": CALENDAR,
    "appointments.new": CALENDAR,
    "appointments.slots": CALENDAR,
    "appointments.detail": CALENDAR,
    "appointments.reschedule": CALENDAR,
    "appointments.cancel": CALENDAR,
    "appointments.retry": CALENDAR,
    "chat.conversations": CONVERSATIONS,
    "chat.transcript": CONVERSATIONS,
    "packages.picker": BILLING,  # choosing a package is buying one
    # Leads and conversations: staff work them; exports, templates, text-back
    # settings and lifting a do-not-contact block are for owners and managers.
    "leads.export": EXPORTS,
    "messaging.templates": MANAGE,
    "messaging.delete_template": MANAGE,
    "messaging.text_back": MANAGE,
    "messaging.lift_block": MANAGE,
    # Everyone reads their own notifications; settings and retries are managers'.
    "notifications.centre": CALLS,
    "notifications.count": CALLS,
    "notifications.read": CALLS,
    "notifications.read_all": CALLS,
    # The AI profile card on a contact's page.
    "analytics.contact_insight": CONTACTS,
    "analytics.export_csv": EXPORTS,
    "campaigns.export": EXPORTS,
    # A finished campaign's follow-up by text sends to many contacts: owners and managers.
    "campaigns.follow_up_text_send": MANAGE,
    "campaigns.follow_up_text_preview": MANAGE,
}


def permission_for_endpoint(endpoint: str | None) -> str:
    if not endpoint:
        return MANAGE
    if endpoint in ENDPOINT_PERMISSIONS:
        return ENDPOINT_PERMISSIONS[endpoint]
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else ""
    return BLUEPRINT_PERMISSIONS.get(blueprint, MANAGE)


def role_allows(role: str | None, permission: str) -> bool:
    return role is not None and permission in ROLE_PERMISSIONS.get(role, frozenset())
