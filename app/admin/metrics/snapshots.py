"""Monthly snapshots: closed months are read from `metric_snapshots`, the live
month is computed on read (`app.admin.metrics.live`). `rebuild()` recomputes
every closed month from the full history and replaces the snapshots in one
transaction, so running it twice gives the same rows. The job
`rebuild_metric_snapshots` runs hourly and after a history row lands in a
closed month (Stripe backdates a start or an end).

A snapshot holds integers only (cents, counts, seconds), so a figure read
back is exactly the one the full computation gives:

* every row: the month's MRR figures for its package ("" for all) and the
  retention sums (over all packages, as the full computation counts them);
* the all-packages row also: the cohort counts and the usage cells per package.

A closed month without a snapshot (a fresh install, a changed zone) falls
back to the full computation and queues a rebuild.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import delete, func, select

from app.admin.metrics import revenue, usage
from app.admin.metrics.live import LiveMonth
from app.admin.metrics.mrr import KINDS, MonthFigures, build_timeline, load_rows
from app.admin.metrics.periods import add_months, current_month, month_of_instant, month_start, months_between
from app.extensions import db
from app.models import MetricSnapshot, SubscriptionHistory
from app.models.base import utcnow
from app.packages.catalog import PACKAGES

JOB_ID = "metric-snapshots"
_ROW_FIELDS = ("mrr_start", "retention")
_ALL_PACKAGES_FIELDS = ("cohorts", "usage")


def _zone_name() -> str:
    from flask import current_app

    return current_app.config.get("OPERATOR_TIMEZONE") or "UTC"


def _to_payload(figure: MonthFigures, retention: revenue.RetentionSums) -> dict:
    return {"mrr_start": figure.mrr_start, "mrr_end": figure.mrr_end, "customers_start": figure.customers_start,
            "customers_end": figure.customers_end, "amounts": figure.amounts, "counts": figure.counts,
            "packages_end": dict(figure.packages_end),
            "retention": [retention.base, retention.kept, retention.net]}


def _from_payload(month: date, payload: dict) -> MonthFigures:
    figure = MonthFigures(month=month, mrr_start=payload["mrr_start"], mrr_end=payload["mrr_end"],
                          customers_start=payload["customers_start"], customers_end=payload["customers_end"])
    figure.amounts = {k: int(payload["amounts"].get(k, 0)) for k in KINDS}
    figure.counts = {k: int(payload["counts"].get(k, 0)) for k in KINDS}
    figure.packages_end = Counter(payload.get("packages_end") or {})
    return figure


def _cohort_payload(cohort: revenue.CohortMonth) -> dict:
    return {"started": cohort.started,
            "paying": {f"{month:%Y-%m}": count for month, count in cohort.paying_by_cohort.items()}}


def _cohort_from(month: date, payload: dict | None) -> revenue.CohortMonth:
    payload = payload or {}
    return revenue.CohortMonth(month, int(payload.get("started", 0)), {
        date(int(key[:4]), int(key[5:7]), 1): int(count) for key, count in (payload.get("paying") or {}).items()})


def _usage_payload(table: dict, month: date) -> dict:
    return {package: {name: getattr(cell, name) for name in usage.SUMMED}
            for (cell_month, package), cell in table.items() if cell_month == month}


def _usage_from(month: date, payload: dict | None) -> dict:
    return {(month, package): usage.UsageMonth(month, package, **{k: int(v) for k, v in values.items()})
            for package, values in (payload or {}).items()}


def rebuild(now=None) -> int:
    """Recompute every closed month's snapshot (all packages and each one). Returns the months written."""
    first = db.session.scalar(select(func.min(SubscriptionHistory.started_at)))
    zone = _zone_name()
    last_closed = add_months(current_month(now), -1)
    db.session.execute(delete(MetricSnapshot).where(MetricSnapshot.zone == zone))
    if first is None or month_of_instant(first) > last_closed:
        db.session.commit()
        return 0
    months = months_between(month_of_instant(first), last_closed)
    states = load_rows(month_start(add_months(last_closed, 1)))
    retentions = revenue.retention_by_month(states, months)
    computed_at = utcnow()
    for package in [None] + [p.slug for p in PACKAGES]:
        timeline = build_timeline(months, package, states=states)
        payloads = [_to_payload(figure, retention) for figure, retention in zip(timeline.figures, retentions)]
        if package is None:
            table = usage.usage_months(timeline)
            for payload, cohort in zip(payloads, revenue.cohort_months(states, months)):
                payload["cohorts"] = _cohort_payload(cohort)
                payload["usage"] = _usage_payload(table, cohort.month)
        db.session.add_all(MetricSnapshot(month=month, zone=zone, package=package or "", figures=payload,
                                          computed_at=computed_at) for month, payload in zip(months, payloads))
    db.session.commit()
    return len(months)


class Monthly:
    """A range of months for one request: closed months from the snapshots, the
    live month computed once; the full computation when a snapshot is missing."""

    def __init__(self, months: list[date], package: str | None = None):
        self.months, self.package = months, package
        self.this_month = current_month()
        self.closed = [m for m in months if m < self.this_month]
        includes_live = any(m >= self.this_month for m in months)
        self.before_live = add_months(self.this_month, -1)
        rows = self._read(self.closed + ([self.before_live] if includes_live else []), {package or "", ""})
        self.stored = {month: payload for (month, slug), payload in rows.items()
                       if slug == (package or "") and month in self.closed}
        self.all_packages = {month: payload for (month, slug), payload in rows.items() if slug == ""}
        self.full = None
        missing = [m for m in self.closed if m not in self.stored]
        if missing and _has_history_before(month_start(add_months(missing[-1], 1))):
            _queue_rebuild()
            self.full = build_timeline(months, package)
        self.live = None
        if includes_live:
            previous = None
            before = rows.get((self.before_live, package or "")), rows.get((self.before_live, ""))
            if all(before):
                previous = (_from_payload(self.before_live, before[0]), _from_payload(self.before_live, before[1]))
            self.live = LiveMonth(self.this_month, previous)

    def _read(self, months: list[date], packages: set[str]) -> dict:
        """(month, package) -> payload of the stored snapshots."""
        if not months:
            return {}
        found = {}
        for row in db.session.scalars(select(MetricSnapshot).where(
                MetricSnapshot.zone == _zone_name(), MetricSnapshot.package.in_(packages),
                MetricSnapshot.month.in_(months))):
            # A row written before a field was added counts as missing: the rebuild adds it.
            wanted = _ROW_FIELDS + (_ALL_PACKAGES_FIELDS if row.package == "" else ())
            if all(name in row.figures for name in wanted):
                found[(row.month, row.package)] = row.figures
        return found

    def figures(self) -> list[MonthFigures]:
        if self.full is not None:
            return self.full.figures
        figures = [_from_payload(m, self.stored[m]) if m in self.stored else MonthFigures(month=m) for m in self.closed]
        if self.live is not None:
            figures.append(self.live.figures(self.package))
        return figures

    def retentions(self) -> list[revenue.RetentionSums]:
        if self.full is not None:
            return revenue.retention_by_month(self.full.states, self.months)
        sums = [revenue.RetentionSums(*self.stored[m]["retention"]) if m in self.stored else revenue.RetentionSums()
                for m in self.closed]
        if self.live is not None:
            sums.append(self.live.retention())
        return sums

    def cohorts(self) -> list[revenue.CohortMonth]:
        """All packages only (the grid is not filtered by package)."""
        assert self.package is None
        if self.full is not None:
            return revenue.cohort_months(self.full.states, self.months)
        cohorts = [_cohort_from(m, self.stored.get(m, {}).get("cohorts")) for m in self.closed]
        if self.live is not None:
            previous = self.all_packages.get(self.before_live, {}).get("cohorts")
            cohorts.append(self.live.cohorts(_cohort_from(self.before_live, previous)))
        return cohorts

    def usage(self) -> dict:
        """(month, package or "none") -> UsageMonth, all packages only."""
        assert self.package is None
        if self.full is not None:
            return usage.usage_months(self.full)
        table = {}
        for month in self.closed:
            table.update(_usage_from(month, self.stored.get(month, {}).get("usage")))
        if self.live is not None:
            table.update(self.live.usage())
        return table

    def usage_cells(self, month: date) -> list[usage.UsageMonth] | None:
        """A closed month's usage cells (every package and "none") from its snapshot; None without one."""
        if self.package is not None or self.full is not None or month not in self.stored:
            return None
        return list(_usage_from(month, self.stored[month].get("usage")).values())


def figures_for(months: list[date], package: str | None = None) -> list[MonthFigures]:
    """Snapshots for closed months plus the live month; the full computation when one is missing."""
    return Monthly(months, package).figures()


def live_month(month: date, package: str | None = None) -> MonthFigures:
    """The month in progress from the rows in effect at its start and those started since."""
    return LiveMonth(month).figures(package)


def _has_history_before(moment) -> bool:
    return db.session.scalar(select(SubscriptionHistory.id).where(SubscriptionHistory.started_at < moment).limit(1)) is not None


def _queue_rebuild(delay: timedelta | None = None) -> None:
    from app.jobs import enqueue

    enqueue("app.admin.jobs.rebuild_metric_snapshots", job_id=JOB_ID, delay=delay)


def queue_rebuild_if_closed(moment) -> None:
    """After a history row starts or ends at `moment`: a closed month changed, so rebuild soon.
    Delayed so the caller's transaction has committed (and a burst of webhooks makes one rebuild)."""
    if moment is not None and moment < month_start(current_month()):
        _queue_rebuild(delay=timedelta(seconds=30))
