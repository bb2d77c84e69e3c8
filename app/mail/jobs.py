"""Mail jobs: thin wrappers taking ids."""
from __future__ import annotations


def deliver_email_job(email_id: str) -> str:
    from app.mail.services import deliver

    return deliver(email_id)


def sweep_queued_emails_job() -> int:
    from app.mail.services import sweep_queued_emails

    return sweep_queued_emails()
