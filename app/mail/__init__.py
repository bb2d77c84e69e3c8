"""The one mail path: `send_email()` renders a template into a queued
OutboundEmail; an RQ job delivers it by SMTP (production) or keeps it in the
local outbox (`make run`, tests), listed at /dev/outbox."""
from app.mail.services import send_email

__all__ = ["send_email"]
