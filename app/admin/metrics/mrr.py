"""MRR and its movements, from `subscription_history` alone.

Every history row is a stretch of time in one state; its MRR is the row's
`unit_amount` (the monthly package price the subscription bills, after
discounts, before tax) when the status is active or past_due, else 0. A
change of a business's MRR between consecutive rows is one movement:

* 0 → x: **new** the first time, **reactivation** after that;
* x → 0: **churn** (a cancellation's `cancelled` row starts at the end of the
  paid period; a suspension ends MRR at once: past-due keeps it until then);
* x → y: **expansion** if y > x, **contraction** if y < x.

Because the rows never change once closed, a month's figures are the same
whenever they are computed. Invoices (refunds, tax, one-off charges) are
never read, so they cannot move MRR.
"""
from __future__ import annotations

import uuid
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, and_, case, func, or_, select

from app.admin.metrics.periods import add_months, month_start
from app.extensions import db
from app.models import BillingStatus, SubscriptionHistory

MRR_STATUSES = (BillingStatus.ACTIVE, BillingStatus.PAST_DUE)
KINDS = ("new", "expansion", "reactivation", "contraction", "churn")
GAINS = ("new", "expansion", "reactivation")
LOSSES = ("contraction", "churn")


@dataclass(frozen=True)
class Movement:
    at: datetime
    business_id: uuid.UUID
    kind: str
    delta: int  # cents; negative for losses
    package: str  # after the movement; before it for churn


@dataclass
class MonthFigures:
    month: date
    mrr_start: int = 0
    mrr_end: int = 0
    customers_start: int = 0
    customers_end: int = 0
    amounts: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    counts: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    # kind -> the movements behind the figure (the drill-down from a bar)
    movements: dict = field(default_factory=lambda: {k: [] for k in KINDS})
    packages_end: Counter = field(default_factory=Counter)

    @property
    def net(self) -> int:
        return sum(self.amounts.values())


@dataclass
class Timeline:
    """Per-business states and every movement up to the end of the last month asked for."""

    months: list[date]
    figures: list[MonthFigures]
    movements: list[Movement]
    # business id -> [(started_at, mrr, package)] in time order
    states: dict[uuid.UUID, list[tuple[datetime, int, str]]]

    def by_month(self) -> dict[date, MonthFigures]:
        return {f.month: f for f in self.figures}


def load_rows(until: datetime, *, since: datetime | None = None, paying_at_since: bool = False,
              business_ids=None) -> dict[uuid.UUID, list[tuple[datetime, int, str]]]:
    """(started_at, mrr, package) per business, oldest first, for rows started before `until`
    (and, with `since`, only rows still in effect at `since` or started after it; with
    `paying_at_since`, of the rows in effect then only those that paid)."""
    stmt = (
        select(SubscriptionHistory.business_id, SubscriptionHistory.started_at, SubscriptionHistory.unit_amount,
               SubscriptionHistory.status, SubscriptionHistory.package_slug)
        .where(SubscriptionHistory.started_at < until)
        .order_by(SubscriptionHistory.business_id, SubscriptionHistory.started_at, SubscriptionHistory.created_at)
    )
    if since is not None:
        in_effect = or_(SubscriptionHistory.ended_at.is_(None), SubscriptionHistory.ended_at >= since)
        if paying_at_since:
            in_effect = and_(in_effect, SubscriptionHistory.status.in_(MRR_STATUSES))
        stmt = stmt.where(or_(SubscriptionHistory.started_at >= since, in_effect))
    if business_ids is not None:  # ids, or a SELECT of them
        stmt = stmt.where(SubscriptionHistory.business_id.in_(
            business_ids if isinstance(business_ids, Select) else list(business_ids)))
    return _states(stmt)


def _states(stmt) -> dict[uuid.UUID, list[tuple[datetime, int, str]]]:
    """Rows of (business_id, started_at, unit_amount, status, package_slug), ordered by business
    and time, as (started_at, mrr, package) per business."""
    states: dict[uuid.UUID, list] = defaultdict(list)
    # Through the session's connection: a column select needs none of the ORM's result handling,
    # which costs about a third more per row (the full computation reads every history row).
    for business_id, started_at, amount, status, package in db.session.connection().execute(stmt):
        states[business_id].append((started_at, amount if status in MRR_STATUSES else 0, package))
    return states


def _rows_with_previous(start: datetime, end: datetime):
    """The rows in effect at `start` (as `load_rows(since=start)` finds them) or started in
    [start, end), each beside the (MRR, package) of the row before it; and the condition that a
    row started in the span changed that state (or has no row before it)."""
    h = SubscriptionHistory
    mrr = case((h.status.in_(MRR_STATUSES), h.unit_amount), else_=0)
    order = {"partition_by": h.business_id, "order_by": (h.started_at, h.created_at)}
    rows = (
        select(h.business_id, h.started_at, h.created_at, h.unit_amount, h.status, h.package_slug, mrr.label("mrr"),
               func.lag(mrr).over(**order).label("mrr_before"),
               func.lag(h.package_slug).over(**order).label("package_before"),
               func.row_number().over(**order).label("position"))
        .where(h.started_at < end, or_(h.started_at >= start, h.ended_at.is_(None), h.ended_at >= start))
        .subquery()
    )
    changed = and_(rows.c.started_at >= start, or_(rows.c.position == 1, rows.c.mrr != rows.c.mrr_before,
                                                   rows.c.package_slug != rows.c.package_before))
    return rows, changed


def changed_between(start: datetime, end: datetime) -> Select:
    """The businesses with a row started in [start, end) whose (MRR, package) differs from the
    row before it, or that has none before it: only they can move MRR, customers, packages,
    retention or cohorts in that span. A renewal repeating the same state is left out, so a month
    where most paying businesses renew reads only the few that changed."""
    rows, changed = _rows_with_previous(start, end)
    return select(rows.c.business_id).where(changed).distinct()


def load_changed_rows(start: datetime, end: datetime) -> dict[uuid.UUID, list[tuple[datetime, int, str]]]:
    """`load_rows(end, since=start, paying_at_since=True, business_ids=changed_between(start, end))`
    in one pass over the rows in effect at `start` and those started since (one sort, no second
    scan to join back)."""
    rows, changed = _rows_with_previous(start, end)
    marked = select(*rows.c, func.max(case((changed, 1), else_=0)).over(partition_by=rows.c.business_id)
                    .label("moved")).subquery()
    return _states(
        select(marked.c.business_id, marked.c.started_at, marked.c.unit_amount, marked.c.status,
               marked.c.package_slug)
        .where(marked.c.moved == 1, or_(marked.c.started_at >= start, marked.c.status.in_(MRR_STATUSES)))
        .order_by(marked.c.business_id, marked.c.started_at, marked.c.created_at))


def movements_of(business_id: uuid.UUID, rows: list[tuple[datetime, int, str]],
                 subscribed_before: bool = False) -> list[Movement]:
    """Movements along a business's rows; with a partial history, `subscribed_before`
    says whether it paid before the first row (a 0 → x is then a reactivation)."""
    found, previous, previous_package = [], 0, None
    for started_at, mrr, package in rows:
        if mrr != previous:
            if previous == 0:
                kind = "reactivation" if subscribed_before else "new"
                subscribed_before = True
            elif mrr == 0:
                kind = "churn"
            else:
                kind = "expansion" if mrr > previous else "contraction"
            found.append(Movement(started_at, business_id, kind, mrr - previous,
                                  previous_package if kind == "churn" else package))
        previous, previous_package = mrr, package
    return found


def build_timeline(months: list[date], package: str | None = None, *, business_ids=None,
                   states: dict | None = None, subscribed_before: set | None = None) -> Timeline:
    """Figures for each month in `months` (consecutive, oldest first).

    With a package filter, movements are those whose package (after the
    move; before it for churn) is that package, and MRR/customers count the
    businesses on it: businesses moving between packages make the filtered
    movements not add up to the filtered MRR change (docs/metrics.md)."""
    boundaries = [month_start(m) for m in months] + [month_start(add_months(months[-1], 1))]
    if states is None:
        states = load_rows(boundaries[-1], business_ids=business_ids)
    movements: list[Movement] = []
    figures = [MonthFigures(month=m) for m in months]
    for business_id, rows in states.items():
        earlier = subscribed_before is not None and business_id in subscribed_before
        for movement in movements_of(business_id, rows, earlier):
            movements.append(movement)
            index = bisect_right(boundaries, movement.at) - 1
            if 0 <= index < len(months) and (package is None or movement.package == package):
                figure = figures[index]
                figure.amounts[movement.kind] += movement.delta
                figure.counts[movement.kind] += 1
                figure.movements[movement.kind].append(movement)
        _add_boundary_states(figures, boundaries, rows, package)
    return Timeline(months=months, figures=figures, movements=movements, states=states)


def _add_boundary_states(figures, boundaries, rows, package) -> None:
    """Add one business's MRR at each month's start and end to the month totals."""
    position, mrr, current_package = 0, 0, None
    for index, boundary in enumerate(boundaries):
        while position < len(rows) and rows[position][0] < boundary:
            _started, mrr, current_package = rows[position]
            position += 1
        counted = mrr > 0 and (package is None or current_package == package)
        if index < len(figures) and counted:
            figures[index].mrr_start += mrr
            figures[index].customers_start += 1
        if index > 0 and counted:
            figures[index - 1].mrr_end += mrr
            figures[index - 1].customers_end += 1
            figures[index - 1].packages_end[current_package] += 1


def state_at(rows: list[tuple[datetime, int, str]], moment: datetime) -> tuple[int, str | None]:
    """A business's (MRR, package) at an instant."""
    mrr, package = 0, None
    for started_at, amount, slug in rows:
        if started_at >= moment:
            break
        mrr, package = amount, slug
    return mrr, package


def mrr_at(moment: datetime) -> int:
    """Total MRR in cents at an instant (the reconciliation compares this with Stripe)."""
    return sum(state_at(rows, moment)[0] for rows in load_rows(moment).values())


def mrr_by_business_at(moment: datetime) -> dict[uuid.UUID, tuple[int, str | None]]:
    return {business_id: state_at(rows, moment) for business_id, rows in load_rows(moment).items()}


def month_movements(month: date, kind: str, package: str | None = None) -> list[Movement]:
    """The movements of one kind behind a month's bar, oldest first, reading only what they need:
    the businesses whose state changed in the month (only they can have moved in it), their rows
    from the one paying at the month's start on, and, for new and reactivation only, whether each
    paid before the month (which tells the two apart). Equal to `build_timeline`'s for the month."""
    start, end = month_start(month), month_start(add_months(month, 1))
    states = load_changed_rows(start, end)
    paid_before = set()
    if states and kind in ("new", "reactivation"):
        paid_before = set(db.session.scalars(
            select(SubscriptionHistory.business_id).distinct()
            .where(SubscriptionHistory.business_id.in_(list(states)), SubscriptionHistory.started_at < start,
                   SubscriptionHistory.status.in_(MRR_STATUSES), SubscriptionHistory.unit_amount > 0)))
    found = [movement for business_id, rows in states.items()
             for movement in movements_of(business_id, rows, business_id in paid_before)
             if start <= movement.at < end and movement.kind == kind and (package is None or movement.package == package)]
    return sorted(found, key=lambda m: m.at)
