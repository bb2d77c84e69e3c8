"""Revenue metrics derived from the MRR timeline: ARPA, churn rates,
retention, LTV and the cohort grid (definitions in docs/metrics.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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


def _retention(timeline: Timeline, month_index: int) -> tuple[float | None, float | None]:
    """Over the businesses paying at the month's start only: (gross, net) retention."""
    start = month_start(timeline.months[month_index])
    end = month_start(add_months(timeline.months[month_index], 1))
    base = kept = net = 0
    for rows in timeline.states.values():
        before = after = 0
        for started_at, mrr, _package in rows:
            if started_at < start:
                before = mrr
            if started_at < end:
                after = mrr
            else:
                break
        if before > 0:
            base += before
            kept += min(before, after)
            net += after
    return ratio(kept, base), ratio(net, base)


def revenue_months(timeline: Timeline) -> list[RevenueMonth]:
    result = []
    for index, figure in enumerate(timeline.figures):
        gross, net = _retention(timeline, index)
        lost = -(figure.amounts["churn"] + figure.amounts["contraction"])
        regained = figure.amounts["expansion"] + figure.amounts["reactivation"]
        result.append(RevenueMonth(
            month=figure.month,
            mrr=figure.mrr_end,
            customers=figure.customers_end,
            arpa=ratio(figure.mrr_end, figure.customers_end),
            logo_churn=ratio(figure.counts["churn"], figure.customers_start),
            net_mrr_churn=ratio(lost - regained, figure.mrr_start),
            gross_retention=gross,
            net_retention=net,
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


def cohort_grid(timeline: Timeline) -> list[CohortRow]:
    """Businesses grouped by the month of their first subscription; each cell is
    the share of the cohort paying at the end of that many months later."""
    months = timeline.months
    ends = [month_start(add_months(m, 1)) for m in months]
    index_of = {m: i for i, m in enumerate(months)}
    sizes = [0] * len(months)
    alive = [[0] * (len(months) - i) for i in range(len(months))]
    for rows in timeline.states.values():
        first = next((started_at for started_at, mrr, _ in rows if mrr > 0), None)
        if first is None:
            continue
        cohort = index_of.get(month_of_instant(first))
        if cohort is None:
            continue
        sizes[cohort] += 1
        position, mrr = 0, 0
        for offset, end in enumerate(ends[cohort:]):
            while position < len(rows) and rows[position][0] < end:
                mrr = rows[position][1]
                position += 1
            if mrr > 0:
                alive[cohort][offset] += 1
    return [
        CohortRow(month, sizes[i], [ratio(count, sizes[i]) for count in alive[i]])
        for i, month in enumerate(months) if sizes[i]
    ]
