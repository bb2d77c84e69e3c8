"""The month in progress, computed on read. Closed months come from the
snapshots (`app.admin.metrics.snapshots`); this module gives the live month
the figures the full computation would, from the previous month's snapshot
(the state at the live month's start) moved by the businesses with a history
row in the live month that changes their MRR or package: only they can have
moved since (a renewal repeating the state moves nothing; `mrr.changed_between`).

Usage is the exception: it attributes each call to the package its business
pays for, so it reads every business paying at the month's start.
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from functools import cached_property

from sqlalchemy import func, select

from app.admin.metrics import revenue, usage
from app.admin.metrics.mrr import (MRR_STATUSES, MonthFigures, Timeline, build_timeline, load_changed_rows, load_rows,
                                   state_at)
from app.admin.metrics.periods import add_months, month_of_instant, month_start
from app.extensions import db
from app.models import SubscriptionHistory


class LiveMonth:
    """One request's view of the live month; each figure is computed at most once.

    `previous` is the month before's snapshot for the package shown and for all
    packages ((figures, figures_all) or None when there is none to start from:
    then every business paying at the start is read, as usage needs anyway)."""

    def __init__(self, month: date, previous: tuple[MonthFigures, MonthFigures] | None = None):
        self.month = month
        self.start = month_start(month)
        self.end = month_start(add_months(month, 1))
        self.previous = previous

    @cached_property
    def states(self) -> dict:
        """Rows paying at the start and every row started since, for every business."""
        return load_rows(self.end, since=self.start, paying_at_since=True)

    @cached_property
    def moved_states(self) -> dict:
        """The same, for the businesses whose MRR or package changed in the month: only they can move in it."""
        if self.previous is None:
            return self.states
        return load_changed_rows(self.start, self.end)

    @cached_property
    def _changed(self) -> tuple[set, set]:
        """(businesses paying at the end but not the start, paying at the start but not the end)."""
        started, stopped = set(), set()
        for business_id, rows in self.moved_states.items():
            before, after = state_at(rows, self.start)[0] > 0, state_at(rows, self.end)[0] > 0
            if after and not before:
                started.add(business_id)
            elif before and not after:
                stopped.add(business_id)
        return started, stopped

    @cached_property
    def first_paid_before(self) -> dict:
        """Business -> its first paid instant before the month, for those whose paying changed in it
        (whether a 0 → x is new or a reactivation, and which cohort a business joins or leaves)."""
        started, stopped = self._changed
        fresh = {business_id for business_id, rows in self.moved_states.items() if rows[0][0] >= self.start}
        wanted = list(started | stopped | fresh)
        if not wanted:
            return {}
        return dict(db.session.execute(
            select(SubscriptionHistory.business_id, func.min(SubscriptionHistory.started_at))
            .where(SubscriptionHistory.business_id.in_(wanted), SubscriptionHistory.started_at < self.start,
                   SubscriptionHistory.status.in_(MRR_STATUSES), SubscriptionHistory.unit_amount > 0)
            .group_by(SubscriptionHistory.business_id)).all())

    def figures(self, package: str | None = None) -> MonthFigures:
        moved = build_timeline([self.month], package, states=self.moved_states,
                               subscribed_before=set(self.first_paid_before)).figures[0]
        if self.previous is None:
            return moved
        # The unmoved businesses are where the previous month left them.
        before = self.previous[0]
        start_packages = Counter()
        for rows in self.moved_states.values():
            mrr, slug = state_at(rows, self.start)
            if mrr > 0 and (package is None or slug == package):
                start_packages[slug] += 1
        moved.mrr_end += before.mrr_end - moved.mrr_start
        moved.customers_end += before.customers_end - moved.customers_start
        moved.mrr_start, moved.customers_start = before.mrr_end, before.customers_end
        moved.packages_end = +(before.packages_end - start_packages + moved.packages_end)
        return moved

    def retention(self) -> revenue.RetentionSums:
        sums = revenue.retention_by_month(self.moved_states, [self.month])[0]
        if self.previous is not None:
            unmoved = self.previous[1].mrr_end - sums.base  # paying at the start, and kept it all
            sums = revenue.RetentionSums(sums.base + unmoved, sums.kept + unmoved, sums.net + unmoved)
        return sums

    def cohorts(self, previous: revenue.CohortMonth) -> revenue.CohortMonth:
        """The previous month's paying-by-cohort counts, moved by the businesses that
        started or stopped paying during this one."""
        started, stopped = self._changed
        result = revenue.CohortMonth(self.month, 0, dict(previous.paying_by_cohort))
        for business_id in started | stopped:
            first = self.first_paid_before.get(business_id)
            if first is None:  # first paid in this month: a new cohort member
                first = revenue.first_paid(self.moved_states[business_id])
                result.started += 1
            cohort = month_of_instant(first)
            result.paying_by_cohort[cohort] = result.paying_by_cohort.get(cohort, 0) + (
                1 if business_id in started else -1)
        result.paying_by_cohort = {c: n for c, n in result.paying_by_cohort.items() if n}
        # A business can first pay and stop within the month: it joined the cohort all the same.
        for business_id, rows in self.moved_states.items():
            if business_id in started or business_id in self.first_paid_before:
                continue
            first = revenue.first_paid(rows)
            if first is not None and first >= self.start:
                result.started += 1
        return result

    def usage(self) -> dict:
        return usage.usage_months(Timeline(months=[self.month], figures=[], movements=[], states=self.states))
