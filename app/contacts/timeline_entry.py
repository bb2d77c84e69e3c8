"""One line of a contact's timeline. Its own module so that other areas
(leads, messaging) can add timeline sources without importing the timeline."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # call | campaign | appointment | chat | lead | message
    title: str
    detail: str = ""
    badge: str = ""
    url: str | None = None
