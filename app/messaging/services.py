"""Sending SMS and email through 4calls messages, exactly once.

A message is stored first with a fixed idempotency key, then sent by a job.
Every path that sends it again (the client's retries on 5xx/429, the queue's
retries, the recurring sweep) presents the same key, so 4calls creates it
once. Statuses move only forward (MessageState.RANK), so webhooks and polls
arriving late or twice cannot undo a newer status.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import bindparam, func, select

from app.do_not_contact.services import is_blocked
from app.extensions import db
from app.fourcalls import Conflict, FourCallsError, NotProvisioned, ValidationError, plain_words
from app.assistant.connection import organization_client
from app.jobs.after_commit import after_commit
from app.messaging.compose import Draft, DraftError
from app.messaging.quiet_hours import held_until
from app.models import Business, Contact
from app.models.base import utcnow
from app.models.messaging import ContactMessage, MessageDirection, MessagePurpose, MessageState
from app.crm_sync.upserts import parse_timestamp
from app.timezones import format_local, recipient_zone
from app.usage import services as usage

EARLY_SECONDS = 30
RESEND_AFTER = timedelta(minutes=1)  # a stored message 4calls has not confirmed by then is sent again
FOLLOW_AFTER = timedelta(seconds=5)


def blocked_reason(business, channel: str, to: str) -> str | None:
    if is_blocked(business.id, phone=to if channel == "sms" else None, email=to if channel == "email" else None):
        return f"{to} is on your do-not-contact list."
    return None


def queue_message(business: Business, contact: Contact | None, draft: Draft, *,
                  purpose: str = MessagePurpose.MANUAL, actor=None) -> ContactMessage:
    """Store the message (held for quiet hours when needed), meter it and queue
    its send. DraftError when it may not go at all; nothing is stored then."""
    reason = blocked_reason(business, draft.channel, draft.to)
    if reason:
        raise DraftError({"channel": reason + " Lift the block first if they asked to hear from you again."})
    if not usage.check_usage_limit(business, usage.MESSAGES):
        raise DraftError({"body": usage.limit_message(business, usage.MESSAGES)})
    now = utcnow()
    hold = held_until(contact, business, draft.channel, now)
    message_id = uuid.uuid4()
    message = ContactMessage(
        id=message_id, business_id=business.id, contact_id=contact.id if contact else None,
        direction=MessageDirection.OUTBOUND, channel=draft.channel, purpose=purpose, to_address=draft.to,
        subject=draft.subject, body=draft.body, status=MessageState.HELD if hold else MessageState.QUEUED,
        send_after=hold, idempotency_key=f"alphasite-msg-{message_id}",
        sent_by_user_id=actor.id if actor is not None and getattr(actor, "is_authenticated", False) else None,
    )
    db.session.add(message)
    usage.record_usage(business, usage.MESSAGES)
    if contact is not None:
        contact.last_interaction_at = now
    delay = (hold - now) if hold else None
    after_commit(lambda: _queue_send(str(message_id), delay))
    db.session.commit()
    return message


def hold_notice(message: ContactMessage, business, contact) -> str:
    """What the owner is told about a held message."""
    zone = recipient_zone(contact, business)
    return (f"It is outside 08:00–21:00 for the recipient ({zone.key}), so the text is held and goes at "
            f"{format_local(message.send_after, zone, '%H:%M on %b %-d')} their time "
            f"({format_local(message.send_after, business, '%H:%M on %b %-d')} yours).")


def _queue_send(message_id: str, delay: timedelta | None = None, suffix: str = "") -> None:
    from app.jobs import enqueue

    enqueue("app.messaging.jobs.send_message_job", message_id, job_id=f"message-send:{message_id}{suffix}", delay=delay)


def send_message(message_id) -> str:
    message = db.session.get(ContactMessage, uuid.UUID(str(message_id)))
    if message is None or message.direction != MessageDirection.OUTBOUND:
        return "gone"
    if message.remote_id or message.status not in (MessageState.QUEUED, MessageState.HELD):
        return "nothing to do"
    now = utcnow()
    if message.status == MessageState.HELD and message.send_after and message.send_after > now + timedelta(seconds=EARLY_SECONDS):
        return "not due"
    business = db.session.get(Business, message.business_id)
    contact = db.session.get(Contact, message.contact_id) if message.contact_id else None
    reason = blocked_reason(business, message.channel, message.to_address)
    if reason:
        message.status, message.error = MessageState.BLOCKED, reason + " It was not sent."
        db.session.commit()
        return "blocked"
    hold = held_until(contact, business, message.channel, now)
    if hold and message.status == MessageState.QUEUED and message.attempts == 0:
        # Written in the day, still waiting past 21:00 (4calls was down): wait for the morning.
        message.status, message.send_after = MessageState.HELD, hold
        after_commit(lambda: _queue_send(str(message.id), hold - now, ":morning"))
        db.session.commit()
        return "held"
    message.status = MessageState.QUEUED
    message.attempts += 1
    payload = {"channel": message.channel, "to": message.to_address, "body": message.body}
    if message.subject and message.channel == "email":
        payload["subject"] = message.subject
    if contact is not None and contact.remote_id:
        payload["contact_id"] = contact.remote_id
    try:
        client = organization_client(business)
        remote = client.send_message(client.organization_id, payload, idempotency_key=message.idempotency_key)
    except (ValidationError, NotProvisioned) as exc:
        message.status, message.error = MessageState.FAILED, plain_words(exc)[:1000]
        db.session.commit()
        return "failed"
    except Conflict as exc:
        if exc.reason == "idempotency_key_reused":
            message.status, message.error = MessageState.FAILED, plain_words(exc)[:1000]
            db.session.commit()
            return "failed"
        message.error = plain_words(exc)[:1000]
        db.session.commit()
        raise  # the same request is still in flight at 4calls: ask again later
    except FourCallsError as exc:
        message.error = plain_words(exc)[:1000]
        db.session.commit()
        raise  # retried with the same key by the queue, then by the sweep
    message.remote_id = remote["id"]
    message.error = None
    message.sent_at = now
    apply_remote_status(message, remote)
    db.session.commit()
    return message.status


def apply_remote_status(message: ContactMessage, remote: dict) -> bool:
    """Move the local status forward to 4calls' (never back). The caller commits."""
    status = remote.get("status")
    if status not in MessageState.RANK or status == MessageState.RECEIVED:
        return False
    if message.status in MessageState.FINAL or MessageState.RANK[status] <= MessageState.RANK.get(message.status, 0):
        return False
    message.status = status
    if status == MessageState.FAILED:
        message.error = (remote.get("error") or "4calls could not deliver the message.")[:1000]
    if status == MessageState.DELIVERED:
        message.delivered_at = parse_timestamp(remote.get("delivered_at")) or utcnow()
    return True


def apply_status_event(business: Business, remote: dict) -> str:
    message = db.session.scalar(select(ContactMessage).where(ContactMessage.business_id == business.id,
                                                             ContactMessage.remote_id == remote.get("id")))
    if message is None:
        return "ignored_unknown_message"
    changed = apply_remote_status(message, remote)
    db.session.commit()
    return "applied" if changed else "no_change"


def sweep_messages(limit: int = 500) -> dict:
    """Recurring: send held messages that are due and stored ones 4calls never
    confirmed (same idempotency key), and ask 4calls about deliveries in flight."""
    now = utcnow()
    due = db.session.scalars(select(ContactMessage.id).where(
        ContactMessage.direction == MessageDirection.OUTBOUND, ContactMessage.remote_id.is_(None),
        ((ContactMessage.status == MessageState.HELD) & (ContactMessage.send_after <= now))
        | ((ContactMessage.status == MessageState.QUEUED) & (ContactMessage.updated_at <= now - RESEND_AFTER)),
    ).limit(limit)).all()
    for message_id in due:
        _queue_send(str(message_id), suffix=":sweep")
    waiting = db.session.scalars(select(ContactMessage).where(
        ContactMessage.direction == MessageDirection.OUTBOUND, ContactMessage.remote_id.is_not(None),
        ContactMessage.status.in_((MessageState.QUEUED, MessageState.SENT)),
        ContactMessage.updated_at <= now - FOLLOW_AFTER,
    ).limit(limit)).all()
    followed = 0
    for message in waiting:
        try:
            business = db.session.get(Business, message.business_id)
            client = organization_client(business)
            remote = client.get_message(client.organization_id, message.remote_id)
        except FourCallsError:
            db.session.rollback()
            continue
        if apply_remote_status(message, remote):
            followed += 1
        message.updated_at = now
        db.session.commit()
    return {"sends_queued": len(due), "deliveries_updated": followed}


def thread(business, contact, limit: int = 200) -> list[ContactMessage]:
    return list(db.session.scalars(
        select(ContactMessage).where(ContactMessage.business_id == business.id,
                                     ContactMessage.contact_id == contact.id)
        .order_by(ContactMessage.created_at.desc()).limit(limit)))[::-1]


def mark_read(business, contact) -> int:
    unread = db.session.scalars(select(ContactMessage).where(
        ContactMessage.business_id == business.id, ContactMessage.contact_id == contact.id,
        ContactMessage.direction == MessageDirection.INBOUND, ContactMessage.read_at.is_(None))).all()
    for message in unread:
        message.read_at = utcnow()
    if unread:
        db.session.commit()
        _prefetched_unread().pop(business.id, None)  # the nav counts again after this
    return len(unread)


def _count_unread(business_id):
    """Customers' messages to the business not yet read (`business_id`: a value, parameter or column)."""
    return select(func.count()).select_from(ContactMessage).where(
        ContactMessage.business_id == business_id, ContactMessage.direction == MessageDirection.INBOUND,
        ContactMessage.read_at.is_(None))


# Built once: the navigation badge runs on every business page, and building a
# statement costs more than running it.
_UNREAD_COUNT = _count_unread(bindparam("business_id"))
# Read by the dashboard's leads panel inside its single statement (app/leads/services.panel_figures).
HELD_COUNT = select(func.count().label("held")).select_from(ContactMessage).where(
    ContactMessage.business_id == bindparam("business_id"), ContactMessage.status == MessageState.HELD)


def unread_count(business) -> int:
    prefetched = _prefetched_unread()
    if business.id in prefetched:
        return prefetched[business.id]
    return db.session.scalar(_UNREAD_COUNT, {"business_id": business.id}) or 0


# Every business page's ownership check (app/web.owned_business_or_404) reads
# the count in its own statement, as this column; the nav's badge then takes it
# from the request instead of asking again. Marking messages read drops it.
def unread_count_of(business_id_column):
    return _count_unread(business_id_column).scalar_subquery()


def remember_unread(business_id, count: int) -> None:
    _prefetched_unread()[business_id] = count


def _prefetched_unread() -> dict:
    from flask import g, has_request_context

    if not has_request_context():
        return {}
    return g.setdefault("_unread_messages", {})


