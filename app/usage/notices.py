"""Usage notices: written when a meter crosses 80 % or 100 % of the package,
shown on the dashboard until the owner dismisses them."""
from __future__ import annotations

import uuid

from sqlalchemy import select, update

from app.extensions import db
from app.models import Business
from app.models.base import utcnow
from app.models.usage import UsageNotice

THRESHOLDS = (80, 100)


def note_thresholds(business, service_type, period_start, before, after, limit) -> None:
    """Record a notice for each threshold the count crossed going up."""
    if limit <= 0 or after <= before:
        return
    from app.sync.bulk import dialect_insert

    for threshold in THRESHOLDS:
        mark = limit * threshold / 100
        if before < mark <= after:
            now = utcnow()
            notice_id = uuid.uuid4()
            db.session.execute(
                dialect_insert(UsageNotice)
                .values(id=notice_id, business_id=business.id, service_type=service_type, period_start=period_start,
                        threshold=threshold, usage_count=after, usage_limit=limit, created_at=now, updated_at=now)
                .on_conflict_do_nothing(index_elements=["business_id", "service_type", "period_start", "threshold"])
            )
            _notify_threshold(business, service_type, period_start, threshold, limit)  # -- issue 13


def open_notices(business: Business) -> list[UsageNotice]:
    """Threshold notices of the current period the owner has not dismissed; the
    100 % notice replaces the 80 % one of the same service."""
    from app.usage.services import current_period

    period = current_period(business)
    if period is None:
        return []
    notices = db.session.scalars(
        select(UsageNotice)
        .where(
            UsageNotice.business_id == business.id,
            UsageNotice.period_start == period.start,
            UsageNotice.dismissed_at.is_(None),
        )
        .order_by(UsageNotice.threshold.desc(), UsageNotice.created_at)
    ).all()
    seen, shown = set(), []
    for notice in notices:
        if notice.service_type not in seen:
            seen.add(notice.service_type)
            shown.append(notice)
    return shown


def notice_text(business: Business, notice: UsageNotice) -> str:
    from app.usage.services import LABELS, upgrade_offer

    label = LABELS.get(notice.service_type, notice.service_type).lower()
    if notice.threshold >= 100:
        text = f"You have used all {notice.usage_limit:,} {label} included in your package this period."
        offer = upgrade_offer(business, notice.service_type)
        return text + (f" Upgrade to {offer.name} for more." if offer else "")
    return f"You have used {notice.threshold} % of your {notice.usage_limit:,} {label} this period."


def dismiss_notice(business: Business, notice_id: uuid.UUID) -> bool:
    """Hide a notice (and any lower one of the same service and period)."""
    notice = db.session.get(UsageNotice, notice_id)
    if notice is None or notice.business_id != business.id:
        return False
    db.session.execute(
        update(UsageNotice)
        .where(
            UsageNotice.business_id == business.id,
            UsageNotice.service_type == notice.service_type,
            UsageNotice.period_start == notice.period_start,
            UsageNotice.threshold <= notice.threshold,
            UsageNotice.dismissed_at.is_(None),
        )
        .values(dismissed_at=utcnow())
    )
    db.session.commit()
    return True


def _notify_threshold(business, service_type, period_start, threshold, limit) -> None:
    """One notification per service, period and threshold (the key says so)."""
    from app.notifications import notify
    from app.usage.services import LABELS

    label = LABELS.get(service_type, service_type).lower()
    title = (f"You have used all {limit:,} {label} this period" if threshold >= 100
             else f"You have used {threshold} % of your {limit:,} {label}")
    notify(business, "usage_threshold", title=title,
           body="Upgrade your package for more." if threshold >= 100 else "",
           link=f"/businesses/{business.slug}/billing",
           idempotency_key=f"usage:{service_type}:{period_start.isoformat()}:{threshold}")
