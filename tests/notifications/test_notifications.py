"""notify(): once per event and recipient, preferences per event and channel,
quiet hours in the business's zone (urgent events excepted), the daily digest,
the centre, the top-bar count and the events other areas report."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import DeliveryStatus, Notification, NotificationDelivery, NotificationSettings, OutboundEmail
from app.notifications import notify
from app.notifications.delivery import release_held, send_digests


@pytest.fixture
def shop(factories, logged_in_owner):
    return factories.business(owner=logged_in_owner, name="Notify Nails", timezone="America/Chicago")


def emails(template="notifications/event") -> list[OutboundEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundEmail).where(OutboundEmail.template == template)))


def settings(business, owner, **values) -> NotificationSettings:
    row = NotificationSettings(business_id=business.id, user_id=owner.id, channels={}, **values)
    db.session.add(row)
    db.session.commit()
    return row


def test_one_notification_and_one_email_per_event_and_recipient(shop, logged_in_owner, run_jobs, clock):
    for _ in range(2):
        notify(shop, "new_lead", title="New lead: Dana", body="Wants a quote", idempotency_key="lead:l1")
        db.session.commit()
    run_jobs()
    [notification] = db.session.scalars(select(Notification)).all()
    assert notification.user_id == logged_in_owner.id and notification.kind == "new_lead" and not notification.urgent
    [email] = emails()
    assert email.to_address == logged_in_owner.email and email.status == "sent" and "New lead: Dana" in email.subject


def test_unknown_event_kind_is_a_programming_error(shop):
    with pytest.raises(ValueError):
        notify(shop, "nonsense", title="x", idempotency_key="x")


def test_quiet_hours_hold_email_until_they_end_but_urgent_goes_at_once(client, shop, logged_in_owner, run_jobs, clock):
    settings(shop, logged_in_owner, quiet_hours=True, quiet_start="21:00", quiet_end="07:00")
    clock.set(datetime(2027, 3, 4, 5, 0, tzinfo=timezone.utc))  # 23:00 in Chicago
    notify(shop, "ai_booking", title="Booked", idempotency_key="booking:b1")
    notify(shop, "urgent_call", title="Burst pipe", idempotency_key="urgent:c1")
    db.session.commit()
    run_jobs()
    held = db.session.scalar(select(NotificationDelivery).join(Notification).where(Notification.kind == "ai_booking"))
    assert held.status == DeliveryStatus.HELD and held.due_at == datetime(2027, 3, 4, 13, 0, tzinfo=timezone.utc)
    assert [e.subject for e in emails()] == ["URGENT: Burst pipe · Notify Nails"]
    centre = client.get(f"/businesses/{shop.slug}/notifications")
    assert b"held for quiet hours until 07:00" in centre.data

    clock.set(datetime(2027, 3, 4, 12, 59, tzinfo=timezone.utc))
    assert release_held() == 0
    clock.set(datetime(2027, 3, 4, 13, 1, tzinfo=timezone.utc))  # 07:01 in Chicago
    assert release_held() == 1
    run_jobs()
    assert sorted(e.subject for e in emails()) == ["Booked · Notify Nails", "URGENT: Burst pipe · Notify Nails"]


def test_daily_digest_instead_of_instant_email(client, shop, logged_in_owner, run_jobs, clock):
    settings(shop, logged_in_owner, digest=True, digest_hour=8)
    clock.set(datetime(2027, 3, 4, 3, 0, tzinfo=timezone.utc))  # 21:00 in Chicago the day before
    notify(shop, "new_lead", title="Lead A", idempotency_key="lead:a")
    notify(shop, "message_taken", title="Message B", idempotency_key="msg:b")
    notify(shop, "urgent_call", title="Urgent C", idempotency_key="urgent:c")
    db.session.commit()
    run_jobs()
    assert [e.subject for e in emails()] == ["URGENT: Urgent C · Notify Nails"]
    assert b"in the next daily digest" in client.get(f"/businesses/{shop.slug}/notifications").data
    assert send_digests() == 0  # not yet 08:00 in Chicago
    clock.set(datetime(2027, 3, 4, 14, 5, tzinfo=timezone.utc))  # 08:05
    assert send_digests() == 1
    assert send_digests() == 0  # once a day
    run_jobs()
    [digest] = emails("notifications/digest")
    assert "2 updates" in digest.subject and "Lead A" in digest.text_body and "Message B" in digest.text_body
    assert "Urgent C" not in digest.text_body


def test_preferences_per_event_and_channel(client, shop, logged_in_owner, run_jobs):
    url = f"/businesses/{shop.slug}/notifications/settings"
    page = client.get(url)
    assert page.status_code == 200 and b"new_lead__email" in page.data
    bad = client.post(url, data={"quiet_start": "9pm", "quiet_end": "07:00", "sms_number": "call me"})
    assert bad.status_code == 422 and b"24-hour time" in bad.data and b"not a phone number" in bad.data
    assert db.session.scalar(select(func.count()).select_from(NotificationSettings)) == 0
    saved = client.post(url, data={"new_lead__in_app": "1", "message_taken__email": "1", "quiet_start": "21:00",
                                   "quiet_end": "07:00", "digest_hour": "8"})
    assert saved.status_code == 302
    notify(shop, "new_lead", title="Lead only in app", idempotency_key="lead:x")
    notify(shop, "message_taken", title="Message only by email", idempotency_key="msg:x")
    db.session.commit()
    run_jobs()
    assert [e.subject for e in emails()] == ["Message only by email · Notify Nails"]
    hidden = db.session.scalar(select(Notification).where(Notification.kind == "message_taken"))
    assert hidden.in_app is False


def test_centre_bell_and_mark_read(client, shop, logged_in_owner, run_jobs):
    notify(shop, "message_taken", title="Call back Sam", body="About the invoice", idempotency_key="msg:1")
    notify(shop, "urgent_call", title="Forwarded: flood", idempotency_key="urgent:1")
    db.session.commit()
    run_jobs()
    bell = client.get(f"/businesses/{shop.slug}/notifications/count")
    assert b'data-unread="2"' in bell.data
    page = client.get(f"/businesses/{shop.slug}/assistant")
    assert b'id="notification-bell"' in page.data
    centre = client.get(f"/businesses/{shop.slug}/notifications")
    assert b"Call back Sam" in centre.data and b"Forwarded: flood" in centre.data and b'data-state="sent"' in centre.data
    client.post(f"/businesses/{shop.slug}/notifications/read-all")
    assert b"data-unread" not in client.get(f"/businesses/{shop.slug}/notifications/count").data


def test_another_owner_cannot_read_or_retry(client, auth, factories, shop, logged_in_owner, run_jobs):
    [notification] = notify(shop, "new_lead", title="Secret lead", idempotency_key="lead:s")
    db.session.commit()
    delivery_id = notification.deliveries[0].id
    intruder = factories.user()
    auth.logout()
    auth.login(intruder.email)
    assert client.post(f"/businesses/{shop.slug}/notifications/{notification.id}/read").status_code == 404
    assert client.post(f"/businesses/{shop.slug}/notifications/deliveries/{delivery_id}/retry").status_code == 404
    own = factories.business(owner=intruder, name="Intruder Inn")
    assert client.post(f"/businesses/{own.slug}/notifications/{notification.id}/read").status_code == 404
    assert client.post(f"/businesses/{own.slug}/notifications/deliveries/{delivery_id}/retry").status_code == 404


def test_failed_email_is_visible_and_can_be_retried(client, app, shop, logged_in_owner, run_jobs):
    app.config["MAIL_BACKEND"] = "broken"
    try:
        notify(shop, "payment_failed", title="Payment of $49.00 failed", idempotency_key="pay:1")
        db.session.commit()
        run_jobs()
        centre = client.get(f"/businesses/{shop.slug}/notifications")
        assert b'data-state="failed"' in centre.data and b"Retry" in centre.data and b"4 attempts" in centre.data
    finally:
        app.config["MAIL_BACKEND"] = "outbox"
    delivery = db.session.scalar(select(NotificationDelivery))
    assert client.post(f"/businesses/{shop.slug}/notifications/deliveries/{delivery.id}/retry").status_code == 302
    run_jobs()
    assert emails()[0].status == "sent"


def test_usage_threshold_payment_failure_and_lead_events_notify_once(shop, logged_in_owner, run_jobs):
    from datetime import datetime as dt

    from app.billing.webhooks import _notify_payment_failed
    from app.usage.notices import note_thresholds

    period = dt(2027, 3, 1, tzinfo=timezone.utc)
    note_thresholds(shop, "inbound_minutes", period, 390, 410, 500)
    note_thresholds(shop, "inbound_minutes", period, 390, 410, 500)
    _notify_payment_failed(shop, {"id": "in_1", "amount_due": 4900, "attempt_count": 1})
    _notify_payment_failed(shop, {"id": "in_1", "amount_due": 4900, "attempt_count": 1})
    db.session.commit()
    kinds = sorted(n.kind for n in db.session.scalars(select(Notification)))
    assert kinds == ["payment_failed", "usage_threshold"]
    usage = db.session.scalar(select(Notification).where(Notification.kind == "usage_threshold"))
    assert usage.title == "You have used 80 % of your 500 inbound minutes"



def test_emails_render_in_a_job_without_a_request(app, shop, logged_in_owner):
    """Webhook and sweep jobs notify with no request (current_user is None there)."""
    import threading

    from flask import has_request_context

    outcome = {}

    def job(business_id):
        with app.app_context():
            assert not has_request_context()
            from app.models import Business

            try:
                business = db.session.get(Business, business_id)
                [notification] = notify(business, "ai_booking", title="Booked by the AI", idempotency_key="booking:job")
                db.session.commit()
                outcome["email"] = notification.deliveries[0].outbound_email_id
            except Exception as exc:  # reported below, in the test's thread
                outcome["error"] = exc
            finally:
                db.session.remove()

    worker = threading.Thread(target=job, args=(shop.id,))
    worker.start()
    worker.join()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["email"] is not None
