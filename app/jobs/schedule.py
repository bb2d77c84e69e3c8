"""Recurring jobs: (function, interval in seconds).

Used by `rq cron cron.py` in production and by the in-process runner of
`make run`, so both schedule the same work.
"""
from __future__ import annotations

from app.appointments.jobs import sweep_reminders_job
from app.billing.jobs import apply_due_billing_changes
from app.campaigns.jobs import sweep_campaigns  # issue 14
from app.contacts.jobs import sweep_pending_contacts_job
from app.fourcalls.jobs import resync_stale_assistants
from app.sync.jobs import prune_sync_runs, sync_all_businesses

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
    # -- campaigns (issue 14): due retries and windows, lost dial results, resume after renewal.
    (sweep_campaigns, 60),
]
