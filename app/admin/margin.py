"""Margin per business for one month: package revenue against what 4calls
costs us (minutes × cost per minute, inbound and outbound, plus messages ×
cost per message). Costs and the floor are console settings."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, or_, select, union

from app.admin import settings
from app.admin.metrics.mrr import MRR_STATUSES, load_rows
from app.admin.metrics.periods import add_months, month_start
from app.extensions import db
from app.models import Business, Call, ChatConversation, ChatMessage, SubscriptionHistory
from app.models.base import utcnow

CENT = Decimal("0.01")


def margin_percent(revenue: Decimal, cost: Decimal) -> Decimal | None:
    """(revenue − cost) ÷ revenue in percent; None without revenue (never a division by zero)."""
    return None if not revenue else ((revenue - cost) / revenue * 100).quantize(Decimal("0.1"))


@dataclass
class MarginRow:
    business_id: uuid.UUID
    name: str
    slug: str
    package: str | None
    revenue: Decimal
    inbound_minutes: Decimal
    outbound_minutes: Decimal
    messages: int
    cost: Decimal
    below_floor: bool

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        return margin_percent(self.revenue, self.cost)


@dataclass
class MarginReport:
    month: date
    rows: list[MarginRow]
    costs: dict[str, Decimal]

    @property
    def revenue(self) -> Decimal:
        return sum((r.revenue for r in self.rows), Decimal(0))

    @property
    def cost(self) -> Decimal:
        return sum((r.cost for r in self.rows), Decimal(0))

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        return margin_percent(self.revenue, self.cost)

    @property
    def below_floor(self) -> int:
        return sum(1 for r in self.rows if r.below_floor)


def revenue_in_month(month: date) -> dict[uuid.UUID, tuple[int, str]]:
    """Cents and package per business: MRR at the month's end (or now, for the
    live month), or the last MRR paid during the month for one that stopped paying."""
    start, end = month_start(month), min(month_start(add_months(month, 1)), utcnow())
    result = {}
    for business_id, rows in load_rows(end, since=start).items():
        paid, mrr, package = None, 0, None
        for started_at, amount, slug in rows:
            if started_at < start:
                paid = (amount, slug) if amount > 0 else None
            elif amount > 0:
                paid = (amount, slug)
            mrr, package = amount, slug
        if mrr > 0:
            result[business_id] = (mrr, package)
        elif paid is not None:
            result[business_id] = paid
    return result


def _minutes_by_business(start, end):
    """(business, inbound seconds, outbound seconds) for calls started in [start, end)."""
    seconds = Call.duration_seconds
    return (select(Call.business_id,
                   func.sum(case((Call.direction == "inbound", seconds), else_=0)).label("inbound"),
                   func.sum(case((Call.direction == "outbound", seconds), else_=0)).label("outbound"))
            .where(Call.started_at >= start, Call.started_at < end).group_by(Call.business_id))


def _messages_by_business(start, end):
    """(business, assistant chat messages) sent in [start, end)."""
    return (select(ChatConversation.business_id, func.count().label("messages"))
            .join(ChatMessage, ChatMessage.conversation_id == ChatConversation.id)
            .where(ChatMessage.role == "assistant", ChatMessage.created_at >= start, ChatMessage.created_at < end)
            .group_by(ChatConversation.business_id))


def _cost_and_flag(revenue: Decimal, inbound: Decimal, outbound: Decimal, messages: int,
                   costs: dict[str, Decimal]) -> tuple[Decimal, bool]:
    """One business's provider cost and whether it is under the floor: the report and the
    overview card both decide here, so they cannot disagree."""
    cost = (inbound * costs["inbound_minute"] + outbound * costs["outbound_minute"]
            + messages * costs["message"]).quantize(CENT, ROUND_HALF_UP)
    percent = margin_percent(revenue, cost)
    return cost, (percent is None and cost > 0) or (percent is not None and percent < costs["margin_floor_percent"])


def margin_report(month: date, package: str | None = None) -> MarginReport:
    costs = settings.costs()
    start, end = month_start(month), month_start(add_months(month, 1))
    revenue = revenue_in_month(month)
    minutes = {
        business_id: (Decimal(inbound or 0) / 60, Decimal(outbound or 0) / 60)
        for business_id, inbound, outbound in db.session.execute(_minutes_by_business(start, end))
    }
    messages = dict(db.session.execute(_messages_by_business(start, end)).all())
    ids = set(revenue) | set(minutes) | set(messages)
    names = {row.id: row for row in db.session.execute(
        select(Business.id, Business.name, Business.slug).where(Business.id.in_(ids)))} if ids else {}
    rows = []
    for business_id in ids:
        business = names.get(business_id)
        if business is None:
            continue
        cents, slug = revenue.get(business_id, (0, None))
        if package and slug != package:
            continue
        inbound, outbound = minutes.get(business_id, (Decimal(0), Decimal(0)))
        count = messages.get(business_id, 0)
        cost, below_floor = _cost_and_flag(Decimal(cents) / 100, inbound, outbound, count, costs)
        rows.append(MarginRow(business_id, business.name, business.slug, slug, Decimal(cents) / 100,
                              inbound.quantize(CENT), outbound.quantize(CENT), count, cost, below_floor))
    rows.sort(key=lambda r: (r.margin_percent is not None, r.margin_percent or 0, r.name))
    return MarginReport(month, rows, costs)


@dataclass(frozen=True)
class FloorCount:
    """The overview card: businesses under the margin floor this month, of those with a margin row."""
    below_floor: int
    businesses: int


def _revenue_by_business(start, end):
    """`revenue_in_month` in SQL: per business, the MRR of its last row if that pays, else the
    last paying row started in the month, else the row in effect at the start if it paid."""
    h = SubscriptionHistory
    mrr = case((h.status.in_(MRR_STATUSES), h.unit_amount), else_=0)
    paid_since = case((and_(h.started_at >= start, mrr > 0), 1), else_=0)
    before = case((h.started_at < start, 1), else_=0)
    # One window (one sort): running counts, newest first, make a row with count 1 the newest of its kind.
    def newest_first(expression):
        return expression.over(partition_by=h.business_id, order_by=(h.started_at.desc(), h.created_at.desc()),
                               rows=(None, 0))

    ranked = (
        select(h.business_id, mrr.label("mrr"), paid_since.label("paid_since"), before.label("before"),
               newest_first(func.row_number()).label("latest"),
               newest_first(func.sum(paid_since)).label("paid_rank"),
               newest_first(func.sum(before)).label("side_rank"))
        .where(h.started_at < end, or_(h.started_at >= start, h.ended_at.is_(None), h.ended_at >= start))
        .subquery()
    )
    last = func.max(case((ranked.c.latest == 1, ranked.c.mrr)))
    last_paid_since = func.max(case((and_(ranked.c.paid_since == 1, ranked.c.paid_rank == 1), ranked.c.mrr)))
    in_effect_at_start = func.max(case((and_(ranked.c.before == 1, ranked.c.side_rank == 1), ranked.c.mrr)))
    cents = case((last > 0, last), (last_paid_since.is_not(None), last_paid_since),
                 (in_effect_at_start > 0, in_effect_at_start), else_=0)
    return select(ranked.c.business_id, cents.label("cents")).group_by(ranked.c.business_id)


def floor_count(month: date) -> FloorCount:
    """What `margin_report(month)` counts, without building the report: one statement returns
    the four figures per business and `_cost_and_flag` decides, as it does for the report."""
    costs = settings.costs()
    start, end = month_start(month), month_start(add_months(month, 1))
    revenue = _revenue_by_business(start, min(end, utcnow())).cte("revenue")
    minutes = _minutes_by_business(start, end).cte("minutes")
    messages = _messages_by_business(start, end).cte("messages")
    ids = union(select(revenue.c.business_id).where(revenue.c.cents > 0), select(minutes.c.business_id),
                select(messages.c.business_id)).subquery()
    stmt = (select(revenue.c.cents, minutes.c.inbound, minutes.c.outbound, messages.c.messages)
            .select_from(ids.join(Business, Business.id == ids.c.business_id)
                         .outerjoin(revenue, revenue.c.business_id == ids.c.business_id)
                         .outerjoin(minutes, minutes.c.business_id == ids.c.business_id)
                         .outerjoin(messages, messages.c.business_id == ids.c.business_id)))
    below = total = 0
    for cents, inbound, outbound, count in db.session.execute(stmt):
        _cost, flagged = _cost_and_flag(Decimal(cents or 0) / 100, Decimal(inbound or 0) / 60,
                                        Decimal(outbound or 0) / 60, count or 0, costs)
        below += flagged
        total += 1
    return FloorCount(below, total)
