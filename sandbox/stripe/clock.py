"""Time helpers: billing periods anchored on a day of the month, like Stripe's."""

from __future__ import annotations

import calendar
import datetime as dt
import time

DAY = 86400


def now() -> int:
    return int(time.time())


def add_months(anchor: int, months: int) -> int:
    """Same day-of-month `months` later, clamped to shorter months (Jan 31 -> Feb 28 -> Mar 31)."""
    moment = dt.datetime.fromtimestamp(anchor, dt.timezone.utc)
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def period_bounds(anchor: int, interval: str, interval_count: int, index: int) -> tuple[int, int]:
    """Start and end of the `index`-th billing period counted from `anchor`."""
    if interval == "month":
        return add_months(anchor, index * interval_count), add_months(anchor, (index + 1) * interval_count)
    if interval == "year":
        return add_months(anchor, index * 12 * interval_count), add_months(anchor, (index + 1) * 12 * interval_count)
    length = {"day": DAY, "week": 7 * DAY}[interval] * interval_count
    return anchor + index * length, anchor + (index + 1) * length


def format_date(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%-d %b %Y")
