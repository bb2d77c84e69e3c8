"""Rules of the do-not-contact list. Every outbound path (campaign dial, SMS,
email) asks `is_blocked` at send time, never only at creation."""
from __future__ import annotations

from sqlalchemy import select

from app.audit.services import record as audit
from app.contacts.phone import InvalidPhone, normalise_phone
from app.extensions import db
from app.models import DoNotContactChannel, DoNotContactEntry
from app.models.base import utcnow


class DoNotContactError(ValueError):
    """A value that cannot be listed (not a phone number or email), or a lift without reason."""


def normalise(channel: str, value: str | None) -> str:
    text = (value or "").strip()
    if channel == DoNotContactChannel.PHONE:
        try:
            number = normalise_phone(text)
        except InvalidPhone as exc:
            raise DoNotContactError(str(exc)) from exc
        if not number:
            raise DoNotContactError("Enter a phone number.")
        return number
    if channel == DoNotContactChannel.EMAIL:
        if "@" not in text or len(text) > 255 or any(c.isspace() for c in text):
            raise DoNotContactError(f"“{text[:80]}” is not an email address.")
        return text.lower()
    raise DoNotContactError(f"Unknown channel “{channel}”.")


def active_entry(business_id, channel: str, value: str | None) -> DoNotContactEntry | None:
    try:
        normalised = normalise(channel, value)
    except DoNotContactError:
        return None
    return db.session.scalar(
        select(DoNotContactEntry)
        .where(
            DoNotContactEntry.business_id == business_id,
            DoNotContactEntry.channel == channel,
            DoNotContactEntry.value == normalised,
            DoNotContactEntry.lifted_at.is_(None),
        )
        .limit(1)
    )


def is_blocked(business_id, *, phone: str | None = None, email: str | None = None) -> bool:
    """True when the phone or the email is on the business's active list."""
    if phone and active_entry(business_id, DoNotContactChannel.PHONE, phone) is not None:
        return True
    return bool(email) and active_entry(business_id, DoNotContactChannel.EMAIL, email) is not None


def blocked_values(business_id, channel: str) -> set[str]:
    """Every active value on one channel, for checking a batch in one query."""
    return set(
        db.session.scalars(
            select(DoNotContactEntry.value).where(
                DoNotContactEntry.business_id == business_id,
                DoNotContactEntry.channel == channel,
                DoNotContactEntry.lifted_at.is_(None),
            )
        )
    )


def add(business, channel: str, value: str, *, source: str, reason: str | None = None, actor=None) -> DoNotContactEntry:
    """List a number or address (idempotent: an active entry is returned as is). The caller commits."""
    normalised = normalise(channel, value)
    existing = active_entry(business.id, channel, normalised)
    if existing is not None:
        return existing
    entry = DoNotContactEntry(
        business_id=business.id,
        channel=channel,
        value=normalised,
        source=source,
        reason=(reason or "").strip() or None,
        added_by_user_id=actor.id if actor is not None and getattr(actor, "is_authenticated", False) else None,
    )
    db.session.add(entry)
    audit("do_not_contact.added", business=business, actor=actor, target_type="do_not_contact",
          target_label=normalised, after={"channel": channel, "source": source, "reason": entry.reason})
    return entry


def lift(business, entry: DoNotContactEntry, *, reason: str, actor=None) -> None:
    """Allow a number again; only with a recorded reason. The caller commits."""
    reason = (reason or "").strip()
    if not reason:
        raise DoNotContactError("Say why this number may be contacted again.")
    if entry.lifted_at is not None:
        return
    entry.lifted_at = utcnow()
    entry.lifted_reason = reason
    entry.lifted_by_user_id = actor.id if actor is not None and getattr(actor, "is_authenticated", False) else None
    audit("do_not_contact.lifted", business=business, actor=actor, target_type="do_not_contact",
          target_label=entry.value, reason=reason)
