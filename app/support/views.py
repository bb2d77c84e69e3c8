"""Pieces shared by the owner's Help pages and the console's support queue."""
from __future__ import annotations

from flask import Response, abort
from sqlalchemy import select
from sqlalchemy.orm import undefer

from app.extensions import db
from app.models import SupportMessage
from app.web import parse_uuid


def attachment_response(support_request, message_id) -> Response:
    """The screenshot, served as the image type its bytes were checked to be, never rendered as HTML."""
    key = parse_uuid(message_id)
    message = db.session.scalar(select(SupportMessage).options(undefer(SupportMessage.attachment_data))
                                .where(SupportMessage.id == key, SupportMessage.request_id == support_request.id)) if key else None
    if message is None or message.attachment_data is None:
        abort(404)
    response = Response(message.attachment_data, mimetype=message.attachment_type)
    response.headers["Content-Disposition"] = f'inline; filename="{message.attachment_name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
