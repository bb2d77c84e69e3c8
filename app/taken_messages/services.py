"""The "Messages taken" inbox: listing, unread counts, read and handled."""
from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Business, TakenMessage
from app.models.base import utcnow

FILTERS = ("open", "unread", "urgent", "handled", "all")
PAGE_SIZE = 50


def counts(business: Business) -> dict[str, int]:
    row = db.session.execute(
        select(func.count().filter(TakenMessage.handled_at.is_(None)),
               func.count().filter(TakenMessage.read_at.is_(None)),
               func.count().filter(TakenMessage.handled_at.is_(None), TakenMessage.urgency == "urgent"),
               func.count().filter(TakenMessage.handled_at.is_not(None)),
               func.count())
        .where(TakenMessage.business_id == business.id)
    ).one()
    return dict(zip(FILTERS, row))


def unread_count(business: Business) -> int:
    return counts(business)["unread"]


def messages(business: Business, which: str = "open", limit: int = PAGE_SIZE) -> list[TakenMessage]:
    query = select(TakenMessage).where(TakenMessage.business_id == business.id)
    if which == "open":
        query = query.where(TakenMessage.handled_at.is_(None))
    elif which == "unread":
        query = query.where(TakenMessage.read_at.is_(None))
    elif which == "urgent":
        query = query.where(TakenMessage.handled_at.is_(None), TakenMessage.urgency == "urgent")
    elif which == "handled":
        query = query.where(TakenMessage.handled_at.is_not(None))
    order = (TakenMessage.handled_at.desc(),) if which == "handled" else ()
    return list(db.session.scalars(query.order_by(*order, TakenMessage.taken_at.desc()).limit(limit)))


def message_or_none(business: Business, message_id) -> TakenMessage | None:
    return db.session.scalar(select(TakenMessage).where(TakenMessage.id == message_id,
                                                        TakenMessage.business_id == business.id))


def mark_read(message: TakenMessage) -> None:
    if message.read_at is None:
        message.read_at = utcnow()
        db.session.commit()


def set_handled(message: TakenMessage, user, handled: bool) -> None:
    """Handled (or back to open). Handling also counts as reading it."""
    now = utcnow()
    message.handled_at = now if handled else None
    message.handled_by_id = user.id if handled else None
    message.read_at = message.read_at or now
    db.session.commit()


def contact_messages(business: Business, contact, limit: int) -> list[TakenMessage]:
    """The contact's messages, also those whose call was linked to the contact after capture."""
    from sqlalchemy import or_

    from app.models import Call

    calls = select(Call.id).where(Call.business_id == business.id, Call.contact_id == contact.id)
    return list(db.session.scalars(
        select(TakenMessage).where(TakenMessage.business_id == business.id,
                                   or_(TakenMessage.contact_id == contact.id, TakenMessage.call_id.in_(calls)))
        .order_by(TakenMessage.taken_at.desc()).limit(limit)))
