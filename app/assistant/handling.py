"""Call handling: which coordinator answers calls, the widget and campaigns;
what happens in and after business hours; urgent forwarding.

Saved locally first (never lost), pushed to 4calls by the sync job; a refusal
from 4calls leaves its previous rules in force and is shown on the page
(`CallHandling.refused`, `last_error`, `not_applied`).
"""
from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from app.extensions import db
from app.models import Business, CallAction, CallHandling, Coordinator, CoordinatorStatus

# Words that make a call urgent, per kind of business (matched against the category).
URGENT_WORD_DEFAULTS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("plumb", "hvac", "heating", "drain", "electric", "handyman", "roof", "contractor", "trade"),
     ("flood", "burst pipe", "no heat", "gas leak", "sparks")),
    (("dental", "dentist", "orthodont", "teeth"), ("pain", "swelling", "bleeding", "broken tooth")),
    (("auto", "car", "mechanic", "tire", "garage", "tow"), ("broke down", "accident", "stranded")),
    (("law", "legal", "attorney", "lawyer"), ("arrested", "court date", "emergency")),
    (("vet", "animal", "pet"), ("bleeding", "poison", "not breathing")),
)
GENERIC_URGENT_WORDS = ("emergency", "urgent")
ACTION_LABELS = {CallAction.TAKE_MESSAGE: "Take a message", CallAction.BOOK: "Answer and book",
                 CallAction.FORWARD: "Forward the call"}
CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def default_urgent_words(business: Business) -> list[str]:
    category = (business.category or "").lower()
    for keywords, words in URGENT_WORD_DEFAULTS:
        if any(keyword in category for keyword in keywords):
            return list(words)
    return list(GENERIC_URGENT_WORDS)


def handling_or_none(business_id: uuid.UUID) -> CallHandling | None:
    return db.session.scalar(select(CallHandling).where(CallHandling.business_id == business_id))


def handling_for(business: Business) -> CallHandling:
    """The business's rules, created with defaults (not yet saved) when it has none."""
    handling = handling_or_none(business.id)
    if handling is None:
        handling = CallHandling(business_id=business.id, business_hours_action=CallAction.BOOK,
                                after_hours_action=CallAction.TAKE_MESSAGE, forwarding_enabled=False,
                                urgent_words=default_urgent_words(business), forwarding_start="00:00",
                                forwarding_end="00:00", version=1, synced_version=0, refused_version=0)
    return handling


def _remote_id(coordinator_id: uuid.UUID | None) -> str | None:
    if coordinator_id is None:
        return None
    row = db.session.get(Coordinator, coordinator_id)
    if row is None or not row.fourcalls_id or row.status not in CoordinatorStatus.LIVE:
        return None
    return row.fourcalls_id


def remote_rules(handling: CallHandling) -> dict:
    """The rules as 4calls' CallHandlingUpdate."""
    return {
        "inbound_coordinator_id": _remote_id(handling.inbound_coordinator_id),
        "widget_coordinator_id": _remote_id(handling.widget_coordinator_id),
        "campaign_coordinator_id": _remote_id(handling.campaign_coordinator_id),
        "business_hours_action": handling.business_hours_action,
        "after_hours_action": handling.after_hours_action,
        "forwarding": {
            "enabled": bool(handling.forwarding_enabled),
            "number": handling.forwarding_number or None,
            "urgent_words": list(handling.urgent_words or []),
            "start": handling.forwarding_start,
            "end": handling.forwarding_end,
        },
    }


SETTING_LABELS = {
    "inbound_coordinator_id": "who answers calls", "widget_coordinator_id": "who chats on the widget",
    "campaign_coordinator_id": "who makes campaign calls", "business_hours_action": "business-hours behaviour",
    "after_hours_action": "after-hours behaviour", "forwarding": "urgent forwarding",
}


def not_applied(handling: CallHandling) -> list[str]:
    """Settings the owner saved that 4calls has not applied (after a refusal)."""
    if not handling.refused:
        return []
    wanted, live = remote_rules(handling), handling.applied or {}
    return [SETTING_LABELS[name] for name in SETTING_LABELS if wanted.get(name) != live.get(name)]


def split_words(text: str) -> list[str]:
    """'flood, burst pipe\nno heat' -> ['flood', 'burst pipe', 'no heat'] (deduplicated, order kept)."""
    seen, words = set(), []
    for part in re.split(r"[,\n;]", text or ""):
        word = " ".join(part.split())[:60]
        if word and word.lower() not in seen:
            seen.add(word.lower())
            words.append(word)
    return words


def save_handling(business: Business, values: dict) -> bool:
    """Store validated rules (see forms.CallHandlingForm) and queue the push.
    Returns False when nothing changed."""
    from sqlalchemy import inspect

    from app.assistant.provisioning import request_push

    handling = handling_for(business)
    persisted = inspect(handling).persistent
    changed = [name for name, value in values.items() if getattr(handling, name) != value]
    if persisted and not changed:
        return False
    for name, value in values.items():
        setattr(handling, name, value)
    if persisted:
        # An SQL increment: two quick saves both count, and the sync job compares versions.
        handling.version = CallHandling.version + 1
    else:
        db.session.add(handling)
    db.session.commit()
    db.session.refresh(handling)
    request_push(business)
    return True


def live_coordinator(business: Business, coordinator_id: uuid.UUID | None) -> Coordinator | None:
    if coordinator_id is None:
        return None
    row = db.session.get(Coordinator, coordinator_id)
    if row is None or row.business_id != business.id or row.status not in CoordinatorStatus.LIVE:
        return None
    return row


def assigned_coordinator(business: Business, channel: str) -> Coordinator | None:
    """The coordinator on `channel` ("inbound", "widget" or "campaign"):
    the owner's choice, else the first live coordinator. Campaigns use this
    for their default caller."""
    handling = handling_or_none(business.id)
    chosen = live_coordinator(business, getattr(handling, f"{channel}_coordinator_id", None) if handling else None)
    if chosen is not None:
        return chosen
    return db.session.scalar(
        select(Coordinator).where(Coordinator.business_id == business.id,
                                  Coordinator.status.in_(CoordinatorStatus.LIVE))
        .order_by(Coordinator.position, Coordinator.created_at).limit(1)
    )
