"""Date ranges of the analytics pages, on the business's local days."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.timezones import local_days_bounds, local_today

PRESETS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "this_month": "This month",
    "last_month": "Last month",
    "custom": "Custom",
}
MAX_DAYS = 366


class RangeError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class DateRange:
    preset: str
    first: date
    last: date  # included

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]

    def previous(self) -> "DateRange":
        """The period of the same length just before this one."""
        last = self.first - timedelta(days=1)
        return DateRange("previous", last - timedelta(days=self.days - 1), last)

    def bounds(self, business) -> tuple[datetime, datetime]:
        """[start, end) in UTC: 23- and 25-hour DST days included whole."""
        return local_days_bounds(business, self.first, self.last)

    def label(self) -> str:
        if self.first == self.last:
            return f"{self.first:%b %-d, %Y}"
        return f"{self.first:%b %-d, %Y} – {self.last:%b %-d, %Y}"

    def query(self) -> dict:
        if self.preset == "custom":
            return {"range": "custom", "from": self.first.isoformat(), "to": self.last.isoformat()}
        return {"range": self.preset}


def preset_range(business, preset: str, today: date | None = None) -> DateRange:
    today = today or local_today(business)
    if preset == "7d":
        return DateRange(preset, today - timedelta(days=6), today)
    if preset == "90d":
        return DateRange(preset, today - timedelta(days=89), today)
    if preset == "this_month":
        return DateRange(preset, today.replace(day=1), today)
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return DateRange(preset, last.replace(day=1), last)
    return DateRange("30d", today - timedelta(days=29), today)


def parse_range(business, args) -> DateRange:
    """The range of a request's query string; RangeError (a 422) for bad input."""
    # "Apply dates" sends range=custom beside the preset select's value: the button wins.
    chosen = args.getlist("range") if hasattr(args, "getlist") else [args.get("range")]
    preset = "custom" if "custom" in chosen else (chosen[0] if chosen and chosen[0] else "30d").strip()
    if preset not in PRESETS:
        raise RangeError({"range": "Choose one of the listed ranges."})
    if preset != "custom":
        return preset_range(business, preset)
    errors, days = {}, {}
    for name, label in (("from", "start"), ("to", "end")):
        raw = (args.get(name) or "").strip()
        try:
            days[name] = date.fromisoformat(raw)
        except ValueError:
            errors[name] = f"Enter the {label} date as YYYY-MM-DD."
    if not errors:
        if days["to"] < days["from"]:
            errors["to"] = "The end date must be on or after the start date."
        elif (days["to"] - days["from"]).days + 1 > MAX_DAYS:
            errors["to"] = f"Choose at most {MAX_DAYS} days."
        elif days["from"].year < 2000 or days["to"] > local_today(business) + timedelta(days=366):
            errors["from"] = "Choose dates between 2000 and next year."
    if errors:
        raise RangeError(errors)
    return DateRange("custom", days["from"], days["to"])
