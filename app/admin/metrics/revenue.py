"""Revenue metrics derived from the MRR timeline: ARPA, churn rates,
retention, LTV and the cohort grid (definitions in docs/metrics.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from app.admin.metrics.mrr import MonthFigures, Timeline
from app.admin.metrics.periods import add_months, month_of_instant, month_start

# LTV needs this many complete months, with at least this many customer-months at their starts.
LTV_MONTHS = 6
LTV_MIN_CUSTOMER_MONTHS = 30


def ratio(numerator, denominator) -> float | None:
    """None rather than a division by zero: the page says "no data"."""
    return None if not denominator else numerator / denominator


@dataclass
class RevenueMonth:
    month: date
    mrr: int
    customers: int
    arpa: float | None  # cents
    logo_churn: float | None
    net_mrr_churn: float | None
    gross_retention: float | None
    net_retention: float | None


@dataclass
class RetentionSums:
    """Cents over the businesses paying at a month's start: their MRR then (base),
    what they kept of it (at most the base each), and their MRR at the month's end."""
    base: int = 0
    kept: int = 0
    net: int = 0

    @property
    def gross_rate(self) -> float | None:
        return ratio(self.kept, self.base)

    @property
    def net_rate(self) -> float | None:
        return ratio(self.net, self.base)


def retention_by_month(states: dict, months: list[date]) -> list[RetentionSums]:
    """One pass over each business's rows for every month of `months` (consecutive)."""
    bounds = [month_start(m) for m in months] + [month_start(add_months(months[-1], 1))]
    sums = [RetentionSums() for _ in months]
    for rows in states.values():
        position, mrr, at_bounds = 0, 0, []
        for boundary in bounds:
            while position < len(rows) and rows[position][0] < boundary:
                mrr = rows[position][1]
                position += 1
            at_bounds.append(mrr)
        for index, month_sums in enumerate(sums):
            before, after = at_bounds[index], at_bounds[index + 1]
            if before > 0:
                month_sums.base += before
                month_sums.kept += min(before, after)
                month_sums.net += after
    return sums


def revenue_months(timeline: Timeline) -> list[RevenueMonth]:
    return revenue_months_from(timeline.figures, retention_by_month(timeline.states, timeline.months))


def revenue_months_from(figures: list[MonthFigures], retentions: list[RetentionSums]) -> list[RevenueMonth]:
    """From each month's MRR figures and retention sums (a timeline's or the snapshots')."""
    result = []
    for figure, retention in zip(figures, retentions):
        lost = -(figure.amounts["churn"] + figure.amounts["contraction"])
        regained = figure.amounts["expansion"] + figure.amounts["reactivation"]
        result.append(RevenueMonth(
            month=figure.month,
            mrr=figure.mrr_end,
            customers=figure.customers_end,
            arpa=ratio(figure.mrr_end, figure.customers_end),
            logo_churn=ratio(figure.counts["churn"], figure.customers_start),
            net_mrr_churn=ratio(lost - regained, figure.mrr_start),
            gross_retention=retention.gross_rate,
            net_retention=retention.net_rate,
        ))
    return result


@dataclass
class Ltv:
    value: float | None  # cents
    arpa: float | None
    average_churn: float | None
    months_used: list[date]
    reason: str | None  # why there is no value


def ltv(figures: list[MonthFigures], current: date) -> Ltv:
    """ARPA of the last complete month ÷ the logo churn rate averaged over the
    last six complete months."""
    complete = [f for f in figures if f.month < current][-LTV_MONTHS:]
    if len(complete) < LTV_MONTHS:
        return Ltv(None, None, None, [f.month for f in complete],
                   f"Not enough data: {LTV_MONTHS} complete months are needed, the range has {len(complete)}.")
    customer_months = sum(f.customers_start for f in complete)
    if customer_months < LTV_MIN_CUSTOMER_MONTHS:
        return Ltv(None, None, None, [f.month for f in complete],
                   f"Not enough data: at least {LTV_MIN_CUSTOMER_MONTHS} paying customer-months are needed, "
                   f"there were {customer_months}.")
    rates = [ratio(f.counts["churn"], f.customers_start) or 0.0 for f in complete]
    average = sum(rates) / len(rates)
    arpa = ratio(complete[-1].mrr_end, complete[-1].customers_end)
    if not average or arpa is None:
        return Ltv(None, arpa, average, [f.month for f in complete],
                   "Not enough data: no customer churned in the last six months, so lifetime is unbounded.")
    return Ltv(arpa / average, arpa, average, [f.month for f in complete], None)


@dataclass
class CohortRow:
    month: date
    size: int
    retained: list[float | None]  # share still paying at the end of month 0, 1, 2, ...


@dataclass
class CohortMonth:
    """One month's contribution to the cohort grid: how many businesses first
    paid in it, and per cohort (month of first payment) how many pay at its end."""
    month: date
    started: int = 0
    paying_by_cohort: dict = field(default_factory=dict)  # cohort month -> businesses paying at this month's end


def first_paid(rows) -> datetime | None:
    return next((started_at for started_at, mrr, _ in rows if mrr > 0), None)


def cohort_months(states: dict, months: list[date]) -> list[CohortMonth]:
    """Per month of `months` (consecutive): cohort sizes and who still pays, for every
    cohort including those that started before the first month."""
    ends = [month_start(add_months(m, 1)) for m in months]
    result = [CohortMonth(m) for m in months]
    for rows in states.values():
        first = first_paid(rows)
        if first is None:
            continue
        cohort = month_of_instant(first)
        position, mrr = 0, 0
        for index, end in enumerate(ends):
            if months[index] < cohort:
                continue
            if months[index] == cohort:
                result[index].started += 1
            while position < len(rows) and rows[position][0] < end:
                mrr = rows[position][1]
                position += 1
            if mrr > 0:
                result[index].paying_by_cohort[cohort] = result[index].paying_by_cohort.get(cohort, 0) + 1
    return result


def cohort_grid(timeline: Timeline) -> list[CohortRow]:
    """Businesses grouped by the month of their first subscription; each cell is
    the share of the cohort paying at the end of that many months later."""
    return cohort_grid_from(cohort_months(timeline.states, timeline.months))


def cohort_grid_from(months: list[CohortMonth]) -> list[CohortRow]:
    rows = []
    for index, cohort in enumerate(months):
        if not cohort.started:
            continue
        rows.append(CohortRow(cohort.month, cohort.started, [
            ratio(later.paying_by_cohort.get(cohort.month, 0), cohort.started) for later in months[index:]]))
    return rows
