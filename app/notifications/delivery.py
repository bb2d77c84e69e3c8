"""Getting notifications out: SMS through 4calls, held deliveries after quiet
hours, the daily digest, and the owner's Retry."""
from __future__ import annotations

import uuid
from datetime import time, timedelta

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import (Business, DeliveryStatus, EmailStatus, Notification, NotificationDelivery, NotificationSettings,
                        OutboundEmail, User)
from app.models.base import utcnow
from app.notifications.services import dispatch
from app.timezones import local_today, local_wall_time

SMS_LIMIT = 320
CONFIRM_WINDOW = timedelta(hours=1)


class SmsRetryable(RuntimeError):
    """4calls could not take the SMS just now; the job retries."""


def sms_text(notification: Notification) -> str:
    text = f"{notification.title}. {notification.body}".strip()
    return text if len(text) <= SMS_LIMIT else text[: SMS_LIMIT - 1] + "…"


def send_sms(delivery_id) -> str:
    from app.fourcalls import FourCallsError, plain_words
    from app.assistant.connection import organization_client

    delivery = db.session.get(NotificationDelivery, uuid.UUID(str(delivery_id)))
    if delivery is None or delivery.channel != "sms" or delivery.status != DeliveryStatus.QUEUED:
        return "skipped"
    business = db.session.get(Business, delivery.notification.business_id)
    delivery.attempts += 1
    try:
        client = organization_client(business)
        message = client.send_message(client.organization_id, {
            "channel": "sms", "to": delivery.destination, "body": sms_text(delivery.notification)},
            # A retry after a carrier failure is a new text; retries of one attempt are not.
            idempotency_key=f"alphasite:notification:{delivery.id}:sms:{delivery.retry_round}")
    except FourCallsError as exc:
        delivery.last_error = plain_words(exc)
        final = not exc.retryable or delivery.attempts > len(current_app.config["JOB_RETRY_INTERVALS"])
        if final:
            delivery.status = DeliveryStatus.FAILED
        db.session.commit()
        if final:
            return "failed"
        raise SmsRetryable(delivery.last_error) from exc
    delivery.remote_message_id = message.get("id")
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = utcnow()
    delivery.last_error = None
    db.session.commit()
    return "sent"


def confirm_sms_outcomes() -> int:
    """Sent SMS the carrier later refused (4calls marks them failed) become
    visible failures the owner can retry."""
    from app.fourcalls import FourCallsError
    from app.assistant.connection import organization_client

    since = utcnow() - CONFIRM_WINDOW
    rows = db.session.scalars(select(NotificationDelivery).where(
        NotificationDelivery.channel == "sms", NotificationDelivery.status == DeliveryStatus.SENT,
        NotificationDelivery.sent_at >= since, NotificationDelivery.remote_message_id.is_not(None))).all()
    failed = 0
    for delivery in rows:
        business = db.session.get(Business, delivery.notification.business_id)
        try:
            client = organization_client(business)
            message = client.get_message(client.organization_id, delivery.remote_message_id)
        except FourCallsError:
            continue
        if message.get("status") == "failed":
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = message.get("error") or "The carrier did not deliver the text."
            failed += 1
    db.session.commit()
    return failed


def release_held() -> int:
    """Deliveries held for quiet hours whose hours are over go out now."""
    rows = db.session.scalars(select(NotificationDelivery).where(
        NotificationDelivery.status == DeliveryStatus.HELD, NotificationDelivery.due_at <= utcnow())).all()
    for delivery in rows:
        dispatch(delivery)
    db.session.commit()
    return len(rows)


def send_digests() -> int:
    """Once a day at the recipient's digest hour (business time), one email
    listing what was kept for the digest until then; later events wait for
    the next day's digest."""
    from app.mail import send_email

    sent, now = 0, utcnow()
    for settings in db.session.scalars(select(NotificationSettings).where(NotificationSettings.digest.is_(True))).all():
        business = db.session.get(Business, settings.business_id)
        user = db.session.get(User, settings.user_id)
        if business is None or user is None:
            continue
        digest_time = local_wall_time(business, local_today(business), time(settings.digest_hour, 0))
        if now < digest_time:
            continue
        waiting = db.session.scalars(
            select(NotificationDelivery).join(Notification)
            .where(Notification.business_id == business.id, Notification.user_id == user.id,
                   NotificationDelivery.status == DeliveryStatus.DIGEST, Notification.created_at < digest_time)
            .order_by(Notification.created_at)).all()
        if not waiting:
            continue
        day = local_today(business)
        notifications = list(dict.fromkeys(d.notification for d in waiting))
        email = send_email(user.email, "notifications/digest", business=business,
                           idempotency_key=f"notify-digest:{business.id}:{user.id}:{day.isoformat()}",
                           notifications=notifications, day=day)
        if email is None:
            continue  # today's digest already went out; these wait for tomorrow's
        db.session.flush()
        for delivery in waiting:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = utcnow()
            delivery.outbound_email_id = email.id if delivery.channel == "email" else None
        sent += 1
    db.session.commit()
    return sent


def retry_delivery(delivery: NotificationDelivery) -> bool:
    """The owner's Retry on a failed delivery. Returns False when it was not failed."""
    from app.jobs import enqueue

    if delivery.channel == "email" and delivery.email is not None:
        email: OutboundEmail = delivery.email
        if email.status != EmailStatus.FAILED:
            return False
        email.status = EmailStatus.QUEUED
        email.attempts = 0
        db.session.commit()
        enqueue("app.mail.jobs.deliver_email_job", str(email.id), job_id=f"email:{email.id}:retry")
        return True
    if delivery.status != DeliveryStatus.FAILED:
        return False
    delivery.status = DeliveryStatus.QUEUED
    delivery.attempts = 0
    delivery.retry_round += 1
    delivery.remote_message_id = None
    db.session.commit()
    enqueue("app.notifications.jobs.send_sms_job", str(delivery.id), job_id=f"notify-sms:{delivery.id}:retry")
    return True


