"""The events owners are told about, with their default channels."""
from __future__ import annotations

from dataclasses import dataclass

CHANNELS = ("in_app", "email", "sms")
CHANNEL_LABELS = {"in_app": "In the app", "email": "Email", "sms": "SMS"}


@dataclass(frozen=True)
class EventKind:
    key: str
    label: str
    default_channels: tuple[str, ...]
    always_urgent: bool = False


EVENT_KINDS: tuple[EventKind, ...] = (
    EventKind("message_taken", "New message taken by the AI", ("in_app", "email")),
    EventKind("urgent_call", "Urgent call forwarded or missed", ("in_app", "email", "sms"), always_urgent=True),
    EventKind("ai_booking", "Booking made by the AI", ("in_app", "email")),
    EventKind("new_lead", "New lead", ("in_app", "email")),
    EventKind("payment_failed", "Failed payment", ("in_app", "email")),
    EventKind("usage_threshold", "Usage at 80 % or 100 %", ("in_app", "email")),
)
EVENT_KINDS_BY_KEY = {kind.key: kind for kind in EVENT_KINDS}


def event_kind(key: str) -> EventKind:
    try:
        return EVENT_KINDS_BY_KEY[key]
    except KeyError:
        raise ValueError(f"unknown notification event {key!r}") from None
