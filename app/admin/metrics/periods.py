"""Months in the operator's time zone, and the console's date-range filter.

A month is [local midnight of its first day, local midnight of the next
month's first day) in OPERATOR_TIMEZONE, converted to UTC: a change at
04:30 UTC on March 1st belongs to February in New York.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app

from app.packages.catalog import PACKAGES_BY_SLUG
from app.timezones import local_midnight, local_today, zone_of

PRESETS = {
    "3m": ("Last 3 months", 3),
    "6m": ("Last 6 months", 6),
    "12m": ("Last 12 months", 12),
    "24m": ("Last 24 months", 24),
    "all": ("Since launch", None),
}
DEFAULT_PRESET = "12m"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def operator_zone():
    return zone_of(current_app.config.get("OPERATOR_TIMEZONE") or "UTC")


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    months, month = [], month_of(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def month_start(month: date) -> datetime:
    """The UTC instant the month starts in the operator's zone."""
    return local_midnight(operator_zone(), month)


def current_month(now: datetime | None = None) -> date:
    return month_of(local_today(operator_zone(), now))


def month_of_instant(moment: datetime) -> date:
    from app.timezones import to_local

    return month_of(to_local(moment, operator_zone()).date())


def month_label(month: date) -> str:
    return month.strftime("%b %Y")


def parse_month(raw: str | None) -> date | None:
    match = _MONTH.match((raw or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2200 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


@dataclass
class RangeFilter:
    """The months shown (oldest first), the package filter, and any field errors."""

    months: list[date]
    preset: str | None
    package: str | None
    start_raw: str = ""
    end_raw: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def first(self) -> date:
        return self.months[0]

    @property
    def last(self) -> date:
        return self.months[-1]

    def query_args(self) -> dict:
        args = {"package": self.package} if self.package else {}
        if self.preset:
            args["range"] = self.preset
        else:
            args.update({"from": self.first.strftime("%Y-%m"), "to": self.last.strftime("%Y-%m")})
        return args


def parse_range(args, launch_month: date, now: datetime | None = None) -> RangeFilter:
    """Read ?range= (a preset) or ?from=YYYY-MM&to=YYYY-MM, and ?package=.
    Bad input yields field errors and the default view, never an exception."""
    this_month = current_month(now)
    errors: dict[str, str] = {}
    package = (args.get("package") or "").strip() or None
    if package is not None and package not in PACKAGES_BY_SLUG:
        errors["package"] = "Unknown package: choose one from the list."
        package = None
    start_raw, end_raw = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    if start_raw or end_raw:
        start, end = parse_month(start_raw), parse_month(end_raw or this_month.strftime("%Y-%m"))
        if start is None:
            errors["from"] = "Start month: use the form YYYY-MM."
        if end is None:
            errors["to"] = "End month: use the form YYYY-MM."
        if start and end and start > end:
            errors["to"] = "The end month is before the start month."
        if start and end and start <= end and not errors.get("from") and not errors.get("to"):
            end = min(end, this_month)
            start = min(start, end)
            return RangeFilter(months_between(start, end), None, package, start_raw, end_raw, errors)
    preset = (args.get("range") or DEFAULT_PRESET).strip()
    if preset not in PRESETS:
        errors["range"] = "Unknown range: choose one of the presets."
        preset = DEFAULT_PRESET
    count = PRESETS[preset][1]
    first = min(launch_month, this_month) if count is None else add_months(this_month, -(count - 1))
    return RangeFilter(months_between(first, this_month), preset, package, start_raw, end_raw, errors)
