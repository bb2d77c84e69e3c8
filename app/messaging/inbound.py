"""Customers writing back: inbound SMS and email from 4calls' `message.received`.

Applied once per 4calls message id (unique business_id + remote_id), so a
redelivered or re-synced reply adds nothing. STOP, UNSUBSCRIBE and the like
put the sender on the business's do-not-contact list (shared with
campaigns); adding is idempotent, so order and repeats do not matter.
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.contacts.services import contact_by_remote_id
from app.do_not_contact import services as dnc
from app.extensions import db
from app.models import Business, Contact, DoNotContactChannel, DoNotContactSource
from app.models.base import utcnow
from app.models.messaging import ContactMessage, MessageDirection, MessageState
from app.crm_sync.upserts import parse_timestamp

# Carrier opt-out keywords (CTIA) and the usual email wording; the whole reply must be one of them.
OPT_OUT_WORDS = {"stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "optout", "opt out",
                 "opt-out", "revoke", "remove me", "unsubscribe me"}


def is_opt_out(body: str) -> bool:
    words = re.sub(r"[^a-z\- ]", "", (body or "").strip().lower()).strip()
    return words in OPT_OUT_WORDS


def _contact_for(business: Business, remote: dict, channel: str, sender: str) -> Contact | None:
    if remote.get("contact_id"):
        contact = contact_by_remote_id(business, remote["contact_id"])
        if contact is not None and contact.deleted_at is None:
            return contact
    from app.chat.records import _local_match, local_contact_for

    phone, email = (sender, None) if channel == "sms" else (None, sender)
    contact = _local_match(business, phone, email)
    if contact is None:
        contact = local_contact_for(business, name=None, phone=phone, email=email)
        contact.source = "sms" if channel == "sms" else "email"
    return contact


def apply_inbound(business: Business, remote: dict) -> str:
    remote_id = remote.get("id")
    channel, sender = remote.get("channel"), (remote.get("from") or "").strip()
    if not remote_id or channel not in ("sms", "email") or not sender:
        return "ignored_invalid_message"
    if db.session.scalar(select(ContactMessage.id).where(ContactMessage.business_id == business.id,
                                                         ContactMessage.remote_id == remote_id)):
        return "duplicate"
    contact = _contact_for(business, remote, channel, sender)
    body = str(remote.get("body") or "")[:5000]
    message = ContactMessage(
        business_id=business.id, contact_id=contact.id if contact else None, direction=MessageDirection.INBOUND,
        channel=channel, to_address=str(remote.get("to") or "")[:255], from_address=sender[:255],
        subject=(remote.get("subject") or None) and str(remote["subject"])[:200], body=body,
        status=MessageState.RECEIVED, remote_id=remote_id, in_reply_to_remote_id=remote.get("in_reply_to"),
        created_at=parse_timestamp(remote.get("created_at")) or utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return "duplicate"  # a racing delivery of the same message won
    if contact is not None:
        contact.last_interaction_at = utcnow()
    outcome = "applied"
    if is_opt_out(body):
        _opt_out(business, channel, sender, body)
        outcome = "opted_out"
    else:
        from app.messaging.textback import note_reply

        note_reply(business, message)
    db.session.commit()
    return outcome


def _opt_out(business: Business, channel: str, sender: str, body: str) -> None:
    list_channel = DoNotContactChannel.PHONE if channel == "sms" else DoNotContactChannel.EMAIL
    source = DoNotContactSource.SMS_STOP if channel == "sms" else DoNotContactSource.EMAIL_UNSUBSCRIBE
    try:
        dnc.add(business, list_channel, sender, source=source, reason=f"Replied “{body.strip()[:40]}”")
    except dnc.DoNotContactError:
        return
    # Anything still waiting to go to them stops here (sending checks again anyway).
    waiting = db.session.scalars(select(ContactMessage).where(
        ContactMessage.business_id == business.id, ContactMessage.direction == MessageDirection.OUTBOUND,
        ContactMessage.to_address == sender, ContactMessage.remote_id.is_(None),
        ContactMessage.status.in_((MessageState.HELD, MessageState.QUEUED)))).all()
    for pending in waiting:
        pending.status = MessageState.BLOCKED
        pending.error = f"{sender} opted out before it was sent."
