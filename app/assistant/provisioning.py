"""Give a business its 4calls assistant, change it, pause it, end it.

The public functions below are what billing, the admin page and the owner's
assistant page call. Each one records the decision in our database at once
(status, package, reason), then queues the sync job that makes 4calls match
(app/assistant/push.py). They never talk to 4calls themselves, so they are
fast, safe inside a web request or a Stripe webhook, and never lose a change
when 4calls is down.

    activate_package(business, package_slug, reason) -> FourCallsIntegration
    change_package(business, new_slug)               -> FourCallsIntegration
    suspend(business, reason)                         -> FourCallsIntegration
    cancel(business, reason)                          -> FourCallsIntegration
    resume(business)                                  -> FourCallsIntegration
    retry(business)                                   -> FourCallsIntegration
    push_profile(business)                            -> None
    request_push(business)                            -> None

`integration.status` is owned here: pending → provisioning → active, or
error (with `status_reason` in plain words); suspended and cancelled as asked.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select, update

from app.extensions import db
from app.jobs import enqueue
from app.jobs.records import create_run
from app.models import Business, FourCallsIntegration, IntegrationStatus, JobRun
from app.models.base import utcnow
from app.packages.catalog import get_package

PUSH_JOB_KIND = "assistant_push"


class UnknownPackage(ValueError):
    pass


class NotActivated(Exception):
    """The business has no 4calls integration to act on."""


def push_job_id(business_id) -> str:
    return f"assistant-push:{business_id}"


def integration_for(business: Business) -> FourCallsIntegration | None:
    return db.session.scalar(select(FourCallsIntegration).where(FourCallsIntegration.business_id == business.id))


def _require(business: Business) -> FourCallsIntegration:
    integration = integration_for(business)
    if integration is None:
        raise NotActivated(f"{business.name} has no AI package")
    return integration


def _check_package(slug: str) -> None:
    if get_package(slug) is None:
        raise UnknownPackage(slug)


def _bump_and_commit(integration: FourCallsIntegration) -> None:
    # An SQL increment, so two changes at the same moment both count.
    integration.desired_version = FourCallsIntegration.desired_version + 1
    db.session.commit()
    db.session.refresh(integration)


def activate_package(business: Business, package_slug: str, reason: str) -> FourCallsIntegration:
    """The business now has `package_slug` (bought, granted by an admin, or
    re-bought after a cancellation). Provisioning starts in the background."""
    _check_package(package_slug)
    integration = integration_for(business)
    if integration is None:
        integration = FourCallsIntegration(business_id=business.id, service_package=package_slug)
        db.session.add(integration)
    integration.service_package = package_slug
    integration.target_status = "active"
    integration.status = IntegrationStatus.PROVISIONING
    integration.status_reason = reason
    integration.expires_at = None
    db.session.flush()
    from app.appointments.settings import ensure_settings

    ensure_settings(business)  # settings exist from provisioning on, never created by a page view
    _bump_and_commit(integration)
    _enqueue_push(business.id)
    return integration


def change_package(business: Business, new_slug: str) -> FourCallsIntegration:
    """Switch to another package: coordinators are added or retired to match.
    A suspended or cancelled assistant keeps that status; the new package
    applies when it is resumed."""
    _check_package(new_slug)
    integration = _require(business)
    if integration.service_package == new_slug and integration.status == IntegrationStatus.ACTIVE:
        return integration
    integration.service_package = new_slug
    if integration.target_status == "active":
        integration.status = IntegrationStatus.PROVISIONING
        integration.status_reason = f"Changing to {get_package(new_slug).name}"
    _bump_and_commit(integration)
    _enqueue_push(business.id)
    return integration


def suspend(business: Business, reason: str) -> FourCallsIntegration:
    """Pause the assistant (e.g. a failed payment): 4calls keeps the data and
    coordinators but takes no calls or chats until `resume`."""
    integration = _require(business)
    integration.target_status = "suspended"
    integration.status = IntegrationStatus.SUSPENDED
    integration.status_reason = reason
    _bump_and_commit(integration)
    _enqueue_push(business.id)
    return integration


def cancel(business: Business, reason: str) -> FourCallsIntegration:
    """End the service: coordinators are retired and the organization is
    suspended. Its data is kept, so buying again later reuses it."""
    integration = _require(business)
    integration.target_status = "cancelled"
    integration.status = IntegrationStatus.CANCELLED
    integration.status_reason = reason
    integration.expires_at = utcnow()
    _bump_and_commit(integration)
    _enqueue_push(business.id)
    return integration


def resume(business: Business) -> FourCallsIntegration:
    """Undo `suspend` (or `cancel`) with the package on record."""
    integration = _require(business)
    integration.target_status = "active"
    integration.status = IntegrationStatus.PROVISIONING
    integration.status_reason = "Resuming the assistant"
    integration.expires_at = None
    _bump_and_commit(integration)
    _enqueue_push(business.id)
    return integration


def retry(business: Business) -> FourCallsIntegration:
    """Try again now after a failure (the owner's Retry button)."""
    integration = _require(business)
    if integration.target_status == "active" and integration.status == IntegrationStatus.ERROR:
        integration.status = IntegrationStatus.PROVISIONING
        integration.status_reason = "Retrying"
    _bump_and_commit(integration)
    _enqueue_push(business.id)
    return integration


def request_push(business: Business) -> None:
    """Push local changes (profile, coordinator edits) to 4calls in the background."""
    integration = integration_for(business)
    if integration is None:
        return
    _bump_and_commit(integration)
    _enqueue_push(business.id)


def push_profile(business: Business) -> None:
    """Receiver of `businesses.services.profile_changed`: the organization gets
    the new name, phone, address, hours, services and FAQ."""
    integration = integration_for(business)
    if integration is None or integration.target_status == "cancelled":
        return
    request_push(business)


def _enqueue_push(business_id: uuid.UUID) -> None:
    """Queue the sync job with a run row for its progress. When a sync for the
    business is already waiting or running, it picks the change up itself
    (it loops until desired_version is reached), so no second job is queued."""
    run = create_run(PUSH_JOB_KIND, business_id)
    queued = enqueue("app.assistant.jobs.push_assistant", str(business_id), str(run.id), job_id=push_job_id(business_id))
    if queued is None:
        db.session.delete(run)
        db.session.commit()
    from app.knowledge.services import queue_reconcile

    queue_reconcile(business_id)  # the knowledge base follows the package (issue 19)


def latest_push_run(business: Business) -> JobRun | None:
    return db.session.scalar(
        select(JobRun)
        .where(JobRun.business_id == business.id, JobRun.kind == PUSH_JOB_KIND)
        .order_by(JobRun.created_at.desc())
        .limit(1)
    )


def repush_stale() -> int:
    """Recurring: queue a sync for every integration with changes 4calls has
    not confirmed yet (a change that arrived just as a job finished, or one
    whose retries ran out while 4calls was down). Failed provisioning waits
    for the owner's Retry instead of being hammered."""
    rows = db.session.execute(
        select(FourCallsIntegration.business_id).where(
            FourCallsIntegration.desired_version > FourCallsIntegration.synced_version,
            FourCallsIntegration.status != IntegrationStatus.ERROR,
        )
    ).all()
    for (business_id,) in rows:
        _enqueue_push(business_id)
    return len(rows)


def mark_synced_if_current(integration_id: uuid.UUID, version: int, values: dict) -> bool:
    """Record a completed sync of `version` unless a newer change arrived
    meanwhile (then the caller syncs again). One conditional UPDATE, so a
    change committed during the job can never be overwritten."""
    result = db.session.execute(
        update(FourCallsIntegration)
        .where(FourCallsIntegration.id == integration_id, FourCallsIntegration.desired_version == version)
        .values(synced_version=version, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1
