"""SMS notifications through 4calls messages: only on packages with SMS,
retried while 4calls is down, carrier failures visible and retryable."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.assistant import provisioning
from app.models import DeliveryStatus, NotificationDelivery, NotificationSettings
from app.notifications import notify
from app.notifications.delivery import confirm_sms_outcomes

pytestmark = pytest.mark.integration


def with_sms_number(business, owner, number):
    db.session.add(NotificationSettings(business_id=business.id, user_id=owner.id, channels={}, sms_number=number))
    db.session.commit()


def sms_delivery() -> NotificationDelivery | None:
    db.session.expire_all()
    return db.session.scalar(select(NotificationDelivery).where(NotificationDelivery.channel == "sms"))


def test_sms_only_on_packages_with_sms(factories, logged_in_owner, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Texting Salon")
    provisioning.activate_package(business, "ai_receptionist", "test")
    run_jobs()
    with_sms_number(business, logged_in_owner, "+15125550177")
    notify(business, "urgent_call", title="Forwarded", idempotency_key="urgent:1")
    db.session.commit()
    run_jobs()
    assert sms_delivery() is None


def test_urgent_sms_sent_and_a_carrier_failure_is_visible_and_retried(client, factories, logged_in_owner, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Texting Suite")
    provisioning.activate_package(business, "ai_business_suite", "test")
    run_jobs()
    with_sms_number(business, logged_in_owner, "+15125550000")  # the sandbox's carrier rejects ...0000
    notify(business, "urgent_call", title="Urgent call from Dana missed", body="Burst pipe", idempotency_key="urgent:2")
    db.session.commit()
    run_jobs()
    delivery = sms_delivery()
    assert delivery.status == DeliveryStatus.SENT and delivery.remote_message_id.startswith("msg_")
    deadline = time.monotonic() + 10
    while confirm_sms_outcomes() == 0 and time.monotonic() < deadline:
        time.sleep(0.2)  # the sandbox settles texts 1.5 s after sending (real time, outside our clock)
    delivery = sms_delivery()
    assert delivery.status == DeliveryStatus.FAILED and "unreachable" in delivery.last_error
    centre = client.get(f"/businesses/{business.slug}/notifications")
    assert b'data-channel="sms" data-state="failed"' in centre.data and b"unreachable" in centre.data

    first_text = delivery.remote_message_id
    assert client.post(f"/businesses/{business.slug}/notifications/deliveries/{delivery.id}/retry").status_code == 302
    run_jobs()
    retried = sms_delivery()
    assert retried.status == DeliveryStatus.SENT and retried.retry_round == 1
    assert retried.remote_message_id != first_text  # a new text, not a replay


def test_sms_retries_while_4calls_is_down_then_shows_the_failure(factories, logged_in_owner, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Down Suite")
    provisioning.activate_package(business, "ai_business_suite", "test")
    run_jobs()
    with_sms_number(business, logged_in_owner, "+15125550178")
    fourcalls.set_faults(error_rate=1.0)
    try:
        notify(business, "urgent_call", title="Forwarded", idempotency_key="urgent:3")
        db.session.commit()
        run_jobs()
    finally:
        fourcalls.clear_faults()
    delivery = sms_delivery()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 4
    assert "did not respond" in delivery.last_error or "unavailable" in delivery.last_error
