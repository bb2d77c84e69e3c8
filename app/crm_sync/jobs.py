"""Sync jobs: thin functions taking ids."""
from __future__ import annotations

import logging
import uuid

log = logging.getLogger(__name__)


def sync_business(business_id: str, kinds: str = "contacts,calls,appointments", run_id: str | None = None) -> None:
    """Incremental sync of `kinds` (comma-separated) for one business."""
    from app.extensions import db
    from app.fourcalls import FourCallsError, plain_words
    from app.jobs.records import recorded_run
    from app.models import Business, JobRun
    from app.models.base import utcnow
    from app.crm_sync.services import JOB_KIND, can_sync, claim_slot, parse_kinds, record_sync_error, sync_kinds

    business_uuid = uuid.UUID(business_id)
    wanted = parse_kinds(kinds)
    business = db.session.get(Business, business_uuid)
    if business is None or not can_sync(business):
        run = db.session.get(JobRun, uuid.UUID(run_id)) if run_id else None
        if run is not None:
            run.status, run.finished_at = "failed", utcnow()
            run.error = "There is no active AI assistant to sync with."
            db.session.commit()
        return
    run = claim_slot(business_uuid, run_id)
    try:
        with recorded_run(JOB_KIND, business_uuid, run.id) as run:
            try:
                sync_kinds(business, wanted, run)
            except FourCallsError as exc:
                record_sync_error(business_uuid, wanted, plain_words(exc))
                raise
    except FourCallsError as exc:
        if exc.retryable:
            raise
        # Recorded on the run and the cursors; retrying would fail the same way.
        log.warning("sync of %s for business %s failed: %s", kinds, business_id, type(exc).__name__)


def request_sync_job(business_id: str, kinds: str) -> None:
    """The delayed follow-up of webhook events: queue the sync itself now."""
    from app.extensions import db
    from app.models import Business
    from app.crm_sync.services import request_sync

    business = db.session.get(Business, uuid.UUID(business_id))
    if business is not None:
        request_sync(business, kinds)


def sync_all_businesses() -> int:
    """Recurring: queue an incremental sync for every business with an organization."""
    from app.extensions import db
    from app.models import Business
    from app.crm_sync.services import businesses_to_sync, request_sync

    queued = 0
    for business_id in businesses_to_sync():
        business = db.session.get(Business, business_id)
        if request_sync(business, track=True) is not None:
            queued += 1
    return queued


def prune_sync_runs() -> int:
    """Recurring: forget finished sync runs older than two weeks."""
    from app.crm_sync.services import prune_sync_runs as prune

    return prune()
