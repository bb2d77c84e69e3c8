"""Receiving webhooks: verify, store once, hand over to a job.

`webhook_events` is shared by every sender (source "fourcalls", "stripe"):
`insert_event_once` records an event exactly once per (source, event_id) and tells
the caller whether it was new. Applying events happens in jobs
(app/webhooks/jobs.py), by the handlers registered in `FOURCALLS_EVENT_HANDLERS`.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from typing import Callable

from sqlalchemy import bindparam, create_engine, select, text

from app.extensions import db
from app.models import FourCallsIntegration, WebhookEvent
from app.models.base import utcnow
from app.crm_sync.bulk import dialect_insert

SIGNATURE_TOLERANCE_SECONDS = 300


class InvalidSignature(Exception):
    """Why a delivery was refused, in words safe to send back to the sender."""


def verify_fourcalls_signature(header: str | None, raw_body: bytes, secret: str,
                               now: float | None = None, tolerance: int = SIGNATURE_TOLERANCE_SECONDS) -> int:
    """Check `X-FourCalls-Signature: t=<unix>,v1=<hex>` (several v1 are allowed,
    as during a secret rotation) over f"{t}.{raw body}". Returns the timestamp."""
    if not header:
        raise InvalidSignature("missing X-FourCalls-Signature header")
    timestamp, signatures = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamp = value
        elif name == "v1" and value:
            signatures.append(value)
    if not timestamp or not timestamp.isdigit() or not signatures:
        raise InvalidSignature("malformed X-FourCalls-Signature header")
    signed_at = int(timestamp)
    now = time.time() if now is None else now
    if abs(now - signed_at) > tolerance:
        raise InvalidSignature("signature timestamp is outside the allowed window")
    expected = hmac.new(secret.encode(), f"{signed_at}.".encode() + raw_body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise InvalidSignature("signature does not match")
    return signed_at


def insert_event_once(source: str, event_id: str, event_type: str, payload: dict,
                      organization_id: str | None = None, business_id=None) -> uuid.UUID | None:
    """Store the event unless (source, event_id) is stored already, and commit.
    Returns the new row's id, or None for a duplicate.

    One INSERT ... ON CONFLICT DO NOTHING RETURNING: the unique constraint
    decides between two deliveries racing, with no read first and no
    IntegrityError to recover from."""
    statement = dialect_insert(WebhookEvent).values(
        id=uuid.uuid4(), source=source, event_id=event_id, event_type=event_type, payload=payload,
        organization_id=organization_id, business_id=business_id, received_at=utcnow(), attempts=0,
    ).on_conflict_do_nothing(index_elements=["source", "event_id"]).returning(WebhookEvent.id)
    row_id = db.session.execute(statement).scalar()
    db.session.commit()
    return row_id


def accept_fourcalls_event(event_id: str, event_type: str, payload: dict, organization_id: str | None,
                           payload_json: str | None = None) -> uuid.UUID | None:
    """`insert_event_once` for the 4calls receiver, in one round trip: the
    business is found by a subquery inside the INSERT, and the statement runs
    on an autocommit connection of its own (no BEGIN, no COMMIT, nothing of
    the request's ORM session). `payload_json`, the body as received, spares
    serialising `payload` again. Returns the new row's id, or None for a duplicate."""
    parameters = {
        "id": uuid.uuid4(), "source": "fourcalls", "event_id": event_id, "event_type": event_type,
        "payload": payload, "organization_id": organization_id, "organization": organization_id or None,
        "received_at": utcnow(), "attempts": 0,
    }
    if db.engine.dialect.name != "postgresql":
        with db.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            return connection.execute(_sqlite_accept_statement(), parameters).scalar()
    parameters["payload"] = payload_json if payload_json is not None else json.dumps(payload)
    return _insert_on_postgresql(parameters)


# `_sqlite_accept_statement`, written out for psycopg: at 1,000 events/s
# SQLAlchemy's execution path costs more CPU than the driver's.
_POSTGRESQL_ACCEPT = (
    f"INSERT INTO {WebhookEvent.__tablename__} (id, source, event_id, event_type, payload, organization_id, business_id,"
    " received_at, attempts) VALUES (%(id)s, %(source)s, %(event_id)s, %(event_type)s, %(payload)s::jsonb,"
    f" %(organization_id)s, (SELECT business_id FROM {FourCallsIntegration.__tablename__} WHERE organization_id = %(organization)s"
    " LIMIT 1), %(received_at)s, %(attempts)s) ON CONFLICT (source, event_id) DO NOTHING RETURNING id"
)


def _insert_on_postgresql(parameters: dict, retry: bool = True) -> uuid.UUID | None:
    import psycopg

    connection = _ingest_engine().raw_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(_POSTGRESQL_ACCEPT, parameters)
            row = cursor.fetchone()
    except psycopg.OperationalError as exc:
        # The ingest pool does not ping before each use (a round trip per
        # event): a connection that died (PostgreSQL restarted) fails once,
        # leaves the pool, and the statement runs again on a new one. After a
        # first run that did commit, the second finds the row: a duplicate.
        connection.invalidate(exc)
        if not retry:
            raise
        return _insert_on_postgresql(parameters, retry=False)
    finally:
        connection.close()
    return row[0] if row else None


@functools.cache
def _sqlite_accept_statement():
    """`_POSTGRESQL_ACCEPT` as a SQLAlchemy statement, for SQLite: built once,
    filled by the execution parameters (SQLAlchemy reuses its compiled form)."""
    from sqlalchemy.dialects.sqlite import insert

    business = (select(FourCallsIntegration.business_id)
                .where(FourCallsIntegration.organization_id == bindparam("organization"))
                .limit(1).scalar_subquery())
    return (insert(WebhookEvent.__table__).values(business_id=business)
            .on_conflict_do_nothing(index_elements=["source", "event_id"])
            .returning(WebhookEvent.__table__.c.id))


def _ingest_engine():
    """The PostgreSQL receivers' autocommit pool, without pre-ping: one per
    process and database (gunicorn creates the app after fork; the pid keeps a
    forked copy from using its parent's connections)."""
    key = (os.getpid(), db.engine.url)
    engine = _INGEST_ENGINES.get(key)
    if engine is None:
        with _INGEST_ENGINE_LOCK:
            engine = _INGEST_ENGINES.get(key)
            if engine is None:
                engine = _INGEST_ENGINES[key] = create_engine(
                    db.engine.url, isolation_level="AUTOCOMMIT", pool_pre_ping=False, pool_reset_on_return=None)
    return engine


_INGEST_ENGINES: dict = {}
_INGEST_ENGINE_LOCK = threading.Lock()


def store_event(source: str, event_id: str, event_type: str, payload: dict,
                organization_id: str | None = None, business_id=None) -> tuple[WebhookEvent, bool]:
    """`insert_event_once`, returning (row, created); a duplicate gets the stored row."""
    row_id = insert_event_once(source, event_id, event_type, payload, organization_id, business_id)
    if row_id is not None:
        return db.session.get(WebhookEvent, row_id), True
    existing = db.session.scalar(
        select(WebhookEvent).where(WebhookEvent.source == source, WebhookEvent.event_id == event_id)
    )
    return existing, False


def business_id_for_organization(organization_id: str | None):
    if not organization_id:
        return None
    return db.session.scalar(
        select(FourCallsIntegration.business_id).where(FourCallsIntegration.organization_id == organization_id)
    )


# --------------------------------------------------------------- applying events

# The event types 4calls sends (docs/fourcalls-openapi.yaml, "webhooks").
FOURCALLS_EVENT_TYPES = (
    "call.completed",
    "appointment.created",
    "appointment.updated",
    "appointment.cancelled",
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "lead.created",
)


def keep_for_sync(event: WebhookEvent) -> str:
    """Until an area applies a type itself, its events are kept: the CRM sync
    reads 4calls incrementally (updated_since), so nothing is lost."""
    return "stored_for_sync"


# event type -> handler(event) returning the outcome to record ("applied", ...).
# Areas replace entries, e.g. FOURCALLS_EVENT_HANDLERS["call.completed"] = apply_call.
# A handler must be idempotent: 4calls redelivers, and events may arrive out of order.
FOURCALLS_EVENT_HANDLERS: dict[str, Callable[[WebhookEvent], str | None]] = {
    event_type: keep_for_sync for event_type in FOURCALLS_EVENT_TYPES
}


def process_fourcalls_event(event: WebhookEvent) -> None:
    """Apply one stored event; errors are recorded and re-raised for a retry."""
    if event.processed_at is not None:
        return
    handler = FOURCALLS_EVENT_HANDLERS.get(event.event_type)
    try:
        outcome = handler(event) if handler else "ignored_unknown_type"
    except Exception as exc:
        record_failure(event.id, f"{type(exc).__name__}: {exc}", count_attempt=True)
        raise
    event.attempts += 1
    record_outcome(event, outcome or "applied")


# --------------------------------------------------------------- bookkeeping (every source)


def record_outcome(event: WebhookEvent, outcome: str, *, error: str | None = None) -> None:
    """The event is applied (or will never apply): keep the outcome, commit."""
    event.processed_at = utcnow()
    event.outcome = outcome[:40]
    event.error = error[:2000] if error else None
    db.session.commit()


def record_failure(event_id, error: str, *, count_attempt: bool) -> WebhookEvent:
    """A try failed: undo its changes and keep the error on the row for the
    retry, the sweep and the admin page. `count_attempt` is False for a
    processor that counted the attempt when it began."""
    db.session.rollback()
    event = db.session.get(WebhookEvent, event_id)
    if count_attempt:
        event.attempts += 1
    event.error = error[:2000]
    db.session.commit()
    return event


# --------------------------------------------------------------- recovery

# How each source's stored events are applied: (job path, job id pattern).
EVENT_PROCESSORS = {
    "fourcalls": ("app.webhooks.jobs.process_fourcalls_event", "webhook:fourcalls:{row_id}"),
    "stripe": ("app.billing.jobs.process_stripe_event", "stripe-event:{event_id}"),
}
SWEEP_MAX_ATTEMPTS = 10


def queue_processing(source: str, row_id, event_id: str, *, fresh: bool = False) -> None:
    """Queue the job that applies one stored event: the one place that names
    each source's job and its unique id (receipt, sweep and admin replay).
    `fresh`: the row was inserted just now, so no job can carry its id yet and
    the queue skips its duplicate lookup."""
    from app.jobs import enqueue

    path, job_id = EVENT_PROCESSORS[source]
    enqueue(path, str(row_id), job_id=job_id.format(row_id=row_id, event_id=event_id), fresh_id=fresh)


def sweep_unprocessed_events(older_than_seconds: int = 120, limit: int = 500) -> int:
    """Queue again every stored event that is still unprocessed a while after it
    arrived: its job was never enqueued (Redis down) or failed every retry.
    Processing is idempotent, so a duplicate run changes nothing."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    rows = db.session.execute(
        select(WebhookEvent.id, WebhookEvent.source, WebhookEvent.event_id)
        .where(WebhookEvent.processed_at.is_(None), WebhookEvent.received_at < cutoff,
               WebhookEvent.attempts < SWEEP_MAX_ATTEMPTS, WebhookEvent.source.in_(list(EVENT_PROCESSORS)))
        .order_by(WebhookEvent.received_at).limit(limit)
    ).all()
    batched = set()
    for row_id, source, event_id in rows:
        if source in BATCHED_SOURCES:
            batched.add(source)
        else:
            queue_processing(source, row_id, event_id)
    for source in batched:
        from app.jobs import enqueue
        from app.webhooks.handoff import BATCH_JOB

        enqueue(BATCH_JOB, source, job_id=f"webhooks:{source}:sweep")
    return len(rows)


# --------------------------------------------------------------- batches

# Sources whose receiver stores rows and lets a batch job apply them
# (app/webhooks/handoff.py); the others queue one job per event.
BATCHED_SOURCES = {"fourcalls": process_fourcalls_event}
BATCH_CHUNK = 200


class BatchIncomplete(Exception):
    """Some events of a batch failed (each kept its error): the job is retried."""


def process_stored_events(source: str, limit: int = 5000) -> int:
    """Apply the unprocessed stored events of `source`, oldest first, each
    claimed so that concurrent batch jobs never apply one event twice.
    Returns how many were applied; raises BatchIncomplete after the rest are
    done if any failed, so the queue retries them on its schedule."""
    process = BATCHED_SOURCES[source]
    tried: set = set()
    applied = failed = 0
    with EventClaims() as claims:
        while len(tried) < limit:
            candidates = [row_id for row_id in db.session.scalars(
                select(WebhookEvent.id)
                .where(WebhookEvent.source == source, WebhookEvent.processed_at.is_(None),
                       WebhookEvent.attempts < SWEEP_MAX_ATTEMPTS)
                .order_by(WebhookEvent.received_at).limit(BATCH_CHUNK + len(tried))
            ) if row_id not in tried][:BATCH_CHUNK]
            db.session.rollback()  # end the read: each event gets its own transaction
            if not candidates:
                break
            for row_id in candidates:
                tried.add(row_id)
                if not claims.take(row_id):
                    continue  # another job has it
                event = db.session.get(WebhookEvent, row_id)
                if event is None or event.processed_at is not None:
                    db.session.rollback()
                    continue
                try:
                    process(event)
                    applied += 1
                except Exception:  # recorded on the row by `process`
                    failed += 1
            claims.release_all()
    if failed:
        raise BatchIncomplete(f"{failed} of the {source} events failed; they are retried")
    return applied


class EventClaims:
    """Which job applies an event, on PostgreSQL: a session-level advisory lock
    per event on a connection of its own, held across the commits a handler
    makes (a row lock would end at the first one, and would block the
    handler's own UPDATE of the row). SQLite has one writer: nothing to claim."""

    def __enter__(self):
        self.connection = None
        if db.engine.dialect.name == "postgresql":
            self.connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self

    def take(self, row_id: uuid.UUID) -> bool:
        if self.connection is None:
            return True
        return bool(self.connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                            {"key": _claim_key(row_id)}).scalar())

    def release_all(self) -> None:
        if self.connection is not None:
            self.connection.execute(text("SELECT pg_advisory_unlock_all()"))

    def __exit__(self, *exc_info):
        if self.connection is not None:
            try:
                self.release_all()
            finally:
                self.connection.close()


def _claim_key(row_id: uuid.UUID) -> int:
    # A signed 64-bit key from the row id; a collision only makes a job skip an event another job holds.
    return int.from_bytes(row_id.bytes[:8], "big", signed=True)
