"""A finished campaign's follow-up by text (advanced packages) against the 4calls
sandbox: messaging's rules apply (quiet hours in each recipient's zone, the
do-not-contact list, consent for marketing, opted-out), a second click texts
nobody twice, bad input gets field errors, other owners get 404, Sales sees
the offer. And: editing a draft never rewrites the saved segment it was built on."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.contacts.consent import record_consent
from app.do_not_contact.services import add as dnc_add
from app.extensions import db
from app.models import AuditEntry, Campaign, CampaignTarget, Contact, ContactSegment
from app.models.campaigns import MessageFollowUp
from app.models.messaging import ContactMessage, MessagePurpose, MessageState
from tests.campaign_helpers import add_contacts, campaign_form, provision_with_coordinator

NIGHT_IN_NEW_YORK = datetime(2030, 1, 15, 3, 30, tzinfo=timezone.utc)  # 22:30 New York, 12:30 Tokyo


def finished_campaign(business, coordinator, people, purpose="lead_follow_up", status="completed"):
    """A campaign that has finished with these (contact kwargs, target status, opted_out) people."""
    campaign = Campaign(business_id=business.id, name="Winter win-back", purpose=purpose, coordinator_id=coordinator.id,
                        starts_at=NIGHT_IN_NEW_YORK, status=status, days=[0, 1, 2, 3, 4], audience_source="segment")
    db.session.add(campaign)
    db.session.flush()
    for position, (fields, target_status, opted_out) in enumerate(people):
        contact = Contact(business_id=business.id, **fields)
        db.session.add(contact)
        db.session.flush()
        db.session.add(CampaignTarget(campaign_id=campaign.id, business_id=business.id, contact_id=contact.id,
                                      position=position, name=contact.name, phone=contact.phone or "",
                                      zone=contact.timezone or "UTC", status=target_status, opted_out=opted_out))
    db.session.commit()
    return campaign


@pytest.fixture
def suite(use_fourcalls, factories, logged_in_owner, clock):
    use_fourcalls(FOURCALLS_MAX_ATTEMPTS=2, FOURCALLS_BACKOFF_BASE_SECONDS=0.01, FOURCALLS_BACKOFF_MAX_SECONDS=0.05)
    clock.set(NIGHT_IN_NEW_YORK)
    business = factories.business(owner=logged_in_owner, name="Suite Salon", timezone="America/Chicago")
    _, coordinator = provision_with_coordinator(business, package="ai_business_suite")
    return business, coordinator


PEOPLE = [
    ({"name": "Nora York", "phone": "+12125550101", "timezone": "America/New_York"}, "no_answer", False),
    ({"name": "Taro Day", "phone": "+81355500102", "timezone": "Asia/Tokyo"}, "voicemail", False),
    ({"name": "Dee Blocked", "phone": "+12125550103", "timezone": "Asia/Tokyo"}, "busy", False),
    ({"name": "Ann Swered", "phone": "+12125550104", "timezone": "Asia/Tokyo"}, "answered", False),
    ({"name": "Otto Out", "phone": "+12125550105", "timezone": "Asia/Tokyo"}, "no_answer", True),
    ({"name": "Emma Mail", "phone": None, "email": "emma@example.com", "timezone": "Asia/Tokyo"}, "failed", False),
]


def url(business, campaign, tail=""):
    return f"/businesses/{business.slug}/campaigns/{campaign.id}/follow-up-text{tail}"


def rows(campaign):
    return {r.contact_id: r for r in db.session.scalars(select(MessageFollowUp).where(
        MessageFollowUp.campaign_id == campaign.id))}


def by_name(name):
    return db.session.scalar(select(Contact).where(Contact.name == name))


def test_the_unreached_are_texted_by_messagings_rules_once(client, run_jobs, suite, logged_in_owner):
    business, coordinator = suite
    campaign = finished_campaign(business, coordinator, PEOPLE)
    dnc_add(business, "phone", "+12125550103", source="manual")
    db.session.commit()
    page = client.get(f"/businesses/{business.slug}/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Follow up the unreached by text" in page and "<strong>2</strong> will get a text" in page

    response = client.post(url(business, campaign), data={"body": "Hi {first_name}, {business_name} tried to call you.",
                                                          "use_email": "1", "subject": "We tried to call"})
    assert response.status_code == 302
    found = rows(campaign)
    assert by_name("Ann Swered").id not in found  # reached: not followed up
    assert found[by_name("Dee Blocked").id].skip_reason == "do_not_contact"
    assert found[by_name("Otto Out").id].skip_reason == "opted_out"
    held = found[by_name("Nora York").id].message
    assert held.status == MessageState.HELD and held.channel == "sms"
    assert held.send_after == datetime(2030, 1, 15, 13, 0, tzinfo=timezone.utc)  # 08:00 in New York
    assert held.body == "Hi Nora, Suite Salon tried to call you." and held.purpose == MessagePurpose.CAMPAIGN
    email = found[by_name("Emma Mail").id].message
    assert email.channel == "email" and email.subject == "We tried to call" and email.status == MessageState.QUEUED
    run_jobs()
    texted = found[by_name("Taro Day").id].message
    db.session.refresh(texted)
    db.session.refresh(held)
    assert texted.remote_id and held.remote_id is None  # daytime in Tokyo goes now; night in New York waits
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign.message_follow_up"))
    assert audit.after["queued"] == 2 and audit.after["held"] == 1 and audit.after["skipped"] == 2

    page = client.get(f"/businesses/{business.slug}/campaigns/{campaign.id}").get_data(as_text=True)
    assert "by " + logged_in_owner.email in page and "on the do-not-contact list" in page
    assert "held for quiet hours" in page and "Everyone not reached has been followed up" in page

    # A double click (or a second tab) texts nobody twice.
    before = db.session.query(ContactMessage).count()
    again = client.post(url(business, campaign), data={"body": "Hi again", "use_email": "1", "subject": "Again"})
    assert again.status_code == 302 and db.session.query(ContactMessage).count() == before


def test_a_marketing_campaign_texts_only_those_who_consented(client, run_jobs, suite):
    business, coordinator = suite
    people = [({"name": "Yes Please", "phone": "+81355500201", "timezone": "Asia/Tokyo"}, "no_answer", False),
              ({"name": "No Consent", "phone": "+81355500202", "timezone": "Asia/Tokyo"}, "no_answer", False)]
    campaign = finished_campaign(business, coordinator, people, purpose="reactivation", status="cancelled")
    record_consent(business, by_name("Yes Please"), method="written", captured_at=datetime(2029, 1, 1, tzinfo=timezone.utc))
    db.session.commit()
    assert client.post(url(business, campaign), data={"body": "Come back soon"}).status_code == 302
    found = rows(campaign)
    assert found[by_name("No Consent").id].skip_reason == "no_consent"
    assert found[by_name("Yes Please").id].message.status == MessageState.QUEUED
    # Without the email option, nobody is emailed and a phone-less contact is simply not addressed.


@pytest.mark.parametrize("form, field, words", [
    ({"body": "   "}, "body", "Write the message to send."),
    ({"body": "Hi {nickname}"}, "body", "Unknown variable {nickname}"),
    ({"body": "Hi", "use_email": "1", "subject": ""}, "subject", "Give the email a subject."),
])
def test_bad_input_gets_a_field_error_and_sends_nothing(client, run_jobs, suite, form, field, words):
    business, coordinator = suite
    campaign = finished_campaign(business, coordinator, PEOPLE[:2])
    response = client.post(url(business, campaign), data=form)
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    assert rows(campaign) == {} and db.session.query(ContactMessage).count() == 0


def test_preview_fills_the_message_for_the_first_recipient(client, suite):
    business, coordinator = suite
    campaign = finished_campaign(business, coordinator, PEOPLE[:2])
    response = client.post(url(business, campaign, "/preview"), data={"body": "Hi {first_name}!"},
                           headers={"HX-Request": "true"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Hi Nora!" in text and "1 SMS segment" in text
    assert "<html" not in text and "HX-Request" in response.headers["Vary"]
    assert rows(campaign) == {}


def test_a_running_campaign_and_sales_cannot_follow_up_by_text(client, factories, logged_in_owner, suite):
    business, coordinator = suite
    running = finished_campaign(business, coordinator, PEOPLE[:1], status="running")
    assert client.post(url(business, running), data={"body": "Hi"}).status_code == 409
    sales = factories.business(owner=logged_in_owner, name="Sales Shop")
    _, sales_coordinator = provision_with_coordinator(sales, package="ai_sales")
    campaign = finished_campaign(sales, sales_coordinator, [
        ({"name": "Sal Es", "phone": "+81355500301", "timezone": "Asia/Tokyo"}, "no_answer", False)])
    assert client.post(url(sales, campaign), data={"body": "Hi"}).status_code == 409
    page = client.get(f"/businesses/{sales.slug}/campaigns/{campaign.id}").get_data(as_text=True)
    assert "AI Business Suite adds a follow-up" in page and "follow-up-text" not in page
    assert db.session.query(ContactMessage).count() == 0


def test_another_owner_gets_404(client, auth, factories, suite):
    business, coordinator = suite
    campaign = finished_campaign(business, coordinator, PEOPLE[:2])
    auth.logout()
    auth.login(factories.user().email)
    assert client.post(url(business, campaign), data={"body": "Hi"}).status_code == 404
    assert client.post(url(business, campaign, "/preview"), data={"body": "Hi"}).status_code == 404
    assert rows(campaign) == {}


def test_editing_a_draft_never_rewrites_the_saved_segment_it_used(client, suite):
    business, coordinator = suite
    add_contacts(business, ["+15125550401", "+15125550402"], tag="spring")
    add_contacts(business, ["+15125550403"], tag="autumn")
    picked = ContactSegment(business_id=business.id, name="Spring regulars", rules={"tags": ["spring"]})
    db.session.add(picked)
    db.session.commit()
    client.post(f"/businesses/{business.slug}/campaigns/new",
                data=campaign_form(coordinator, tag="", concurrency="1", segment_id=str(picked.id)))
    campaign = db.session.scalar(select(Campaign).where(Campaign.segment_id == picked.id))
    original = dict(picked.rules)
    # The edit form shows the segment as rules; saving it unchanged keeps the reference.
    client.post(f"/businesses/{business.slug}/campaigns/{campaign.id}/edit",
                data=campaign_form(coordinator, tag="spring", concurrency="1"))
    db.session.refresh(campaign)
    assert campaign.segment_id == picked.id
    response = client.post(f"/businesses/{business.slug}/campaigns/{campaign.id}/edit",
                           data=campaign_form(coordinator, tag="autumn", concurrency="1"))
    assert response.status_code == 302
    db.session.refresh(picked)
    db.session.refresh(campaign)
    assert picked.rules == original  # the saved segment is as the owner left it
    assert campaign.segment_id != picked.id and campaign.segment.rules["tags"] == ["autumn"]
