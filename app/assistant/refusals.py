"""Helpers of the sync job for the receptionist settings (issue 13): what to do
when 4calls refuses an edit, and which coordinator chats on the widget."""
from __future__ import annotations

import logging

from sqlalchemy import update

from app.extensions import db
from app.fourcalls.errors import ValidationError, plain_words
from app.models import Coordinator

log = logging.getLogger(__name__)


def record_refusal(model, business_id, row_id, version: int, exc: ValidationError) -> None:
    """4calls refused `version` of a coordinator or the call-handling rules:
    keep the owner's edit, remember the refusal and 4calls' words."""
    db.session.rollback()
    db.session.execute(
        # The business named, so the change mark moves for it alone (app/dashboard/live_feed.py).
        update(model).where(model.business_id == business_id, model.id == row_id, model.version == version)
        .values(refused_version=version, last_error=plain_words(exc))
    )
    db.session.commit()
    log.warning("4calls refused %s %s v%s: %s", model.__tablename__, row_id, version, exc.fields or exc)


def widget_coordinator_remote_id(business_id, planned: list[Coordinator]) -> str | None:
    from app.assistant.handling import handling_or_none

    handling = handling_or_none(business_id)
    chosen = handling.widget_coordinator_id if handling else None
    match = next((c for c in planned if c.id == chosen and c.fourcalls_id), None)
    if match is not None:
        return match.fourcalls_id
    return planned[0].fourcalls_id if planned else None
