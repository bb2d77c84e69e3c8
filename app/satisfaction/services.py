"""When to ask an owner for a rating, and recording it.

Asked on the dashboard once per calendar month (the business's zone) after
the business has used a package for 30 days; answering or choosing
"not now" both settle the month (one row per business and month).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import BillingStatus, SatisfactionRating, SubscriptionHistory
from app.models.base import utcnow
from app.timezones import local_today

MIN_USE = timedelta(days=30)


class RatingError(ValueError):
    pass


def period_for(business) -> str:
    return local_today(business).strftime("%Y-%m")


# Built once: the dashboard asks whether a rating is due on every view.
_FIRST_USE = select(func.min(SubscriptionHistory.started_at)).where(
    SubscriptionHistory.business_id == bindparam("business_id"),
    SubscriptionHistory.status.in_((BillingStatus.ACTIVE, BillingStatus.PAST_DUE)))


def first_use(business):
    return db.session.scalar(_FIRST_USE, {"business_id": business.id})


def is_due(business) -> bool:
    started = first_use(business)
    if started is None or utcnow() - started < MIN_USE:
        return False
    return db.session.scalar(select(SatisfactionRating.id).where(
        SatisfactionRating.business_id == business.id, SatisfactionRating.period == period_for(business))) is None


def record(business, user, raw_rating: str | None) -> SatisfactionRating | None:
    """A rating 1–5, or "" / None for "not now". Returns None when the month was already settled."""
    rating = None
    if raw_rating not in (None, ""):
        if not str(raw_rating).isdigit() or not 1 <= int(raw_rating) <= 5:
            raise RatingError("Choose from 1 to 5 stars.")
        rating = int(raw_rating)
    if not is_due(business):
        return None
    row = SatisfactionRating(business_id=business.id, user_id=getattr(user, "id", None),
                             period=period_for(business), rating=rating)
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # a second tab answered first
        db.session.rollback()
        return None
    return row
