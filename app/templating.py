"""Every Jinja filter the templates use (and the time and wording globals),
registered in one place by create_app.

A filter's function lives with its concept (local time in app.timezones,
words and status badges in app.wording, phone numbers in app.contacts.phone);
this module only names them for the templates. Formatting helpers that belong
to no area are defined here.
"""
from __future__ import annotations

from datetime import datetime

from app.clock import utcnow


def duration(seconds) -> str:
    """125 -> "2:05"; an hour or more -> "1:02:05"."""
    seconds = int(seconds or 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def ago(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    seconds = int((utcnow() - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def money(value) -> str:
    return f"${value:,.2f}"


def utc_label(moment) -> str:
    """Staff work across zones: console times are UTC, and say so."""
    return moment.strftime("%b %-d, %H:%M UTC") if moment else "—"


def register_filters(app) -> None:
    from app.calls.presenters import call_badges
    from app.contacts.phone import display_phone
    from app.timezones import (all_zone_names, localclock_filter, localdate_filter, localrange_filter,
                               localtime_filter, to_local, zone_label)
    from app.wording import package_name, plural, role_name, status_badge, status_label, status_tone, with_article

    app.jinja_env.filters.update({
        # time: every time shown is in the business's zone (app/timezones.py)
        "localtime": localtime_filter,
        "localdate": localdate_filter,
        "localclock": localclock_filter,
        "localrange": localrange_filter,
        "utc": utc_label,
        "ago": ago,
        "duration": duration,
        # words (app/wording.py): plurals, articles, names, and the one status map
        "status": status_badge,
        "status_label": status_label,
        "plural": plural,
        "package_name": package_name,
        "role_name": role_name,
        "with_article": with_article,
        "money": money,
        "phone": display_phone,
    })
    app.jinja_env.globals.update({"call_badges": call_badges, "status_tone": status_tone, "zone_label": zone_label,
                                  "all_zone_names": all_zone_names, "to_local": to_local})
