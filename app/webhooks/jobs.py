"""Jobs that apply stored webhook events."""
from __future__ import annotations

import uuid


def process_fourcalls_event(event_row_id: str) -> None:
    from app.extensions import db
    from app.models import WebhookEvent
    from app.webhooks.services import process_fourcalls_event as process

    event = db.session.get(WebhookEvent, uuid.UUID(event_row_id))
    if event is not None:
        process(event)


def sweep_unprocessed_events_job() -> int:
    from app.webhooks.services import sweep_unprocessed_events

    return sweep_unprocessed_events()
