"""Margin per business for one month: package revenue against what 4calls
costs us (minutes × cost per minute, inbound and outbound, plus messages ×
cost per message). Costs and the floor are console settings."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select

from app.admin import settings
from app.admin.metrics.mrr import load_rows
from app.admin.metrics.periods import add_months, month_start
from app.extensions import db
from app.models import Business, Call, ChatConversation, ChatMessage
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


def margin_report(month: date, package: str | None = None) -> MarginReport:
    costs = settings.costs()
    start, end = month_start(month), month_start(add_months(month, 1))
    revenue = revenue_in_month(month)
    seconds = Call.duration_seconds
    minutes = {
        business_id: (Decimal(inbound or 0) / 60, Decimal(outbound or 0) / 60)
        for business_id, inbound, outbound in db.session.execute(
            select(Call.business_id,
                   func.sum(case((Call.direction == "inbound", seconds), else_=0)),
                   func.sum(case((Call.direction == "outbound", seconds), else_=0)))
            .where(Call.started_at >= start, Call.started_at < end).group_by(Call.business_id))
    }
    messages = dict(db.session.execute(
        select(ChatConversation.business_id, func.count())
        .join(ChatMessage, ChatMessage.conversation_id == ChatConversation.id)
        .where(ChatMessage.role == "assistant", ChatMessage.created_at >= start, ChatMessage.created_at < end)
        .group_by(ChatConversation.business_id)
    ).all())
    ids = set(revenue) | set(minutes) | set(messages)
    names = {row.id: row for row in db.session.execute(
        select(Business.id, Business.name, Business.slug).where(Business.id.in_(ids)))} if ids else {}
    floor = costs["margin_floor_percent"]
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
        cost = (inbound * costs["inbound_minute"] + outbound * costs["outbound_minute"]
                + count * costs["message"]).quantize(CENT, ROUND_HALF_UP)
        row = MarginRow(business_id, business.name, business.slug, slug, Decimal(cents) / 100,
                        inbound.quantize(CENT), outbound.quantize(CENT), count, cost, False)
        percent = row.margin_percent
        row.below_floor = (percent is None and cost > 0) or (percent is not None and percent < floor)
        rows.append(row)
    rows.sort(key=lambda r: (r.margin_percent is not None, r.margin_percent or 0, r.name))
    return MarginReport(month, rows, costs)
