"""Recurring jobs: (dotted path of the job function, interval in seconds).

The composition root for scheduled work: `rq cron cron.py` registers these in
production and the in-process runner of `make run` starts the same list. Paths,
not imported functions, so this list imports no area and areas never import it.
"""
from __future__ import annotations

RECURRING_JOBS: list[tuple[str, int]] = [
    # Scheduled downgrades and ended grace periods, in case no Stripe webhook prompts them.
    ("app.billing.jobs.apply_due_billing_changes", 15 * 60),
    # Changes 4calls has not confirmed yet (it was down, or a change raced a finishing sync).
    ("app.assistant.jobs.repush_stale_assistants", 60),
    # Contact edits made while 4calls was down or before it was set up.
    ("app.contacts.jobs.sweep_pending_contacts_job", 2 * 60),
    # Due appointment reminders, reminders for AI bookings, delivery follow-up and resends.
    ("app.appointments.jobs.sweep_reminders_job", 60),
    # Incremental sync of contacts, calls and appointments; webhooks bring changes sooner.
    ("app.crm_sync.jobs.sync_all_businesses", 5 * 60),
    ("app.crm_sync.jobs.prune_sync_runs", 24 * 60 * 60),
    # Emails whose delivery job was never enqueued (Redis down when they were written).
    ("app.mail.jobs.sweep_queued_emails_job", 2 * 60),
    # Job requests written to the database while Redis was unreachable.
    ("app.jobs.queue.flush_deferred_jobs", 60),
    # Webhook events stored but never applied (their job was lost or kept failing).
    ("app.webhooks.jobs.sweep_unprocessed_events_job", 2 * 60),
    # -- operator console (issue 16): closed months' MRR snapshots, rebuilt idempotently.
    ("app.admin.jobs.rebuild_metric_snapshots", 60 * 60),
    # -- notifications (issue 13): quiet hours ended, daily digests, SMS refused by the carrier.
    ("app.notifications.jobs.sweep_notifications_job", 60),
    # -- leads and messaging (issue 15): held texts at 08:00, unconfirmed sends, deliveries, text-backs.
    ("app.messaging.jobs.sweep_messages_job", 60),
    ("app.leads.jobs.sweep_leads_job", 5 * 60),
    ("app.messaging.jobs.sync_messages_job", 5 * 60),
    # -- analytics (issue 18): weekly reports on each business's local Monday morning, saved-report delivery
    ("app.analytics.jobs.send_due_reports_job", 10 * 60),
    # AI customer insights from 4calls (incremental; in full once a day)
    ("app.analytics.jobs.sync_all_insights_job", 5 * 60),
    # Webhook deliveries whose next attempt is due (issue 19): retries and lost enqueues.
    ("app.integrations.jobs.sweep_webhook_deliveries_job", 60),
    # -- campaigns (issue 14): due retries and windows, lost dial results, resume after renewal.
    ("app.campaigns.jobs.sweep_campaigns", 60),
    # -- scale and resilience (issue 17): jobs left "started" by a killed worker are retried.
    ("app.jobs.queue.recover_abandoned_jobs", 60),
]
