"""Messages taken, captured from call data (webhooks and sync share the path):
one per call, on the contact's timeline, in the inbox; only fresh calls notify."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from app.extensions import db
from app.models import Contact, Notification, TakenMessage
from app.crm_sync.upserts import apply_remote_calls


def iso(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def call_row(call_id="call_m1", ended=None, urgency="normal", contact_id="con_1"):
    ended = ended or datetime.now(timezone.utc)
    return {"id": call_id, "direction": "inbound", "caller_name": "Rosa Diaz", "caller_number": "+15125550123",
            "contact_id": contact_id, "started_at": iso(ended - timedelta(seconds=40)), "ended_at": iso(ended),
            "duration_seconds": 40, "status": "answered", "outcome": "message", "transcript": [], "summary": "s",
            "sentiment": "neutral", "updated_at": iso(ended), "forwarding": None,
            "message_taken": {"caller_name": "Rosa Diaz", "caller_number": "+15125550123",
                              "text": "Please call me about the leak.", "urgency": urgency, "callback_requested": True}}


def test_one_message_per_call_on_the_timeline_and_in_the_inbox(client, factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner, name="Timeline Taps")
    contact = Contact(business_id=business.id, remote_id="con_1", name="Rosa Diaz", phone="+15125550123")
    db.session.add(contact)
    db.session.commit()
    for _ in range(2):
        apply_remote_calls(business, [call_row(urgency="urgent")])
        db.session.commit()
    [message] = db.session.scalars(select(TakenMessage)).all()
    assert message.contact_id == contact.id and message.urgency == "urgent" and message.call_id is not None
    [notification] = db.session.scalars(select(Notification)).all()
    assert notification.urgent and notification.title == "Urgent message from Rosa Diaz"

    detail = client.get(f"/businesses/{business.slug}/contacts/{contact.id}")
    assert b"Message taken" in detail.data and b"Please call me about the leak." in detail.data
    inbox = client.get(f"/businesses/{business.slug}/messages-taken?which=urgent")
    assert b"Please call me about the leak." in inbox.data


def test_old_calls_from_a_first_import_record_messages_without_notifying(factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner, name="Import Inn")
    apply_remote_calls(business, [call_row("call_old", ended=datetime.now(timezone.utc) - timedelta(days=3))])
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(TakenMessage)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_inbox_filters_read_and_handled(client, factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner, name="Inbox Inn")
    apply_remote_calls(business, [call_row("call_a", contact_id=None), call_row("call_b", contact_id=None)])
    db.session.commit()
    first, second = db.session.scalars(select(TakenMessage).order_by(TakenMessage.call_remote_id)).all()
    base = f"/businesses/{business.slug}/messages-taken"
    assert b'data-count="unread">Unread <span class="badge bad">2' in client.get(base).data
    client.post(f"{base}/{first.id}/read")
    client.post(f"{base}/{second.id}/handled", data={"handled": "1"})
    page = client.get(base).data
    assert b'data-count="unread">Unread <span class="badge ">0' in page and b'data-count="handled">Handled <span class="badge ">1' in page
    client.post(f"{base}/{second.id}/handled", data={"handled": "0"})
    db.session.expire_all()
    assert db.session.get(TakenMessage, second.id).handled_at is None


def test_another_owner_gets_404_on_message_urls(client, auth, factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner, name="Private Plumbing")
    apply_remote_calls(business, [call_row("call_p", contact_id=None)])
    db.session.commit()
    message = db.session.scalar(select(TakenMessage))
    auth.logout()
    intruder = factories.user()
    auth.login(intruder.email)
    own = factories.business(owner=intruder, name="Intruder Plumbing")
    for slug in (business.slug, own.slug):
        for action in ("read", "handled"):
            assert client.post(f"/businesses/{slug}/messages-taken/{message.id}/{action}").status_code == 404
    assert client.get(f"/businesses/{business.slug}/messages-taken").status_code == 404
