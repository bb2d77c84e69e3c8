"""Notifications to the owner: one entry point, `notify`, for every area.

    from app.notifications import notify
    notify(business, "new_lead", title=..., body=..., link=..., idempotency_key=f"lead:{lead_id}")

It writes into the caller's transaction (like send_email); after the commit
the SMS jobs are queued. See app/notifications/services.py.
"""
from app.notifications.services import notify, recipients_for  # noqa: F401
