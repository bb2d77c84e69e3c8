"""Two-way SMS and email against the 4calls sandbox: validation, sending
exactly once under faults, live statuses, replies and STOPs applied once,
quiet hours, templates, the message allowance, lifting a block."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.do_not_contact.services import is_blocked
from app.extensions import db
from app.fourcalls import platform_client
from app.messaging.compose import check_draft, sms_segments
from app.messaging.services import queue_message, sweep_messages
from app.models import AuditEntry, DoNotContactEntry, WebhookEvent
from app.models.messaging import ContactMessage, MessageDirection, MessageState
from app.usage import services as usage
from tests.fourcalls_helpers import provision
from tests.messaging_helpers import add_contact, deliver_event, event, forward_sandbox_events, wait_for


@pytest.fixture
def business(use_fourcalls, factories, logged_in_owner):
    use_fourcalls(FOURCALLS_MAX_ATTEMPTS=3, FOURCALLS_BACKOFF_BASE_SECONDS=0.01, FOURCALLS_BACKOFF_MAX_SECONDS=0.05,
                  FOURCALLS_MAX_RETRY_AFTER_SECONDS=0.1)
    business = factories.business(owner=logged_in_owner, name="Texting Salon")
    organization = provision(business, package="ai_business_suite")
    # Deliveries are recorded (and fail) so tests can forward the exact events 4calls would send.
    platform_client().update_organization(organization["id"], {"webhook_url": "http://127.0.0.1:9/hook"})
    business.org_id = organization["id"]
    return business


def messages(**where):
    return db.session.scalars(select(ContactMessage).filter_by(**where)).all()


def send(client, business, contact, **form):
    return client.post(f"/businesses/{business.slug}/messages/contacts/{contact.id}/send", data=form,
                       headers={"HX-Request": "true"})


# -- drafts ---------------------------------------------------------------------

def test_segments_are_counted_as_carriers_count_them():
    assert sms_segments("a" * 160).segments == 1
    assert sms_segments("a" * 161).segments == 2
    assert sms_segments("a" * 306).segments == 2
    assert sms_segments("a" * 307).segments == 3
    assert sms_segments("€" * 80).segments == 1  # extension characters count twice: 160 units
    assert sms_segments("é" * 160).encoding == "GSM-7"
    unicode = sms_segments("😀" + "a" * 68)
    assert (unicode.encoding, unicode.segments) == ("UCS-2", 1)
    assert sms_segments("😀" + "a" * 69).segments == 2


@pytest.mark.parametrize("form, field, words", [
    ({"channel": "sms", "body": "   "}, "body", "Write a message first"),
    ({"channel": "sms", "body": "Hi {nickname}"}, "body", "Unknown variable {nickname}"),
    ({"channel": "sms", "body": "x" * 1601}, "body", "limit for a text is 1,600"),
    ({"channel": "email", "body": "Hello", "subject": ""}, "subject", "Give the email a subject"),
    ({"channel": "fax", "body": "Hello"}, "channel", "Choose SMS or email"),
])
def test_bad_drafts_get_a_clear_error_and_queue_nothing(client, run_jobs, business, form, field, words):
    contact = add_contact(business)
    response = send(client, business, contact, **form)
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert run_jobs() == 0 and messages() == []


def test_sms_needs_a_phone_and_email_needs_an_address(client, business):
    no_phone = add_contact(business, name="No Phone", phone=None, email="np@example.com")
    no_email = add_contact(business, name="No Email", phone="+15125550144", email=None)
    assert "has no phone number" in send(client, business, no_phone, channel="sms", body="Hi").get_data(as_text=True)
    response = send(client, business, no_email, channel="email", subject="Hi", body="Hello")
    assert response.status_code == 422 and "has no email address" in response.get_data(as_text=True)
    assert messages() == []


# -- sending ----------------------------------------------------------------------

def test_a_text_is_sent_once_with_its_variables_and_its_status_follows_4calls(client, run_jobs, business, fourcalls):
    contact = add_contact(business, name="Dana Reed", phone="+15125550142")
    response = send(client, business, contact, channel="sms", body="Hi {first_name}, thanks from {business_name}!")
    assert response.status_code == 200
    [message] = messages()
    assert message.body == "Hi Dana, thanks from Texting Salon!" and message.status == MessageState.QUEUED
    run_jobs()
    db.session.refresh(message)
    assert message.remote_id and message.attempts == 1
    assert usage.usage_summary(business)[-1].used == 1  # metered once
    # Delivery advances in 4calls; the sweep (and message.updated webhooks) bring it here.
    wait_for(lambda: (sweep_messages(), db.session.refresh(message), message.status == "delivered")[-1])
    page = client.get(f"/businesses/{business.slug}/messages/contacts/{contact.id}/thread").get_data(as_text=True)
    assert 'data-status="delivered"' in page
    state = fourcalls.state(business.org_id, full=True)
    assert [m["body"] for m in state["objects"]["messages"] if m["direction"] == "outbound"] == [message.body]


@pytest.mark.slow
def test_two_hundred_messages_under_faults_end_exactly_once(app, run_jobs, business, fourcalls):
    contacts = [add_contact(business, name=f"Bulk {n}", phone=f"+1512555{n:04d}2", email=None) for n in range(200)]
    queued = [queue_message(business, c, check_draft(business, c, "sms", "Your order is ready, {first_name}."))
              for c in contacts]
    # Errors before and after 4calls handled the request, dropped connections and 429 bursts.
    fourcalls.set_faults(error_rate=0.2, drop_rate=0.1, phase="after",
                         rate_limit_burst={"every": 25, "length": 3, "retry_after": 0})
    app.config["JOB_RETRY_INTERVALS"] = [0, 0]
    run_jobs()
    fourcalls.set_faults(error_rate=0.3, phase="before")
    for _ in range(40):  # the recurring sweep, run until 4calls confirmed every message
        pending = db.session.scalar(select(func.count()).select_from(ContactMessage)
                                    .where(ContactMessage.remote_id.is_(None)))
        if not pending:
            break
        db.session.execute(ContactMessage.__table__.update().values(updated_at=datetime(2000, 1, 1, tzinfo=timezone.utc)))
        db.session.commit()
        sweep_messages()
        run_jobs()
    fourcalls.clear_faults()
    local = messages(direction=MessageDirection.OUTBOUND)
    assert len(local) == 200 and all(m.remote_id for m in local)
    assert len({m.remote_id for m in local}) == 200
    remote = [m for m in fourcalls.state(business.org_id, full=True)["objects"]["messages"] if m["direction"] == "outbound"]
    assert len(remote) == 200, "every message reached 4calls exactly once"
    assert sorted(m["to"] for m in remote) == sorted(c.phone for c in contacts)

    def all_final():
        db.session.execute(ContactMessage.__table__.update().values(updated_at=datetime(2000, 1, 1, tzinfo=timezone.utc)))
        db.session.commit()
        sweep_messages()
        return all(m.status in MessageState.FINAL for m in messages(direction=MessageDirection.OUTBOUND))

    wait_for(all_final, timeout=20)
    statuses = {m.status for m in messages(direction=MessageDirection.OUTBOUND)}
    assert statuses <= {"delivered", "failed"}
    assert usage.usage_summary(business)[-1].used == 200
    assert len(queued) == 200


# -- replies and STOP ---------------------------------------------------------------

def inbound(remote_id, sender, body, created="2030-01-01T10:00:00.000000Z", contact_id=None):
    return {"id": remote_id, "organization_id": "x", "direction": "inbound", "channel": "sms", "to": "+15125550100",
            "from": sender, "subject": None, "body": body, "appointment_id": None, "contact_id": contact_id,
            "in_reply_to": None, "status": "received", "error": None, "sent_at": None,
            "delivered_at": created, "created_at": created, "updated_at": created}


def test_replies_and_stops_apply_once_when_duplicated_or_out_of_order(client, app, run_jobs, business):
    contact = add_contact(business, phone="+15125550188")
    org = business.org_id
    stop = event("message.received", org, inbound("msg_stop", contact.phone, "Stop", "2030-01-01T10:05:00Z"), "evt_stop")
    reply = event("message.received", org, inbound("msg_hi", contact.phone, "Is Tuesday free?", "2030-01-01T10:00:00Z"),
                  "evt_hi")
    # The STOP arrives first, then the earlier reply, then both again (and the STOP under a new event id).
    for payload in (stop, reply, stop, reply, {**stop, "id": "evt_stop_again"}):
        assert deliver_event(client, app, payload).status_code == 200
        run_jobs()
    received = messages(direction=MessageDirection.INBOUND)
    assert sorted(m.remote_id for m in received) == ["msg_hi", "msg_stop"]
    assert [m.body for m in sorted(received, key=lambda m: m.created_at)] == ["Is Tuesday free?", "Stop"]
    entries = db.session.scalars(select(DoNotContactEntry)).all()
    assert [(e.value, e.source) for e in entries] == [(contact.phone, "sms_stop")]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "do_not_contact.added")) == 1
    assert is_blocked(business.id, phone=contact.phone)  # the list campaigns read too
    # The unread count shows in the navigation until the owner opens the contact.
    assert 'aria-label="2 unread">2<' in client.get(f"/businesses/{business.slug}/messages").get_data(as_text=True)
    page = client.get(f"/businesses/{business.slug}/contacts/{contact.id}").get_data(as_text=True)
    assert "Do not contact" in page and "they replied STOP" in page
    assert 'aria-label="0 unread" hidden>' in client.get(f"/businesses/{business.slug}/messages").get_data(as_text=True)
    # No later message reaches them.
    response = send(client, business, contact, channel="sms", body="One more thing")
    assert response.status_code == 422 and "do-not-contact" in response.get_data(as_text=True)
    assert messages(direction=MessageDirection.OUTBOUND) == []


def test_a_held_message_is_not_sent_after_the_recipient_sends_stop(client, app, run_jobs, business, fourcalls, clock):
    contact = add_contact(business, phone="+15125550166", zone="America/New_York")
    clock.set(datetime(2030, 1, 15, 3, 30, tzinfo=timezone.utc))  # held until 08:00 New York
    queue_message(business, contact, check_draft(business, contact, "sms", "Special offer"))
    run_jobs()
    assert deliver_event(client, app, event("message.received", business.org_id,
                                            inbound("msg_s2", contact.phone, "UNSUBSCRIBE"), "evt_s2")).status_code == 200
    run_jobs()
    clock.set(datetime(2030, 1, 15, 13, 1, tzinfo=timezone.utc))
    sweep_messages()
    run_jobs()
    [outbound] = messages(direction=MessageDirection.OUTBOUND)
    assert outbound.status == MessageState.BLOCKED and outbound.remote_id is None
    remote = fourcalls.state(business.org_id, full=True)["objects"]["messages"]
    assert [m for m in remote if m["direction"] == "outbound"] == []


def test_status_events_never_move_a_message_backwards(client, app, run_jobs, business):
    contact = add_contact(business)
    message = queue_message(business, contact, check_draft(business, contact, "sms", "Hello"))
    run_jobs()
    db.session.refresh(message)
    base = {"id": message.remote_id, "direction": "outbound", "channel": "sms", "to": contact.phone}
    for n, status in enumerate(("delivered", "sent", "queued", "delivered")):
        deliver_event(client, app, event("message.updated", business.org_id, {**base, "status": status}, f"evt_u{n}"))
        run_jobs()
    db.session.refresh(message)
    assert message.status == "delivered"


def test_webhooks_for_unknown_messages_or_organizations_are_recorded_and_change_nothing(client, app, run_jobs, business):
    contact = add_contact(business)
    assert deliver_event(client, app, event("message.updated", business.org_id,
                                            {"id": "msg_nope", "status": "failed"}, "evt_n1")).status_code == 200
    assert deliver_event(client, app, event("message.received", "org_unknown",
                                            inbound("msg_x", contact.phone, "STOP"), "evt_n2")).status_code == 200
    run_jobs()
    outcomes = dict(db.session.execute(select(WebhookEvent.event_id, WebhookEvent.outcome)).all())
    assert outcomes == {"evt_n1": "ignored_unknown_message", "evt_n2": "ignored_unknown_organization"}
    assert messages() == [] and not is_blocked(business.id, phone=contact.phone)


def test_simulated_customers_answer_and_one_sends_stop(client, app, run_jobs, business, fourcalls):
    talker = add_contact(business, name="Tal Ker", phone="+15125550131")
    stopper = add_contact(business, name="Sto Pper", phone="+15125550137")
    for contact in (talker, stopper):
        queue_message(business, contact, check_draft(business, contact, "sms", "Hi {first_name}!"))
    run_jobs()
    wait_for(lambda: len(fourcalls.webhooks(business.org_id, "message.received")) == 2)
    forward_sandbox_events(client, app, fourcalls, business.org_id, "message.received")
    run_jobs()
    replies = {m.contact_id: m.body for m in messages(direction=MessageDirection.INBOUND)}
    assert replies[talker.id].startswith("Yes please") and replies[stopper.id] == "STOP"
    assert is_blocked(business.id, phone=stopper.phone) and not is_blocked(business.id, phone=talker.phone)


def test_replies_whose_webhooks_were_lost_arrive_by_the_incremental_sync(client, app, run_jobs, business, fourcalls):
    from app.messaging.sync import sync_all_messages

    contact = add_contact(business, name="Lo St", phone="+15125550117")  # ...7: the customer answers STOP
    message = queue_message(business, contact, check_draft(business, contact, "sms", "Hello"))
    run_jobs()
    wait_for(lambda: fourcalls.webhooks(business.org_id, "message.received"))  # never forwarded: lost
    assert sync_all_messages() >= 2
    sync_all_messages()  # again: the overlap at the cursor adds nothing
    db.session.expire_all()
    assert is_blocked(business.id, phone=contact.phone)
    assert [m.body for m in messages(direction=MessageDirection.INBOUND)] == ["STOP"]
    assert db.session.get(ContactMessage, message.id).status == "delivered"


def test_an_email_unsubscribe_lists_the_address(client, app, run_jobs, business, fourcalls):
    contact = add_contact(business, name="Em Ail", phone=None, email="unsubscribe.me@example.com")
    response = send(client, business, contact, channel="email", subject="News for {first_name}", body="Hello {first_name}")
    assert response.status_code == 200
    run_jobs()
    [sent] = messages(direction=MessageDirection.OUTBOUND)
    assert sent.subject == "News for Em" and sent.remote_id
    wait_for(lambda: fourcalls.webhooks(business.org_id, "message.received"), timeout=15)
    forward_sandbox_events(client, app, fourcalls, business.org_id, "message.received")
    run_jobs()
    entry = db.session.scalar(select(DoNotContactEntry))
    assert (entry.channel, entry.value, entry.source) == ("email", "unsubscribe.me@example.com", "email_unsubscribe")
    again = send(client, business, contact, channel="email", subject="Hi", body="Still there?")
    assert again.status_code == 422 and "do-not-contact" in again.get_data(as_text=True)


# -- quiet hours ----------------------------------------------------------------------

def test_a_text_written_at_night_is_held_until_eight_in_the_recipients_zone(client, run_jobs, business, clock):
    contact = add_contact(business, phone="+15125550152", zone="America/New_York")
    clock.set(datetime(2030, 1, 15, 3, 30, tzinfo=timezone.utc))  # 22:30 in New York
    response = send(client, business, contact, channel="sms", body="See you tomorrow")
    assert response.status_code == 200
    assert "held and goes at 08:00 on Jan 15 their time" in response.get_data(as_text=True)
    [message] = messages()
    assert message.status == MessageState.HELD
    assert message.send_after == datetime(2030, 1, 15, 13, 0, tzinfo=timezone.utc)
    run_jobs()
    db.session.refresh(message)
    assert message.status == MessageState.HELD and message.remote_id is None
    clock.set(datetime(2030, 1, 15, 13, 0, 5, tzinfo=timezone.utc))
    sweep_messages()
    run_jobs()
    db.session.refresh(message)
    assert message.remote_id and message.status == MessageState.QUEUED
    # Email is not held.
    email = send(client, business, contact, channel="email", subject="Hi", body="Hello")
    assert email.status_code == 200


# -- allowance, templates, lifting a block --------------------------------------------

def test_the_monthly_allowance_is_metered_and_enforced(client, business):
    contact = add_contact(business)
    meter = next(m for m in usage.usage_summary(business) if m.service_type == usage.MESSAGES)
    assert meter.limit == 2000
    usage.set_usage(business, usage.MESSAGES, 2000)
    db.session.commit()
    response = send(client, business, contact, channel="sms", body="Hello")
    assert response.status_code == 422 and "allowance is used up" in response.get_data(as_text=True)
    assert messages() == []


def test_templates_are_checked_and_offered_in_the_composer(client, business):
    url = f"/businesses/{business.slug}/messages/templates"
    assert client.post(url, data={"name": "Bad", "body": "Hi {nick}"}).status_code == 422
    assert client.post(url, data={"name": "", "body": "Hi"}).status_code == 422
    assert client.post(url, data={"name": "Thanks", "body": "Thanks {first_name}!"}).status_code == 303
    assert client.post(url, data={"name": "Thanks", "body": "Again"}).status_code == 422
    contact = add_contact(business)
    page = client.get(f"/businesses/{business.slug}/contacts/{contact.id}").get_data(as_text=True)
    assert 'data-body="Thanks {first_name}!"' in page
    preview = client.post(f"/businesses/{business.slug}/messages/contacts/{contact.id}/preview",
                          data={"channel": "sms", "body": "Thanks {first_name}!"}).get_data(as_text=True)
    assert "1 SMS segment" in preview and "Thanks Dana!" in preview


def test_a_block_is_lifted_only_with_a_reason(client, app, run_jobs, business):
    contact = add_contact(business, phone="+15125550199")
    deliver_event(client, app, event("message.received", business.org_id, inbound("msg_l", contact.phone, "stop"), "evt_l"))
    run_jobs()
    entry = db.session.scalar(select(DoNotContactEntry))
    url = f"/businesses/{business.slug}/messages/contacts/{contact.id}/do-not-contact/{entry.id}/lift"
    client.post(url, data={"reason": "  "})
    assert is_blocked(business.id, phone=contact.phone)
    client.post(url, data={"reason": "Asked us in the shop to text again"})
    assert not is_blocked(business.id, phone=contact.phone)
    assert db.session.get(DoNotContactEntry, entry.id).lifted_reason == "Asked us in the shop to text again"


def test_packages_without_multi_channel_see_an_upgrade_offer(client, factories, logged_in_owner):
    from tests.sync_helpers import activate

    business = factories.business(owner=logged_in_owner, name="Sales Only")
    activate(business, package="ai_sales")
    page = client.get(f"/businesses/{business.slug}/messages")
    assert page.status_code == 200 and "AI Business Suite" in page.get_data(as_text=True)
    contact = add_contact(business)
    text = client.get(f"/businesses/{business.slug}/contacts/{contact.id}").get_data(as_text=True)
    assert "conversation-offer" in text and "Compare packages" in text
    assert send(client, business, contact, channel="sms", body="Hi").status_code == 403


def test_another_owner_gets_404_on_every_message_url(client, auth, factories, business):
    contact = add_contact(business)
    client.post(f"/businesses/{business.slug}/messages/templates", data={"name": "T", "body": "Hi"})
    from app.models.messaging import MessageTemplate

    template = db.session.scalar(select(MessageTemplate))
    intruder = factories.user()
    auth.logout()
    auth.login(intruder.email)
    base = f"/businesses/{business.slug}/messages"
    for method, url in (("GET", f"{base}/contacts/{contact.id}/thread"), ("POST", f"{base}/contacts/{contact.id}/send"),
                        ("POST", f"{base}/contacts/{contact.id}/preview"),
                        ("POST", f"{base}/contacts/{contact.id}/do-not-contact/{template.id}/lift"),
                        ("POST", f"{base}/templates/{template.id}/delete")):
        assert client.open(url, method=method).status_code == 404, url


def test_the_unread_badge_comes_with_the_ownership_check_and_recounts_after_reading(client, business):
    """No statement of its own on each page; opening a conversation marks it read and its
    out-of-band badge counts afresh, the other contact's message still unread."""
    import re

    from tests.sql_helpers import statements_during

    first, second = add_contact(business), add_contact(business, name="Eli Moss", phone="+15125550199")
    for contact in (first, second):
        db.session.add(ContactMessage(business_id=business.id, contact_id=contact.id, direction="inbound",
                                      channel="sms", to_address="+15551230000", from_address=contact.phone,
                                      body="Are you open?", status="received"))
    db.session.commit()
    response, statements = statements_during(lambda: client.get(f"/businesses/{business.slug}/dashboard"))
    assert re.search(r'id="unread-count" aria-label="2 unread">2<', response.get_data(as_text=True))
    assert not [s for s in statements if s.lstrip().upper().startswith("SELECT COUNT") and "contact_messages" in s]
    thread = client.get(f"/businesses/{business.slug}/messages/contacts/{first.id}/thread",
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(r'id="unread-count" hx-swap-oob="true" aria-label="1 unread">1<', thread)
