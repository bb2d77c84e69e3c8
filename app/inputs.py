"""Parsing dates and page numbers from requests, within sane bounds.

Python dates reach year 9999, but a week or month view, a local-midnight
conversion or a "+1 day" on such a date overflows (a 500), and SQLite/
PostgreSQL integers stop at 64 bits. These helpers raise ValueError for
anything outside the range the product can show, so callers' existing
`except ValueError` paths answer with a field error or the default.
"""
from __future__ import annotations

from datetime import date, datetime

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
MAX_PAGE = 100_000


def iso_day(raw) -> date:
    day = date.fromisoformat(str(raw or "").strip())
    if not EARLIEST <= day <= LATEST:
        raise ValueError("date out of range")
    return day


def iso_moment(raw) -> datetime:
    moment = datetime.fromisoformat(str(raw or "").strip().replace("Z", "+00:00"))
    if not EARLIEST <= moment.date() <= LATEST:
        raise ValueError("date out of range")
    return moment


def page_number(raw) -> int:
    """For `request.args.get("page", 1, type=page_number)`: 1..MAX_PAGE, ValueError otherwise."""
    text = str(raw or "").strip()
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 12:
        raise ValueError("not a page number")
    return min(max(1, int(text)), MAX_PAGE)
