"""Calling windows, evaluated in each contact's own zone and always clamped
to 08:00–21:00 local time (the widest the law allows in most of the US)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from app.timezones import local_wall_time, to_local, zone

EARLIEST = time(8, 0)
LATEST = time(21, 0)
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def parse_clock(text: str) -> time:
    hours, minutes = (text or "").split(":")
    return time(int(hours), int(minutes))


def clamped(start: str, end: str) -> tuple[time, time]:
    return max(parse_clock(start), EARLIEST), min(parse_clock(end), LATEST)


def next_opening(campaign, zone_name: str, now: datetime) -> datetime | None:
    """The first instant at or after `now` (and the campaign's start) at which the
    contact's window is open; None when the campaign ends first."""
    tz = zone(zone_name)
    start_clock, end_clock = clamped(campaign.window_start, campaign.window_end)
    moment = max(now, campaign.starts_at)
    local_day = to_local(moment, tz).date()
    for offset in range(0, 15):  # two weeks covers any set of weekdays and DST changes
        day = local_day + timedelta(days=offset)
        if day.weekday() not in (campaign.days or []):
            continue
        opens, closes = local_wall_time(tz, day, start_clock), local_wall_time(tz, day, end_clock)
        if moment < closes:
            candidate = max(moment, opens)
            if campaign.ends_at is not None and candidate >= campaign.ends_at:
                return None
            return candidate
    return None


def is_open(campaign, zone_name: str, now: datetime) -> bool:
    return next_opening(campaign, zone_name, now) == max(now, campaign.starts_at) and now >= campaign.starts_at
