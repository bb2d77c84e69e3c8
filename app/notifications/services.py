"""notify(): record an event for each recipient and deliver it on the channels
they chose, once.

- One Notification per event and recipient (`idempotency_key` + user): the same
  event reported twice (a webhook delivered again, a sync racing it) is a no-op.
- In-app: the row itself (the bell and the notification centre read it).
- Email: `send_email` with a key per event and recipient, now; or held until
  quiet hours end; or kept for the daily digest. Urgent events skip both.
- SMS (packages with multi_channel, a number on file): sent through 4calls by
  a job after commit, retried; failures stay visible with a Retry button.
"""
from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from sqlalchemy import func, select, update

from app.extensions import db
from app.jobs.after_commit import enqueue_after_commit
from app.models import (Business, DeliveryStatus, Notification, NotificationDelivery, NotificationSettings,
                        OutboundEmail, User)
from app.models.base import utcnow
from app.notifications.events import CHANNELS, event_kind
from app.timezones import local_wall_time, to_local

log = logging.getLogger(__name__)


def recipients_for(business: Business) -> list[User]:
    """Who hears about the business's events. Today the owner; team members
    join here once teams exist (one function, so every event follows)."""
    return [business.owner] if business.owner is not None else []


def settings_for(business: Business, user: User) -> NotificationSettings:
    """The recipient's settings, with defaults (not yet added) when none are saved."""
    settings = db.session.scalar(select(NotificationSettings).where(
        NotificationSettings.business_id == business.id, NotificationSettings.user_id == user.id))
    if settings is None:
        settings = NotificationSettings(business_id=business.id, user_id=user.id, channels={}, digest=False,
                                        digest_hour=8, quiet_hours=False, quiet_start="21:00", quiet_end="07:00")
    return settings


def channels_for(settings: NotificationSettings, kind: str) -> set[str]:
    chosen = (settings.channels or {}).get(kind)
    if chosen is None:
        chosen = event_kind(kind).default_channels
    return {c for c in chosen if c in CHANNELS}


def sms_allowed(business: Business) -> bool:
    from app.packages.catalog import get_package

    integration = business.integration
    package = get_package(integration.service_package) if integration else None
    return bool(package and package.has("multi_channel"))


# ------------------------------------------------------------------ quiet hours


def _minutes(clock: str) -> int:
    hour, minute = clock.split(":")
    return int(hour) * 60 + int(minute)


def in_quiet_hours(settings: NotificationSettings, business: Business, moment: datetime) -> bool:
    if not settings.quiet_hours:
        return False
    local = to_local(moment, business)
    now, start, end = local.hour * 60 + local.minute, _minutes(settings.quiet_start), _minutes(settings.quiet_end)
    if start == end:
        return False
    return start <= now < end if start < end else (now >= start or now < end)


def quiet_hours_end(settings: NotificationSettings, business: Business, moment: datetime) -> datetime:
    """The next end of quiet hours after `moment`, as a UTC instant."""
    local = to_local(moment, business)
    hour, minute = (int(part) for part in settings.quiet_end.split(":"))
    candidate = local_wall_time(business, local.date(), time(hour, minute))
    if candidate <= moment:
        candidate = local_wall_time(business, local.date() + timedelta(days=1), time(hour, minute))
    return candidate


# ------------------------------------------------------------------ notify


def notify(business: Business, event_kind_key: str, *, title: str, body: str = "", link: str | None = None,
           urgent: bool | None = None, idempotency_key: str) -> list[Notification]:
    """Tell the business's recipients about one event (in the caller's
    transaction; the caller commits). Returns the notifications created now
    (none when the event was already notified)."""
    kind = event_kind(event_kind_key)
    urgent = kind.always_urgent if urgent is None else (urgent or kind.always_urgent)
    now = utcnow()
    created = []
    for user in recipients_for(business):
        exists = db.session.scalar(select(Notification.id).where(
            Notification.user_id == user.id, Notification.idempotency_key == idempotency_key))
        if exists is not None:
            continue
        settings = settings_for(business, user)
        channels = channels_for(settings, kind.key)
        notification = Notification(business_id=business.id, user_id=user.id, kind=kind.key, title=title[:200],
                                    body=body or "", link=link, urgent=urgent, in_app="in_app" in channels,
                                    idempotency_key=idempotency_key)
        db.session.add(notification)
        db.session.flush()
        if "email" in channels and user.email:
            _plan(business, settings, notification, "email", user.email, now)
        if "sms" in channels and settings.sms_number and sms_allowed(business):
            _plan(business, settings, notification, "sms", settings.sms_number, now)
        created.append(notification)
    return created


def _plan(business, settings, notification: Notification, channel: str, destination: str, now: datetime) -> None:
    delivery = NotificationDelivery(notification_id=notification.id, channel=channel, destination=destination,
                                    status=DeliveryStatus.QUEUED, attempts=0)
    notification.deliveries.append(delivery)
    if not notification.urgent and settings.digest:
        delivery.status = DeliveryStatus.DIGEST
    elif not notification.urgent and in_quiet_hours(settings, business, now):
        delivery.status = DeliveryStatus.HELD
        delivery.due_at = quiet_hours_end(settings, business, now)
    else:
        dispatch(delivery)


def dispatch(delivery: NotificationDelivery) -> None:
    """Send a delivery now: email into the mail path, SMS to its job after commit."""
    notification = delivery.notification
    delivery.status = DeliveryStatus.QUEUED
    delivery.due_at = None
    if delivery.channel == "email":
        from app.mail import send_email

        business = db.session.get(Business, notification.business_id)
        key = f"notify:{notification.idempotency_key}:{notification.user_id}:email"
        email = send_email(delivery.destination, "notifications/event", business=business,
                           idempotency_key=key, notification=notification)
        db.session.flush()
        # An email already sent under this key (the same event, recorded before) is this delivery's email.
        delivery.outbound_email_id = email.id if email is not None else db.session.scalar(
            select(OutboundEmail.id).where(OutboundEmail.idempotency_key == key))
    else:
        db.session.flush()
        enqueue_after_commit("app.notifications.jobs.send_sms_job", delivery.id, job_id=f"notify-sms:{delivery.id}")


# ------------------------------------------------------------------ reading


def unread_count(business: Business, user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.business_id == business.id, Notification.user_id == user.id,
        Notification.in_app.is_(True), Notification.read_at.is_(None))) or 0


def recent(business: Business, user: User, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.business_id == business.id, Notification.user_id == user.id)
        .order_by(Notification.created_at.desc()).limit(limit)))


def notification_or_none(business: Business, user: User, notification_id) -> Notification | None:
    return db.session.scalar(select(Notification).where(
        Notification.id == notification_id, Notification.business_id == business.id, Notification.user_id == user.id))


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()


def mark_all_read(business: Business, user: User) -> int:
    result = db.session.execute(
        update(Notification).where(Notification.business_id == business.id, Notification.user_id == user.id,
                                   Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    return result.rowcount


def delivery_state(delivery: NotificationDelivery) -> tuple[str, str | None]:
    """(status, error) as the owner sees it; email follows its OutboundEmail."""
    if delivery.channel == "email" and delivery.email is not None:
        return delivery.email.status, delivery.email.error
    return delivery.status, delivery.last_error


def delivery_attempts(delivery: NotificationDelivery) -> int:
    if delivery.channel == "email" and delivery.email is not None:
        return delivery.email.attempts
    return delivery.attempts
