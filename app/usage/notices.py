"""Usage notices: written when a consumable meter (minutes, contacts, chat
messages) crosses 80 % or 100 % of the package, shown on the dashboard until
the owner dismisses them. Assistants are not consumed: having all the
package's assistants is the package working, so their notice is only written
when an action was refused for lack of one (`note_refusal`)."""
from __future__ import annotations

import uuid

from sqlalchemy import bindparam, select, update

from app.extensions import db
from app.models import Business
from app.models.base import utcnow
from app.models.usage import UsageNotice
from app.timezones import format_local

THRESHOLDS = (80, 100)
# Quotas that are only noticed when an action was refused, never by crossing.
NOTICED_ON_REFUSAL_ONLY = frozenset({"coordinators"})


def _insert_notice(business, service_type, period_start, threshold, count, limit) -> None:
    from app.crm_sync.bulk import dialect_insert

    now = utcnow()
    db.session.execute(
        dialect_insert(UsageNotice)
        .values(id=uuid.uuid4(), business_id=business.id, service_type=service_type, period_start=period_start,
                threshold=threshold, usage_count=count, usage_limit=limit, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["business_id", "service_type", "period_start", "threshold"])
    )


def note_thresholds(business, service_type, period_start, before, after, limit) -> None:
    """Record a notice for each threshold a consumable count crossed going up."""
    if limit <= 0 or after <= before or service_type in NOTICED_ON_REFUSAL_ONLY:
        return
    for threshold in THRESHOLDS:
        mark = limit * threshold / 100
        if before < mark <= after:
            _insert_notice(business, service_type, period_start, threshold, after, limit)
            _notify_threshold(business, service_type, period_start, threshold, limit)  # -- issue 13


def note_refusal(business, service_type, period_start, count, limit) -> None:
    """An action was refused because the quota is used up: tell the owner
    (once per period), with the upgrade that would have allowed it."""
    _insert_notice(business, service_type, period_start, 100, count, limit)


# "The caller has not read the current period": None is a real answer (no
# package). Callers that have just read it pass it on and spare a query.
NOT_READ = object()

# Built once: the dashboard runs it on every view.
_OPEN_NOTICES = (select(UsageNotice)
                 .where(UsageNotice.business_id == bindparam("business_id"),
                        UsageNotice.period_start == bindparam("period_start"),
                        UsageNotice.dismissed_at.is_(None))
                 .order_by(UsageNotice.threshold.desc(), UsageNotice.created_at))


def open_notices(business: Business, period=NOT_READ) -> list[UsageNotice]:
    """Threshold notices of the current period the owner has not dismissed; the
    100 % notice replaces the 80 % one of the same service. `period`: the
    current period when the caller has just read it."""
    from app.usage.services import current_period

    if period is NOT_READ:
        period = current_period(business)
    if period is None:
        return []
    notices = db.session.scalars(_OPEN_NOTICES, {"business_id": business.id, "period_start": period.start}).all()
    seen, shown = set(), []
    for notice in notices:
        if notice.service_type not in seen:
            seen.add(notice.service_type)
            shown.append(notice)
    return shown


def notice_text(business: Business, notice: UsageNotice) -> str:
    from app.usage.services import amount_of, current_period, upgrade_offer

    amount = amount_of(notice.service_type, notice.usage_limit)
    period = current_period(business)
    # The period ends on the business's own calendar day, not the server's.
    renews = (f" (until {format_local(period.end, business, '%B %-d')})"
              if period and period.start == notice.period_start else "")
    if notice.threshold >= 100:
        if notice.service_type in NOTICED_ON_REFUSAL_ONLY:
            text = f"Your package includes {amount}, all in use, so that change was not made."
        else:
            text = f"You have used all {amount} included in your package this period{renews}."
        offer = upgrade_offer(business, notice.service_type)
        return text + (f" Upgrade to {offer.name} for more." if offer else "")
    return f"You have used {notice.threshold} % of your {amount} this period{renews}."


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
