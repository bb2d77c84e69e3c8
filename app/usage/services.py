"""Usage metering per business, service and billing period.

One `alphasite_ai_service_usage` row per (business, service, period) holds
the running count and the package's limit, so `check_usage_limit` is a
single indexed read, never a count over calls or contacts.

Periods: billing calls `start_new_period` at each renewal. Until it does (or
when a renewal is late), periods run monthly, chained from the end of the
last known period, or from the integration's activation date for the first.

Two kinds of services:
* counters (minutes, chat messages) start again at 0 each period;
* gauges (contacts, coordinators) count things that exist now, so a new
  period starts from a fresh count of them.
"""
from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, update

from app.extensions import db
from app.models import AIServiceUsage, Business, Contact, Coordinator, FourCallsIntegration, IntegrationStatus
from app.models.assistant import CoordinatorStatus
from app.models.base import utcnow
from app.packages.catalog import PACKAGES, PackageDefinition, get_package, message_allowance
from app.usage.notices import NOT_READ, NOTICED_ON_REFUSAL_ONLY, THRESHOLDS, note_refusal, note_thresholds
from app.wording import plural, sentence_words

INBOUND_MINUTES = "inbound_minutes"
OUTBOUND_MINUTES = "outbound_minutes"
CONTACTS = "contacts"
COORDINATORS = "coordinators"
CHAT_MESSAGES = "chat_messages"
MESSAGES = "messages"  # SMS and email sent to contacts (issue 15)
SERVICE_TYPES = (INBOUND_MINUTES, OUTBOUND_MINUTES, CONTACTS, COORDINATORS, CHAT_MESSAGES, MESSAGES)
GAUGES = frozenset({CONTACTS, COORDINATORS})
LABELS = {
    INBOUND_MINUTES: "Inbound minutes",
    OUTBOUND_MINUTES: "Outbound minutes",
    CONTACTS: "Contacts",
    COORDINATORS: "AI assistants",
    CHAT_MESSAGES: "Chat messages",
    MESSAGES: "SMS & email messages",
}
# Singular nouns for counts in sentences ("1 AI assistant", "1,000 inbound minutes").
NOUNS = {
    INBOUND_MINUTES: "inbound minute",
    OUTBOUND_MINUTES: "outbound minute",
    CONTACTS: "contact",
    COORDINATORS: "AI assistant",
    CHAT_MESSAGES: "chat message",
    MESSAGES: "SMS and email message",
}
# Stored in usage_limit (NOT NULL in the plan's schema) for "no limit".
UNLIMITED = -1
# Integrations in these states no longer carry their package's allowances.
_ENDED = {IntegrationStatus.CANCELLED, IntegrationStatus.SUSPENDED}


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Meter:
    service_type: str
    label: str
    used: int
    limit: int

    @property
    def unlimited(self) -> bool:
        return self.limit < 0

    @property
    def percent(self) -> int:
        if self.unlimited:
            return 0
        if self.limit == 0:
            return 100 if self.used else 0
        return int(self.used * 100 / self.limit)

    @property
    def bar_percent(self) -> int:
        """How full the meter's bar is drawn: past the limit it stays full."""
        return min(self.percent, 100)

    @property
    def level(self) -> str:
        """"ok", "warning" (80 % or more of a consumable), "full" (all of a
        consumable used) or "over" (more than the package allows). Having
        all the package's assistants is the package working: "ok"."""
        if self.unlimited:
            return "ok"
        if self.limit >= 0 and self.used > self.limit:
            return "over"
        if self.service_type == COORDINATORS or self.percent < THRESHOLDS[0]:
            return "ok"
        return "full" if self.percent >= 100 else "warning"


# --- packages and limits ------------------------------------------------------


def package_of(business: Business) -> PackageDefinition | None:
    """The package whose allowances apply to the business now, if any."""
    integration = business.integration
    if integration is None or integration.status in _ENDED:
        return None
    return get_package(integration.service_package)


def has_feature(business: Business, feature: str) -> bool:
    """Whether the business's package includes a catalog feature (e.g. "campaigns")."""
    package = package_of(business)
    return bool(package and package.has(feature))


def limit_for(package: PackageDefinition | None, service_type: str) -> int:
    if package is None:
        return 0
    return {
        INBOUND_MINUTES: package.call_minutes_inbound,
        OUTBOUND_MINUTES: package.call_minutes_outbound,
        CONTACTS: UNLIMITED if package.contact_limit is None else package.contact_limit,
        COORDINATORS: package.coordinator_count,
        CHAT_MESSAGES: UNLIMITED,
        MESSAGES: message_allowance(package),
    }[service_type]


def upgrade_offer(business: Business, service_type: str) -> PackageDefinition | None:
    """The smallest package that allows more of `service_type` than the current one."""
    current = package_of(business)
    current_limit = limit_for(current, service_type)
    if current_limit == UNLIMITED:
        return None
    for package in sorted(PACKAGES, key=lambda p: p.display_order):
        limit = limit_for(package, service_type)
        if limit == UNLIMITED or limit > current_limit:
            return package
    return None


def amount_of(service_type: str, count: int) -> str:
    """"1 AI assistant", "1,000 inbound minutes": counts as sentences say them."""
    return plural(count, NOUNS.get(service_type, service_type.replace("_", " ")))


def limit_message(business: Business, service_type: str) -> str:
    """What to tell an owner whose action `check_usage_limit` refused."""
    package = package_of(business)
    label = sentence_words(LABELS[service_type])
    if package is None:
        return f"{LABELS[service_type]} need an active AI package. Choose a package to get started."
    offer = upgrade_offer(business, service_type)
    limit = limit_for(package, service_type)
    text = f"Your {package.name} package includes {amount_of(service_type, limit)} and this period's allowance is used up."
    if service_type in GAUGES:
        text = f"Your {package.name} package includes up to {amount_of(service_type, limit)}, and you have reached that limit."
    if offer:
        more = f"unlimited {label}" if limit_for(offer, service_type) == UNLIMITED else amount_of(
            service_type, limit_for(offer, service_type))
        text += f" Upgrade to {offer.name} for {more}."
    return text


# --- periods ------------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _monthly_period_containing(anchor: datetime, now: datetime) -> Period:
    months = (now.year - anchor.year) * 12 + (now.month - anchor.month)
    months = max(months, 0)
    start = add_months(anchor, months)
    if start > now and months > 0:
        months -= 1
        start = add_months(anchor, months)
    return Period(start, add_months(anchor, months + 1))


# Built once: every dashboard view and usage check runs these, and building a
# statement costs more than running it.
_LATEST_PERIOD = (select(AIServiceUsage.period_start, AIServiceUsage.period_end)
                  .where(AIServiceUsage.business_id == bindparam("business_id"))
                  .order_by(AIServiceUsage.period_start.desc())
                  .limit(1))
_PERIOD_USAGE = select(AIServiceUsage.service_type, AIServiceUsage.usage_count, AIServiceUsage.usage_limit).where(
    AIServiceUsage.business_id == bindparam("business_id"), AIServiceUsage.period_start == bindparam("period_start"))
# The latest period's meter rows with its bounds: the period and the meters in
# one statement, for pages that show both (the dashboard).
_LATEST_PERIOD_USAGE = select(AIServiceUsage.period_start, AIServiceUsage.period_end, AIServiceUsage.service_type,
                              AIServiceUsage.usage_count, AIServiceUsage.usage_limit).where(
    AIServiceUsage.business_id == bindparam("business_id"),
    AIServiceUsage.period_start == _LATEST_PERIOD.with_only_columns(AIServiceUsage.period_start).scalar_subquery())


def current_period(business: Business, now: datetime | None = None) -> Period | None:
    """The billing period containing `now`; None when the business has no package."""
    latest = db.session.execute(_LATEST_PERIOD, {"business_id": business.id}).first()
    return _period_containing(business, latest, now or utcnow())


def _period_containing(business: Business, latest, now: datetime) -> Period | None:
    """The period containing `now`, given the latest stored period (a row with
    period_start and period_end, or None)."""
    if latest and latest.period_start <= now < latest.period_end:
        return Period(latest.period_start, latest.period_end)
    if latest and now >= latest.period_end:
        return _monthly_period_containing(latest.period_end, now)
    integration: FourCallsIntegration | None = business.integration
    if integration is None or integration.status in _ENDED:
        return None
    anchor = integration.activated_at or integration.created_at or now
    return _monthly_period_containing(anchor, now)


def _gauge_value(business: Business, service_type: str) -> int:
    if service_type == CONTACTS:
        return db.session.scalar(
            select(func.count()).select_from(Contact).where(Contact.business_id == business.id, Contact.deleted_at.is_(None))
        ) or 0
    return db.session.scalar(
        select(func.count()).select_from(Coordinator).where(
            Coordinator.business_id == business.id, Coordinator.status.in_(CoordinatorStatus.LIVE)
        )
    ) or 0


def _ensure_period_rows(business: Business, period: Period) -> None:
    """Create this period's rows (idempotent; safe when two processes race)."""
    from app.crm_sync.bulk import dialect_insert
    from app.dashboard.live_feed import SHOWN_UNCHANGED

    existing = set(db.session.scalars(
        select(AIServiceUsage.service_type).where(
            AIServiceUsage.business_id == business.id, AIServiceUsage.period_start == period.start
        )
    ))
    missing = [s for s in SERVICE_TYPES if s not in existing]
    if not missing:
        return
    package = package_of(business)
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "business_id": business.id,
            "service_type": service_type,
            "usage_count": _gauge_value(business, service_type) if service_type in GAUGES else 0,
            "usage_limit": limit_for(package, service_type),
            "period_start": period.start,
            "period_end": period.end,
            "created_at": now,
            "updated_at": now,
        }
        for service_type in missing
    ]
    db.session.execute(
        dialect_insert(AIServiceUsage)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["business_id", "service_type", "period_start"])
        # At their starting values, which no view kept: one of the old period lets it go at its end.
        .execution_options(**{SHOWN_UNCHANGED: True})
    )


def start_new_period(business: Business, period_start: datetime, period_end: datetime) -> Period:
    """Open a billing period (billing calls this at each renewal). Counters
    start at 0, gauges are recounted, limits come from the current package. An
    earlier period still open past `period_start` is closed at it. Idempotent."""
    if period_end <= period_start:
        raise ValueError("period_end must be after period_start")
    db.session.execute(
        update(AIServiceUsage)
        .where(
            AIServiceUsage.business_id == business.id,
            AIServiceUsage.period_start < period_start,
            AIServiceUsage.period_end > period_start,
        )
        .values(period_end=period_start)
    )
    period = Period(period_start, period_end)
    carried = _absorb_provisional_periods(business, period)
    _ensure_period_rows(business, period)
    db.session.execute(
        update(AIServiceUsage)
        .where(AIServiceUsage.business_id == business.id, AIServiceUsage.period_start == period_start)
        .values(period_end=period_end)
    )
    for service_type, amount in carried.items():
        db.session.execute(
            update(AIServiceUsage)
            .where(
                AIServiceUsage.business_id == business.id,
                AIServiceUsage.service_type == service_type,
                AIServiceUsage.period_start == period_start,
            )
            .values(usage_count=AIServiceUsage.usage_count + amount)
        )
    apply_package_limits(business)
    return period


def _absorb_provisional_periods(business: Business, period: Period) -> dict[str, int]:
    """Rows of a period derived from the activation date (before billing told
    us the real one) that start inside `period` are folded into it, so usage
    counted in the first minutes of a subscription is neither lost nor split."""
    provisional = db.session.scalars(
        select(AIServiceUsage).where(
            AIServiceUsage.business_id == business.id,
            AIServiceUsage.period_start > period.start,
            AIServiceUsage.period_start < period.end,
        )
    ).all()
    carried: dict[str, int] = {}
    for row in provisional:
        if row.service_type not in GAUGES:
            carried[row.service_type] = carried.get(row.service_type, 0) + row.usage_count
        db.session.delete(row)
    db.session.flush()
    return carried


def apply_package_limits(business: Business) -> None:
    """Copy the package's limits onto the current period's rows, after a
    package change, cancellation or suspension."""
    period = current_period(business)
    if period is None:
        db.session.execute(
            update(AIServiceUsage)
            .where(AIServiceUsage.business_id == business.id, AIServiceUsage.period_end > utcnow())
            .values(usage_limit=0)
        )
        return
    _ensure_period_rows(business, period)
    package = package_of(business)
    for service_type in SERVICE_TYPES:
        db.session.execute(
            update(AIServiceUsage)
            .where(
                AIServiceUsage.business_id == business.id,
                AIServiceUsage.service_type == service_type,
                AIServiceUsage.period_start == period.start,
                AIServiceUsage.usage_limit != limit_for(package, service_type),
            )
            .values(usage_limit=limit_for(package, service_type))
        )


# --- metering -----------------------------------------------------------------


def _current_row(business: Business, service_type: str, now: datetime) -> AIServiceUsage | None:
    row = db.session.scalars(
        select(AIServiceUsage)
        .where(AIServiceUsage.business_id == business.id, AIServiceUsage.service_type == service_type)
        .order_by(AIServiceUsage.period_start.desc())
        .limit(1)
    ).first()
    if row is not None and row.period_start <= now < row.period_end:
        return row
    period = current_period(business, now)
    if period is None:
        return None
    _ensure_period_rows(business, period)
    return db.session.scalars(
        select(AIServiceUsage).where(
            AIServiceUsage.business_id == business.id,
            AIServiceUsage.service_type == service_type,
            AIServiceUsage.period_start == period.start,
        )
    ).first()


def check_usage_limit(business: Business, service_type: str, amount: int = 1) -> bool:
    """Whether `amount` more of `service_type` fits in the package this period
    (e.g. one more contact). One indexed read of the usage row."""
    if service_type not in SERVICE_TYPES:
        raise ValueError(f"unknown service type {service_type!r}")
    row = _current_row(business, service_type, utcnow())
    if row is None:
        return False
    allowed = row.usage_limit == UNLIMITED or row.usage_count + amount <= row.usage_limit
    if not allowed and service_type in NOTICED_ON_REFUSAL_ONLY:
        # Part of the caller's transaction, like the refused change itself.
        note_refusal(business, service_type, row.period_start, row.usage_count, row.usage_limit)
    return allowed


def record_usage(business: Business, service_type: str, amount: int = 1) -> int | None:
    """Add `amount` (negative to give back, e.g. a deleted contact) to this
    period's usage with one atomic UPDATE. Returns the new count, or None
    when the business has no package to meter against. Does not commit."""
    if service_type not in SERVICE_TYPES:
        raise ValueError(f"unknown service type {service_type!r}")
    row = _current_row(business, service_type, utcnow())
    if row is None:
        return None
    count, limit = db.session.execute(
        update(AIServiceUsage)
        .where(AIServiceUsage.business_id == business.id, AIServiceUsage.id == row.id)  # names whose mark moves
        .values(usage_count=_not_below_zero(AIServiceUsage.usage_count + amount), updated_at=utcnow())
        .returning(AIServiceUsage.usage_count, AIServiceUsage.usage_limit)
        .execution_options(synchronize_session=False)
    ).one()
    note_thresholds(business, service_type, row.period_start, count - amount, count, limit)
    _meters_changed(business)
    return count


def _meters_changed(business: Business) -> None:
    from app.dashboard.live_feed import changed

    changed(business.id)  # the dashboard's meters move on its next poll


def _not_below_zero(expression):
    # SQLite's two-argument max() is PostgreSQL's greatest().
    if db.session.get_bind().dialect.name == "sqlite":
        return func.max(expression, 0)
    return func.greatest(expression, 0)


def set_usage(business: Business, service_type: str, value: int) -> int | None:
    """Set a gauge (contacts, coordinators) to the value counted from the source of truth."""
    row = _current_row(business, service_type, utcnow())
    if row is None:
        return None
    before = row.usage_count
    if before != value:
        db.session.execute(
            update(AIServiceUsage).where(AIServiceUsage.business_id == business.id, AIServiceUsage.id == row.id)
            .values(usage_count=value, updated_at=utcnow()).execution_options(synchronize_session=False)
        )
        note_thresholds(business, service_type, row.period_start, before, value, row.usage_limit)
        _meters_changed(business)
    return value


def refresh_contact_usage(business: Business) -> int | None:
    """Recount the contacts gauge (after a sync applied contacts)."""
    return set_usage(business, CONTACTS, _gauge_value(business, CONTACTS))


def refresh_coordinator_usage(business: Business) -> int | None:
    return set_usage(business, COORDINATORS, _gauge_value(business, COORDINATORS))


# --- reading ------------------------------------------------------------------


def current_usage(business: Business) -> tuple[Period | None, list[Meter]]:
    """The current period and its meters, in one statement while the latest
    stored period is the current one (the usual case)."""
    rows = db.session.execute(_LATEST_PERIOD_USAGE, {"business_id": business.id}).all()
    period = _period_containing(business, rows[0] if rows else None, utcnow())
    if period is None:
        return None, []
    if rows and rows[0].period_start == period.start:
        return period, usage_summary(business, period, rows)
    return period, usage_summary(business, period)


def usage_summary(business: Business, period=NOT_READ, rows=None) -> list[Meter]:
    """Meters for the current period in display order (empty without a package).
    `period`: the current period when the caller has just read it; `rows`:
    its meter rows, when read with it (`current_usage`)."""
    if period is NOT_READ:
        return current_usage(business)[1]
    if period is None:
        return []
    if rows is None:
        rows = db.session.execute(_PERIOD_USAGE, {"business_id": business.id, "period_start": period.start})
    rows = {r.service_type: r for r in rows}
    if len(rows) < len(SERVICE_TYPES):
        _ensure_period_rows(business, period)
        db.session.commit()
        return usage_summary(business)
    return [Meter(s, LABELS[s], rows[s].usage_count, rows[s].usage_limit) for s in SERVICE_TYPES]
