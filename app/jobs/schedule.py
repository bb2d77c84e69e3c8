"""Recurring jobs: (function, interval in seconds).

Used by `rq cron cron.py` in production and by the in-process runner of
`make run`, so both schedule the same work.
"""
from __future__ import annotations

from app.appointments.jobs import sweep_reminders_job
from app.billing.jobs import apply_due_billing_changes
from app.contacts.jobs import sweep_pending_contacts_job
from app.fourcalls.jobs import resync_stale_assistants
from app.mail.jobs import sweep_queued_emails_job
from app.sync.jobs import prune_sync_runs, sync_all_businesses
from app.integrations.jobs import sweep_webhook_deliveries_job

RECURRING_JOBS: list[tuple] = [
    # Scheduled downgrades and ended grace periods, in case no Stripe webhook prompts them.
    (apply_due_billing_changes, 15 * 60),
    # Changes 4calls has not confirmed yet (it was down, or a change raced a finishing sync).
    (resync_stale_assistants, 60),
    # Contact edits made while 4calls was down or before it was set up.
    (sweep_pending_contacts_job, 2 * 60),
    # Due appointment reminders, reminders for AI bookings, delivery follow-up and resends.
    (sweep_reminders_job, 60),
    # Incremental sync of contacts, calls and appointments; webhooks bring changes sooner.
    (sync_all_businesses, 5 * 60),
    (prune_sync_runs, 24 * 60 * 60),
    # Emails whose delivery job was never enqueued (Redis down when they were written).
    (sweep_queued_emails_job, 2 * 60),
    # Webhook deliveries whose next attempt is due (issue 19): retries and lost enqueues.
    (sweep_webhook_deliveries_job, 60),
]
