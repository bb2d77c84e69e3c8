"""Recurring jobs: (function, interval in seconds).

Used by `rq cron cron.py` in production and by the in-process runner of
`make run`, so both schedule the same work.
"""
from __future__ import annotations

from app.analytics.jobs import send_due_reports_job, sync_all_insights_job
from app.appointments.jobs import sweep_reminders_job
from app.billing.jobs import apply_due_billing_changes
from app.campaigns.jobs import sweep_campaigns  # issue 14
from app.contacts.jobs import sweep_pending_contacts_job
from app.fourcalls.jobs import resync_stale_assistants
from app.jobs.queue import flush_deferred_jobs, recover_abandoned_jobs
from app.mail.jobs import sweep_queued_emails_job
from app.webhooks.jobs import sweep_unprocessed_events_job
from app.notifications.jobs import sweep_notifications_job
from app.sync.jobs import prune_sync_runs, sync_all_businesses
from app.admin.jobs import rebuild_metric_snapshots  # -- operator console (issue 16)
from app.leads.jobs import sweep_leads_job  # -- issue 15
from app.messaging.jobs import sweep_messages_job, sync_messages_job  # -- issue 15
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
    # Job requests written to the database while Redis was unreachable.
    (flush_deferred_jobs, 60),
    # Webhook events stored but never applied (their job was lost or kept failing).
    (sweep_unprocessed_events_job, 2 * 60),
    # -- operator console (issue 16): closed months' MRR snapshots, rebuilt idempotently.
    (rebuild_metric_snapshots, 60 * 60),
    # -- notifications (issue 13): quiet hours ended, daily digests, SMS refused by the carrier.
    (sweep_notifications_job, 60),
    # -- leads and messaging (issue 15): held texts at 08:00, unconfirmed sends, deliveries, text-backs.
    (sweep_messages_job, 60),
    (sweep_leads_job, 5 * 60),
    (sync_messages_job, 5 * 60),
    # -- analytics (issue 18): weekly reports on each business's local Monday morning, saved-report delivery
    (send_due_reports_job, 10 * 60),
    # AI customer insights from 4calls (incremental; in full once a day)
    (sync_all_insights_job, 5 * 60),
    # Webhook deliveries whose next attempt is due (issue 19): retries and lost enqueues.
    (sweep_webhook_deliveries_job, 60),
    # -- campaigns (issue 14): due retries and windows, lost dial results, resume after renewal.
    (sweep_campaigns, 60),
    # -- scale and resilience (issue 17): jobs left "started" by a killed worker are retried.
    (recover_abandoned_jobs, 60),
]
