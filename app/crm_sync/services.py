"""Incremental sync of contacts, calls and appointments from 4calls.

Each kind remembers (in `sync_cursors`) the largest 4calls `updated_at` it
has applied, and asks for `updated_since` that instant. Pages are applied one
by one and committed with the cursor and the run's progress once
COMMIT_EVERY_SECONDS have passed, or whenever the next page has not arrived
yet, so a run that dies half-way (4calls errors after the client's own
retries, a lost connection, a killed worker) resumes where it last
committed, and re-applying the overlap changes nothing.

At most MAX_SYNCS_PER_ORGANIZATION runs talk to one organization at once, so
a burst of webhooks or a "Sync now" during the scheduled sync cannot flood
4calls; a run that finds no free slot raises `SyncBusy` and the queue retries
it later.
"""
from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta

from sqlalchemy import bindparam, func, select

from app.extensions import db
from app.jobs.records import set_progress
from app.models import Business, FourCallsIntegration, IntegrationStatus, JobRun, SyncCursor
from app.models.base import utcnow
from app.crm_sync.upserts import ApplyResult, apply_remote_appointments, apply_remote_calls, apply_remote_contacts

# Contacts first, so calls and appointments find their contact when they land.
KINDS = ("contacts", "calls", "appointments")
JOB_KIND = "crm_sync"
PAGE_SIZE = 500
MAX_SYNCS_PER_ORGANIZATION = 2
# A run marked running for longer than this was abandoned by a dead worker.
STALE_RUN_AFTER = timedelta(minutes=15)
RUN_RETENTION_DAYS = 14
# Pages applied within this long of the last commit join the next one, unless
# the next page is not here yet (nor within NEXT_PAGE_GRACE_SECONDS): the
# transaction (with the rollups' lock and the rows it wrote) is not held open
# while waiting for 4calls. A commit per
# page (500 calls) was 10-15 % of a large sync's time on SQLite, which writes
# the batch's index pages again at each commit. What it costs: a run that
# dies loses at most this much applying (re-applied by the next run),
# progress moves once a second, and a webhook for the same business waits up
# to this long, plus one page's apply, for the rollups' lock.
COMMIT_EVERY_SECONDS = 1.0
NEXT_PAGE_GRACE_SECONDS = 0.05
_monotonic = time.monotonic  # replaced in tests
# Integrations whose data is worth keeping current.
SYNCED_STATUSES = (IntegrationStatus.ACTIVE, IntegrationStatus.PAST_DUE, IntegrationStatus.SUSPENDED)


class SyncBusy(Exception):
    """Another sync holds every slot for this organization; retry later."""


def can_sync(business: Business) -> bool:
    """Whether the business has a 4calls organization worth syncing from."""
    integration = business.integration
    return bool(integration and integration.organization_id and integration.status in SYNCED_STATUSES)


def parse_kinds(kinds: str | tuple | list | None) -> tuple[str, ...]:
    """"calls,contacts" -> ("contacts", "calls"): known kinds, in KINDS order."""
    wanted = set(kinds.split(",") if isinstance(kinds, str) else kinds or KINDS)
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValueError(f"unknown sync kinds: {sorted(unknown)}")
    return tuple(kind for kind in KINDS if kind in wanted)


def claim_slot(business_id: uuid.UUID, run_id: uuid.UUID | str | None) -> JobRun:
    """Mark this run as running if the organization has a free sync slot.

    The integration row is locked while counting, so two workers cannot both
    take the last slot (SQLite serialises writers anyway)."""
    db.session.scalar(
        select(FourCallsIntegration.id).where(FourCallsIntegration.business_id == business_id).with_for_update()
    )
    running = db.session.scalar(
        select(func.count()).select_from(JobRun).where(
            JobRun.business_id == business_id,
            JobRun.kind == JOB_KIND,
            JobRun.status == "running",
            JobRun.started_at > utcnow() - STALE_RUN_AFTER,
        )
    )
    if running >= MAX_SYNCS_PER_ORGANIZATION:
        db.session.rollback()
        raise SyncBusy(f"{running} syncs already running for business {business_id}")
    run = db.session.get(JobRun, uuid.UUID(str(run_id))) if run_id else None
    if run is None:
        run = JobRun(kind=JOB_KIND, business_id=business_id)
        db.session.add(run)
    run.status = "running"
    run.started_at = run.started_at or utcnow()
    db.session.commit()
    return run


def _cursor(business: Business, kind: str) -> SyncCursor:
    cursor = db.session.scalar(
        select(SyncCursor).where(SyncCursor.business_id == business.id, SyncCursor.kind == kind)
    )
    if cursor is None:
        from app.crm_sync.bulk import dialect_insert

        now = utcnow()
        db.session.execute(
            dialect_insert(SyncCursor)
            .values(id=uuid.uuid4(), business_id=business.id, kind=kind, created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["business_id", "kind"])
        )
        db.session.commit()
        cursor = db.session.scalar(
            select(SyncCursor).where(SyncCursor.business_id == business.id, SyncCursor.kind == kind)
        )
    return cursor


def _pager(client, kind: str, since):
    if kind == "contacts":
        return client.list_contacts(client.organization_id, updated_since=since, include_deleted=True, page_size=PAGE_SIZE)
    if kind == "calls":
        return client.list_calls(client.organization_id, updated_since=since, page_size=PAGE_SIZE)
    return client.list_appointments(client.organization_id, updated_since=since, page_size=PAGE_SIZE)


def _prefetched_pages(pager):
    """(page, whether the page after it has arrived (`_arrives`)) in order, the next page
    fetched (in a thread) while the caller applies this one: 4calls' time and
    ours overlap instead of adding up. The transport is plain httpx, without
    app context or session. Ask the second item after applying: it says
    whether taking the next page would wait."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-prefetch") as prefetch:
        page = pager.page(None)
        while True:
            upcoming = prefetch.submit(pager.page, page.next_cursor) if page.has_more and page.next_cursor else None
            yield page, (lambda upcoming=upcoming: upcoming is None or _arrives(upcoming))
            if upcoming is None:
                return
            page = upcoming.result()


def _arrives(upcoming) -> bool:
    """Whether the page being fetched is here, or comes within NEXT_PAGE_GRACE_SECONDS:
    the fetching thread needs the GIL too, so a page 4calls already sent may still
    be in decoding when the one before is applied."""
    return not wait([upcoming], timeout=NEXT_PAGE_GRACE_SECONDS).not_done


_APPLY = {"contacts": apply_remote_contacts, "calls": apply_remote_calls, "appointments": apply_remote_appointments}


def sync_kinds(business: Business, kinds: tuple[str, ...], run: JobRun, client=None) -> dict:
    """Bring the given kinds up to date; returns counts per kind. Progress
    moves through the kinds in order, pages nudging it within each."""
    from app.assistant.connection import organization_client
    from app.usage.services import apply_package_limits, refresh_coordinator_usage

    client = client or organization_client(business)
    counts: dict[str, dict] = {}
    for position, kind in enumerate(kinds):
        result = ApplyResult()
        cursor_row = _cursor(business, kind)
        pages = 0
        committed_at = _monotonic()
        for page, next_page_arrived in _prefetched_pages(_pager(client, kind, cursor_row.updated_since)):
            pages += 1
            applied = _APPLY[kind](business, page.data)
            result.add_counts(applied)
            if applied.latest_updated_at and (
                cursor_row.updated_since is None or applied.latest_updated_at > cursor_row.updated_since
            ):
                cursor_row.updated_since = applied.latest_updated_at
            counts[kind] = result.as_counts()
            within = pages / (pages + 1)
            set_progress(run, int(100 * (position + within) / len(kinds)), **counts)
            if _monotonic() - committed_at >= COMMIT_EVERY_SECONDS or not next_page_arrived():
                db.session.commit()  # the pages so far, with their cursor and the progress
                committed_at = _monotonic()
        cursor_row.last_synced_at = utcnow()
        cursor_row.last_error = None
        db.session.commit()
    apply_package_limits(business)
    refresh_coordinator_usage(business)
    db.session.commit()
    return counts


def record_sync_error(business_id: uuid.UUID, kinds: tuple[str, ...], message: str) -> None:
    db.session.rollback()
    for cursor in db.session.scalars(
        select(SyncCursor).where(SyncCursor.business_id == business_id, SyncCursor.kind.in_(kinds))
    ):
        cursor.last_error = message[:2000]
    db.session.commit()


def prune_sync_runs(keep_days: int = RUN_RETENTION_DAYS) -> int:
    """Delete finished sync runs older than `keep_days`: the schedule alone
    writes one per business every few minutes."""
    from sqlalchemy import delete

    result = db.session.execute(
        delete(JobRun).where(
            JobRun.kind == JOB_KIND,
            JobRun.status.in_(("succeeded", "failed")),
            JobRun.created_at < utcnow() - timedelta(days=keep_days),
        )
    )
    db.session.commit()
    return result.rowcount or 0


def businesses_to_sync() -> list[uuid.UUID]:
    return list(db.session.scalars(
        select(FourCallsIntegration.business_id).where(
            FourCallsIntegration.status.in_(SYNCED_STATUSES), FourCallsIntegration.organization_id != ""
        )
    ))


# --- what the dashboard shows --------------------------------------------------


def last_synced_at(business: Business):
    """When every kind was last brought fully up to date (None before the first full sync)."""
    return sync_cursor_facts(business)[0]


def last_sync_error(business: Business) -> str | None:
    return sync_cursor_facts(business)[1]


# Built once: the dashboard reads both on every view, and building a statement
# costs more than running it.
_CURSOR_FACTS = (select(SyncCursor.kind, SyncCursor.last_synced_at, SyncCursor.last_error, SyncCursor.updated_at)
                 .where(SyncCursor.business_id == bindparam("business_id")))
_LATEST_SYNC_RUN = (select(JobRun)
                    .where(JobRun.business_id == bindparam("business_id"), JobRun.kind == JOB_KIND)
                    .order_by(JobRun.created_at.desc())
                    .limit(1))


def sync_cursor_facts(business: Business) -> tuple:
    """(last_synced_at, last sync error) from one read of the business's few
    cursor rows: the dashboard shows both on every view."""
    rows = db.session.execute(_CURSOR_FACTS, {"business_id": business.id}).all()
    stamps = {row.kind: row.last_synced_at for row in rows}
    if any(stamps.get(kind) is None for kind in KINDS):
        synced_at = None
    else:
        synced_at = min(stamps[kind] for kind in KINDS)  # other cursors (issue 15's messages) are not the CRM sync
    failed = [row for row in rows if row.last_error is not None]
    # The most recently updated cursor's error (all cursors count, as before).
    error = max(failed, key=lambda row: row.updated_at).last_error if failed else None
    return synced_at, error


def latest_sync_run(business: Business) -> JobRun | None:
    return db.session.scalars(_LATEST_SYNC_RUN, {"business_id": business.id}).first()


def unfinished_sync_run(business: Business) -> JobRun | None:
    """The sync run still queued or running, if any (abandoned ones excluded)."""
    return unfinished(latest_sync_run(business))


def unfinished(run: JobRun | None) -> JobRun | None:
    """`run` (the latest sync run) if it is still queued or running and not abandoned."""
    if run is None or run.is_finished:
        return None
    if (run.started_at or run.created_at) < utcnow() - STALE_RUN_AFTER:
        return None
    return run


def sync_job_id(business_id, kinds: tuple[str, ...]) -> str:
    # RQ job ids allow letters, digits, "-" and "_" only.
    return f"sync-{business_id}-{'_'.join(kinds)}"


def follow_up_job_id(business_id, kinds: tuple[str, ...]) -> str:
    return f"sync-follow-up-{business_id}-{'_'.join(kinds)}"


def request_follow_up_sync(business: Business, kinds=KINDS) -> None:
    """After a webhook event: queue the sync of `kinds` a short delay
    (CRM_SYNC_FOLLOW_UP_DELAY_SECONDS) from now. The waiting job has its own
    unique id, so every further event of the burst finds it waiting and adds
    nothing; when it runs it requests the sync itself under the sync's usual
    id, which a running or queued sync (the owner's "Sync now", the recurring
    sync) still deduplicates. The wait is a separate id so that it never
    refuses those requests for its 30 seconds."""
    from flask import current_app

    from app.jobs import enqueue

    kinds = parse_kinds(kinds)
    delay = timedelta(seconds=current_app.config["CRM_SYNC_FOLLOW_UP_DELAY_SECONDS"])
    enqueue("app.crm_sync.jobs.request_sync_job", str(business.id), ",".join(kinds),
            job_id=follow_up_job_id(business.id, kinds), delay=delay if delay else None)


def request_sync(business: Business, kinds=KINDS, *, track: bool = False) -> JobRun | None:
    """Queue an incremental sync of `kinds` for the business. With `track`,
    returns the run the owner can follow: a new one, or the one already
    queued or running (a second click does not start a second sync)."""
    from app.jobs import enqueue

    kinds = parse_kinds(kinds)
    if not track:
        enqueue("app.crm_sync.jobs.sync_business", str(business.id), ",".join(kinds), job_id=sync_job_id(business.id, kinds))
        return None
    existing = unfinished_sync_run(business)
    if existing is not None and (existing.counts or {}).get("kinds") == ",".join(kinds):
        return existing
    run = JobRun(kind=JOB_KIND, business_id=business.id, status="queued", counts={"kinds": ",".join(kinds)})
    db.session.add(run)
    db.session.commit()
    queued = enqueue("app.crm_sync.jobs.sync_business", str(business.id), ",".join(kinds), str(run.id), job_id=sync_job_id(business.id, kinds))
    if queued is None:
        # Lost a race with another request for the same sync: follow that one.
        db.session.delete(run)
        db.session.commit()
        return unfinished_sync_run(business)
    return run
