"""Jobs that apply stored webhook events."""
from __future__ import annotations

import uuid


def process_fourcalls_event(event_row_id: str) -> None:
    """One event (an admin's replay); the receiver hands events over in batches."""
    from app.extensions import db
    from app.models import WebhookEvent
    from app.webhooks.services import EventClaims, process_fourcalls_event as process

    row_id = uuid.UUID(event_row_id)
    with EventClaims() as claims:
        if not claims.take(row_id):
            return  # a batch job is applying it
        event = db.session.get(WebhookEvent, row_id)
        if event is not None:
            process(event)


def process_stored_events_job(source: str, not_before: float | None = None) -> int:
    """Every unprocessed stored event of `source` (app/webhooks/handoff.py)."""
    from app.webhooks.handoff import wait_until
    from app.webhooks.services import process_stored_events

    wait_until(not_before)
    return process_stored_events(source)


def sweep_unprocessed_events_job() -> int:
    from app.webhooks.services import sweep_unprocessed_events

    return sweep_unprocessed_events()
