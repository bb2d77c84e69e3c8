"""Leads inbox against the 4calls sandbox: leads from calls (one per call),
AI qualification by 4calls in a job, the pipeline with lost reasons, follow-ups
on the dashboard, filters, CSV, manual entry, missed-call text-back."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.do_not_contact.services import add as add_block
from app.extensions import db
from app.fourcalls import platform_client
from app.messaging.jobs import sweep_messages_job
from app.messaging.textback import update_settings
from app.models import Contact, DoNotContactChannel, DoNotContactSource, Lead
from app.models.leads import LeadSource, Qualification
from app.models.messaging import ContactMessage, TextBack
from app.crm_sync.jobs import sync_business
from app.timezones import local_today
from tests.fourcalls_helpers import provision
from tests.messaging_helpers import forward_sandbox_events, midday_zone, wait_for


@pytest.fixture
def business(use_fourcalls, factories, logged_in_owner):
    use_fourcalls(FOURCALLS_MAX_ATTEMPTS=2, FOURCALLS_BACKOFF_BASE_SECONDS=0.01)
    business = factories.business(owner=logged_in_owner, name="Lead Plumbing")
    organization = provision(business, package="ai_sales")
    platform_client().update_organization(organization["id"], {"webhook_url": "http://127.0.0.1:9/hook"})
    business.org_id = organization["id"]
    return business


def leads():
    return db.session.scalars(select(Lead).order_by(Lead.created_at)).unique().all()


def make_lead(business, **fields) -> Lead:
    lead = Lead(business_id=business.id, name=fields.pop("name", "Pat Lee"), phone=fields.pop("phone", "+15125550111"),
                source=fields.pop("source", LeadSource.MANUAL), **fields)
    db.session.add(lead)
    db.session.commit()
    return lead


# -- leads from calls, qualification ------------------------------------------------

def test_a_lead_call_becomes_one_scored_lead_on_the_contact(client, run_jobs, business, fourcalls):
    call = fourcalls.generate_call(business.org_id, outcome="lead", caller_name="Quinn Buyer")
    sync_business(str(business.id))
    sync_business(str(business.id))  # again: nothing new
    [lead] = leads()
    assert lead.source == LeadSource.CALL and lead.qualification == Qualification.PENDING and lead.call_id
    run_jobs()
    db.session.refresh(lead)
    assert lead.qualification == Qualification.DONE and 0 <= lead.score <= 100 and lead.score_reason
    # The same transcript always scores the same.
    assert platform_client().post(f"/organizations/{business.org_id}/lead-analysis", {
        "transcript": [{"speaker": line["speaker"], "text": line["text"]} for line in call["transcript"]]})["score"] == lead.score
    contact = db.session.get(Contact, lead.contact_id)
    page = client.get(f"/businesses/{business.slug}/contacts/{contact.id}").get_data(as_text=True)
    assert 'id="open-leads"' in page and "Lead from call" in page
    listing = client.get(f"/businesses/{business.slug}/leads").get_data(as_text=True)
    assert "Quinn Buyer" in listing and 'class="score score-' in listing


def test_qualification_waits_for_4calls_when_it_is_down(app, run_jobs, business, fourcalls):
    lead = make_lead(business, message="I'd like a quote for a repair this week", qualification=Qualification.PENDING)
    fourcalls.set_faults(error_rate=1.0)
    app.config["JOB_RETRY_INTERVALS"] = [0]
    from app.leads.qualification import request_qualification

    request_qualification(lead)
    run_jobs()
    db.session.refresh(lead)
    assert lead.qualification == Qualification.PENDING and lead.score is None
    fourcalls.clear_faults()
    from app.leads.jobs import sweep_leads_job

    assert sweep_leads_job() == {"qualifications_queued": 1}
    run_jobs()
    db.session.refresh(lead)
    assert lead.qualification == Qualification.DONE and lead.score >= 50


# -- pipeline --------------------------------------------------------------------------

def test_status_changes_from_the_list_need_a_reason_for_lost(client, business):
    lead = make_lead(business)
    url = f"/businesses/{business.slug}/leads/{lead.id}/status"
    htmx = {"HX-Request": "true"}
    response = client.post(url, data={"status": "qualified"}, headers=htmx)
    assert response.status_code == 200 and 'data-status="qualified"' in response.get_data(as_text=True)
    refused = client.post(url, data={"status": "lost"}, headers=htmx)
    assert refused.status_code == 422 and "Say why the lead was lost" in refused.get_data(as_text=True)
    assert db.session.get(Lead, lead.id).status == "qualified"
    assert client.post(url, data={"status": "closed"}, headers=htmx).status_code == 422
    lost = client.post(url, data={"status": "lost", "lost_reason": "Went with a cheaper quote"}, headers=htmx)
    assert lost.status_code == 200 and "Went with a cheaper quote" in lost.get_data(as_text=True)
    board = client.post(url, data={"status": "won", "view": "board"}, headers=htmx).get_data(as_text=True)
    assert 'data-column="won"' in board and str(lead.id) in board
    assert db.session.get(Lead, lead.id).lost_reason is None


def test_details_are_validated_and_follow_ups_reach_the_dashboard(client, business):
    today = local_today(business)
    due_today = make_lead(business, name="Due Today")
    overdue = make_lead(business, name="Over Due", follow_up_due=today - timedelta(days=2))
    make_lead(business, name="Stale One", last_activity_at=datetime.now(timezone.utc) - timedelta(hours=60))
    url = f"/businesses/{business.slug}/leads/{due_today.id}/details"
    bad = client.post(url, data={"value": "lots", "follow_up_due": "tomorrow"})
    assert bad.status_code == 422 and "Enter an amount" in bad.get_data(as_text=True)
    assert db.session.get(Lead, due_today.id).value is None
    assert client.post(url, data={"value": "1,250.50", "next_step": "Send the quote", "follow_up_due": today.isoformat(),
                                  "owner_note": "Wants copper pipes"}).status_code == 302
    lead = db.session.get(Lead, due_today.id)
    assert str(lead.value) == "1250.50" and lead.follow_up_due == today
    dashboard = client.get(f"/businesses/{business.slug}/dashboard").get_data(as_text=True)
    assert 'id="leads-panel"' in dashboard and "due=today" in dashboard and "due=overdue" in dashboard
    listed = client.get(f"/businesses/{business.slug}/leads?due=today").get_data(as_text=True)
    assert "Due Today" in listed and "Over Due" not in listed
    assert "Over Due" in client.get(f"/businesses/{business.slug}/leads?due=overdue").get_data(as_text=True)
    stale = client.get(f"/businesses/{business.slug}/leads?due=stale").get_data(as_text=True)
    assert "Stale One" in stale and "no follow-up for 48 h" in stale
    assert "Over Due" in client.get(f"/businesses/{business.slug}/leads?q=&status=open").get_data(as_text=True)
    assert "Due Today" in client.get(f"/businesses/{business.slug}/leads?q=copper").get_data(as_text=True)
    _ = overdue


def test_filters_sort_and_csv(client, business):
    make_lead(business, name="Low", score=20, qualification=Qualification.DONE)
    make_lead(business, name="High", score=90, qualification=Qualification.DONE, source=LeadSource.CHAT)
    page = client.get(f"/businesses/{business.slug}/leads?sort=score").get_data(as_text=True)
    assert page.index("High") < page.index("Low")
    assert "Low" not in client.get(f"/businesses/{business.slug}/leads?min_score=50").get_data(as_text=True)
    assert "High" not in client.get(f"/businesses/{business.slug}/leads?source=manual").get_data(as_text=True)
    bad = client.get(f"/businesses/{business.slug}/leads?min_score=abc&date_from=2030-13-01")
    assert bad.status_code == 422 and "Enter a score from 0 to 100" in bad.get_data(as_text=True)
    export = client.get(f"/businesses/{business.slug}/leads/export.csv?sort=score")
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert [r["name"] for r in rows] == ["High", "Low"] and rows[0]["score"] == "90" and rows[0]["source"] == "Chat"


def test_manual_entry(client, run_jobs, business):
    url = f"/businesses/{business.slug}/leads/new"
    refused = client.post(url, data={"name": "No Way To Reach"})
    assert refused.status_code == 422 and leads() == []
    assert client.post(url, data={"name": "Walk In", "phone": "(512) 555-0177", "value": "-5"}).status_code == 422
    response = client.post(url, data={"name": "Walk In", "phone": "(512) 555-0177", "message": "Wants a quote asap"})
    assert response.status_code == 302
    [lead] = leads()
    assert lead.source == "manual" and lead.phone == "+15125550177" and lead.contact.source == "manual"
    run_jobs()
    db.session.refresh(lead)
    assert lead.qualification == Qualification.DONE and lead.score is not None


def test_lower_packages_see_an_upgrade_offer(client, factories, logged_in_owner):
    from tests.sync_helpers import activate

    business = factories.business(owner=logged_in_owner, name="Receptionist Only")
    activate(business, package="ai_receptionist")
    page = client.get(f"/businesses/{business.slug}/leads")
    assert page.status_code == 200 and "AI Sales Assistant" in page.get_data(as_text=True)
    assert client.get(f"/businesses/{business.slug}/leads/board").status_code == 200


def test_another_owner_gets_404_on_every_lead_url(client, auth, factories, business):
    lead = make_lead(business)
    intruder = factories.user()
    auth.logout()
    auth.login(intruder.email)
    base = f"/businesses/{business.slug}/leads/{lead.id}"
    for method, url in (("GET", base), ("POST", f"{base}/status"), ("POST", f"{base}/details"),
                        ("POST", f"{base}/qualify")):
        assert client.open(url, method=method).status_code == 404, url


# -- missed-call text-back ---------------------------------------------------------------

def test_a_missed_call_gets_one_text_a_day_and_a_reply_with_intent_becomes_a_lead(
        client, app, run_jobs, business, fourcalls, clock):
    clock.set(datetime.now(timezone.utc))
    number = "+15125550121"  # the sandbox's customer ...1 answers with intent
    fourcalls.generate_call(business.org_id, status="missed", caller_number=number, caller_name="Miss Ed")
    sync_business(str(business.id))
    contact = db.session.scalar(select(Contact).where(Contact.phone == number))
    contact.timezone = midday_zone()  # whatever time the suite runs, not quiet hours
    db.session.commit()
    [text_back] = db.session.scalars(select(TextBack)).all()
    run_jobs()
    assert db.session.get(TextBack, text_back.id).status == "scheduled"  # the 1-minute delay
    clock.advance(minutes=2)
    sweep_messages_job()
    run_jobs()
    db.session.expire_all()
    text_back = db.session.get(TextBack, text_back.id)
    assert text_back.status == "sent"
    [sms] = db.session.scalars(select(ContactMessage)).all()
    assert sms.purpose == "text_back" and sms.body.startswith("Hi Miss, sorry we missed your call at Lead Plumbing")
    # A second missed call the same day: no second text.
    fourcalls.generate_call(business.org_id, status="voicemail", caller_number=number)
    sync_business(str(business.id))
    assert db.session.scalar(select(func.count()).select_from(TextBack)) == 1
    # The customer answers; 4calls scores the reply and a lead appears.
    wait_for(lambda: fourcalls.webhooks(business.org_id, "message.received"))
    forward_sandbox_events(client, app, fourcalls, business.org_id, "message.received")
    forward_sandbox_events(client, app, fourcalls, business.org_id, "message.received")  # redelivered
    run_jobs()
    db.session.expire_all()
    [lead] = [lead for lead in leads() if lead.source == LeadSource.TEXT_BACK]
    assert lead.score >= 40 and lead.contact_id == contact.id
    assert db.session.get(TextBack, text_back.id).lead_id == lead.id
    figures = client.get(f"/businesses/{business.slug}/dashboard").get_data(as_text=True)
    assert "1</span> missed-call texts · 1 replies · 1 leads" in figures


def test_no_text_back_to_blocked_numbers_or_when_switched_off(client, run_jobs, business, fourcalls, clock):
    clock.set(datetime.now(timezone.utc))
    blocked = "+15125550133"
    add_block(business, DoNotContactChannel.PHONE, blocked, source=DoNotContactSource.SMS_STOP)
    db.session.commit()
    fourcalls.generate_call(business.org_id, status="missed", caller_number=blocked)
    sync_business(str(business.id))
    clock.advance(minutes=2)
    sweep_messages_job()
    run_jobs()
    db.session.expire_all()
    [text_back] = db.session.scalars(select(TextBack)).all()
    assert text_back.status == "skipped" and "do-not-contact" in text_back.note
    assert db.session.scalar(select(func.count()).select_from(ContactMessage)) == 0
    update_settings(business, enabled=False, delay="1", text="Sorry {first_name}!")
    fourcalls.generate_call(business.org_id, status="missed", caller_number="+15125550144")
    sync_business(str(business.id))
    assert db.session.scalar(select(func.count()).select_from(TextBack)) == 1


def test_text_back_settings_are_validated(client, business):
    url = f"/businesses/{business.slug}/messages/text-back"
    assert client.get(url).status_code == 200
    bad = client.post(url, data={"enabled": "1", "delay": "-3", "text": "Hi {nickname}"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Enter a delay" in body and "Unknown variable {nickname}" in body
    assert client.post(url, data={"delay": "5", "text": "Sorry we missed you, {first_name}."}).status_code == 303
    from app.messaging.textback import settings_for

    settings = settings_for(business)
    assert (settings.text_back_enabled, settings.text_back_delay_minutes) == (False, 5)
    _ = date
