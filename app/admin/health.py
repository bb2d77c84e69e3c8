"""Integration health for the console: failed background jobs with retry,
webhook deliveries that failed to apply with replay, and per-business sync
lag, 4calls error rate and provisioning state."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select

from app.audit import services as audit
from app.extensions import db
from app.jobs import enqueue
from app.models import AuditScope, Business, FourCallsIntegration, JobRun, SyncCursor, WebhookEvent
from app.models.base import utcnow

SYNC_LAG_LIMIT = timedelta(minutes=30)
# Job kinds that talk to 4calls: their failures make the 4calls error rate.
FOURCALLS_JOB_KINDS = ("assistant_push", "crm_sync", "chat_lead_push")


class HealthError(ValueError):
    """An operator action that can't be done, in words for the page."""


# ---------------------------------------------------------------- failed jobs

def _retry_assistant_push(business: Business | None) -> None:
    from app.assistant import provisioning

    provisioning.retry(business)


def _retry_crm_sync(business: Business | None) -> None:
    from app.crm_sync.services import request_sync

    request_sync(business, track=True)


def _retry_billing_deadlines(_business) -> None:
    enqueue("app.billing.jobs.apply_due_billing_changes", job_id="billing-deadlines")


def _retry_chat_lead_push(business: Business | None) -> None:
    from app.models.leads import Lead

    for lead_id in db.session.scalars(select(Lead.id).where(Lead.business_id == business.id, Lead.remote_id.is_(None))):
        enqueue("app.chat.jobs.push_lead_job", str(lead_id), job_id=f"lead-push:{lead_id}")


def _retry_stripe_event(business: Business | None) -> None:
    for event in db.session.scalars(failed_webhooks_stmt("stripe", business.id if business else None)):
        queue_replay(event)


# kind -> (needs a business, retry function). Kinds not listed (a contacts import
# needs its file again) are retried by their owner, not from here.
RETRYABLE_KINDS = {
    "assistant_push": (True, _retry_assistant_push),
    "crm_sync": (True, _retry_crm_sync),
    "chat_lead_push": (True, _retry_chat_lead_push),
    "stripe_event": (False, _retry_stripe_event),
    "billing_deadlines": (False, _retry_billing_deadlines),
}


@dataclass
class FailedJob:
    run: JobRun
    business: Business | None
    retryable: bool


def _newest_failed_runs(*columns):
    """`columns` of the newest run per (kind, business) when that run failed: a later success clears it."""
    newest = (
        select(JobRun.kind, JobRun.business_id, func.max(JobRun.created_at).label("latest"))
        .group_by(JobRun.kind, JobRun.business_id)
        .subquery()
    )
    return (
        select(*columns)
        .select_from(JobRun)
        .join(newest, and_(JobRun.kind == newest.c.kind, JobRun.created_at == newest.c.latest,
                           func.coalesce(JobRun.business_id, uuid.UUID(int=0)) ==
                           func.coalesce(newest.c.business_id, uuid.UUID(int=0))))
        .where(JobRun.status == "failed")
    )


def failed_jobs(kind: str | None = None, limit: int = 200) -> list[FailedJob]:
    """The newest run per (kind, business) when that run failed: a later success clears it."""
    stmt = (
        _newest_failed_runs(JobRun, Business)
        .outerjoin(Business, Business.id == JobRun.business_id)
        .order_by(JobRun.finished_at.desc().nulls_last(), JobRun.created_at.desc())
        .limit(limit)
    )
    if kind:
        stmt = stmt.where(JobRun.kind == kind)
    return [FailedJob(run, business, run.kind in RETRYABLE_KINDS) for run, business in db.session.execute(stmt)]


def failed_job_count() -> int:
    """How many `failed_jobs()` there are, counted by the database rather than loaded."""
    return db.session.scalar(_newest_failed_runs(func.count())) or 0


def retry_job(run_id: uuid.UUID, *, actor) -> JobRun:
    run = db.session.get(JobRun, run_id)
    if run is None:
        raise HealthError("That job run no longer exists.")
    _retry(run, actor)
    db.session.commit()
    return run


def retry_kind(kind: str, *, actor) -> int:
    if kind not in RETRYABLE_KINDS:
        raise HealthError(f"Jobs of kind {kind!r} can't be retried from the console.")
    runs = [failed.run for failed in failed_jobs(kind)]
    for run in runs:
        _retry(run, actor)
    db.session.commit()
    return len(runs)


def _retry(run: JobRun, actor) -> None:
    if run.status != "failed":
        raise HealthError("Only a failed run can be retried.")
    entry = RETRYABLE_KINDS.get(run.kind)
    if entry is None:
        raise HealthError(f"Jobs of kind {run.kind!r} can't be retried from the console.")
    needs_business, retry = entry
    business = db.session.get(Business, run.business_id) if run.business_id else None
    if needs_business and business is None:
        raise HealthError("The business this job ran for no longer exists.")
    audit.record("job.retried", business=business, actor=actor, scope=AuditScope.ADMIN, target_type="job_run",
                 target_id=run.id, target_label=f"{run.kind}" + (f" · {business.name}" if business else ""),
                 before={"status": run.status, "attempts": run.attempts, "error": run.error},
                 after={"status": "retry queued"})
    db.session.commit()
    retry(business)


# ---------------------------------------------------------------- webhooks

def failed_webhooks_stmt(source: str | None = None, business_id=None):
    """Events not applied after at least one attempt (an error is kept on the row)."""
    stmt = select(WebhookEvent).where(WebhookEvent.processed_at.is_(None), WebhookEvent.attempts > 0)
    if source:
        stmt = stmt.where(WebhookEvent.source == source)
    if business_id is not None:
        stmt = stmt.where(WebhookEvent.business_id == business_id)
    return stmt.order_by(WebhookEvent.received_at.desc())


def failed_webhooks(source: str | None = None, limit: int = 200) -> list[WebhookEvent]:
    return list(db.session.scalars(failed_webhooks_stmt(source).limit(limit)))


def failed_webhook_count() -> int:
    """How many failed webhook deliveries there are, counted by the database rather than loaded."""
    return db.session.scalar(
        select(func.count()).select_from(failed_webhooks_stmt().order_by(None).subquery())) or 0


def queue_replay(event: WebhookEvent) -> bool:
    """Queue the event's processing again; an applied event is left alone."""
    if event.processed_at is not None:
        return False
    from app.webhooks.services import queue_processing

    queue_processing(event.source, event.id, event.event_id)
    return True


def replay_webhook(event_id: uuid.UUID, *, actor, reason: str | None = None) -> tuple[WebhookEvent, bool]:
    """Replay one stored delivery. Idempotent: the processors skip an event
    already applied, and an applied event is not queued at all. Returns (event, queued)."""
    event = db.session.get(WebhookEvent, event_id)
    if event is None:
        raise HealthError("That webhook event no longer exists.")
    before = {"outcome": event.outcome, "attempts": event.attempts, "error": event.error,
              "processed": event.processed_at is not None}
    audit.record("webhook.replayed", business=event.business_id, actor=actor, scope=AuditScope.ADMIN,
                 target_type="webhook_event", target_id=event.id,
                 target_label=f"{event.source} {event.event_type} {event.event_id}",
                 before=before, after={"replay": "queued" if event.processed_at is None else "already applied: nothing to do"},
                 reason=reason)
    db.session.commit()
    return event, queue_replay(event)


# ---------------------------------------------------------------- per business

@dataclass
class BusinessHealth:
    business: Business
    integration: FourCallsIntegration | None
    last_sync: datetime | None
    sync_lag: timedelta | None
    lagging: bool
    runs_24h: int
    failed_24h: int

    @property
    def error_rate(self) -> float | None:
        return self.failed_24h / self.runs_24h if self.runs_24h else None


def business_health(business_ids: list[uuid.UUID] | None = None, now: datetime | None = None,
                    limit: int = 500) -> list[BusinessHealth]:
    """Businesses with a 4calls integration: sync lag is the time since the
    oldest kind's last successful sync (the CRM sync's cursors, else the
    assistant sync); error rate is failed ÷ all 4calls job runs in 24 h."""
    now = now or utcnow()
    stmt = select(Business, FourCallsIntegration).join(FourCallsIntegration,
                                                       FourCallsIntegration.business_id == Business.id)
    if business_ids is not None:
        stmt = stmt.where(Business.id.in_(business_ids))
    rows = db.session.execute(stmt.order_by(Business.name).limit(limit)).all()
    ids = [business.id for business, _ in rows]
    synced = dict(db.session.execute(
        select(SyncCursor.business_id, func.min(SyncCursor.last_synced_at))
        .where(SyncCursor.business_id.in_(ids)).group_by(SyncCursor.business_id)
    ).all()) if ids else {}
    since = now - timedelta(hours=24)
    runs = {
        business_id: (total, failed or 0)
        for business_id, total, failed in db.session.execute(
            select(JobRun.business_id, func.count(), func.sum(case((JobRun.status == "failed", 1), else_=0)))
            .where(JobRun.business_id.in_(ids), JobRun.kind.in_(FOURCALLS_JOB_KINDS), JobRun.created_at >= since)
            .group_by(JobRun.business_id)
        )
    } if ids else {}
    result = []
    for business, integration in rows:
        last = synced.get(business.id) or integration.last_synced_at
        live = integration.target_status == "active"
        lag = (now - last) if last else None
        total, failed = runs.get(business.id, (0, 0))
        result.append(BusinessHealth(business, integration, last, lag,
                                     live and (lag is None or lag > SYNC_LAG_LIMIT), total, failed))
    return result


def lagging_count(now: datetime | None = None) -> int:
    """How many live integrations have gone more than 30 minutes without a successful sync (the overview's card).
    Counted in SQL: the overview must not load every integration to count a few."""
    now = now or utcnow()
    cursors = (select(SyncCursor.business_id, func.min(SyncCursor.last_synced_at).label("synced"))
               .group_by(SyncCursor.business_id).subquery())
    synced = func.coalesce(cursors.c.synced, FourCallsIntegration.last_synced_at)
    return db.session.scalar(
        select(func.count()).select_from(FourCallsIntegration)
        .outerjoin(cursors, cursors.c.business_id == FourCallsIntegration.business_id)
        .where(FourCallsIntegration.target_status == "active",
               or_(synced.is_(None), synced < now - SYNC_LAG_LIMIT))) or 0
