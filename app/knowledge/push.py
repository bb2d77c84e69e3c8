"""Telling 4calls about knowledge sources: push one (processing -> ready |
failed) and remove one. Both are safe to run again at any point.

A push first looks the source up by its external_id, so a push cut off after
4calls stored it adopts that copy instead of making a second. Transient
failures (4calls down, rate limited) re-raise so the queue retries with
backoff; the last attempt allowed marks the source failed with the reason.
Refusals (422, no 4calls organization) fail it at once.
"""
from __future__ import annotations

import logging

from flask import current_app

from app.extensions import db
from app.fourcalls import FourCallsError, NotFound, NotProvisioned
from app.assistant.connection import organization_client
from app.fourcalls.errors import Conflict, plain_words
from app.knowledge.services import chunks_for
from app.models import KnowledgeSource, KnowledgeStatus
from app.models.base import utcnow

log = logging.getLogger(__name__)


class StillPending(RuntimeError):
    """A precondition another job will meet soon (the assistant is being created)."""


def _attempts_allowed() -> int:
    return len(current_app.config["JOB_RETRY_INTERVALS"]) + 1


def _fail(source: KnowledgeSource, reason: str) -> None:
    source.status, source.status_reason = KnowledgeStatus.FAILED, reason
    db.session.commit()


def _remote_coordinator_id(source: KnowledgeSource) -> str | None:
    if source.coordinator is None:
        return None
    if not source.coordinator.fourcalls_id:
        raise StillPending("the assistant this source is for is still being set up")
    return source.coordinator.fourcalls_id


def push_source(source: KnowledgeSource) -> str:
    """Make 4calls hold the source; returns the status it ends in."""
    if source.status != KnowledgeStatus.PROCESSING:
        return source.status
    source.push_attempts += 1
    db.session.commit()
    last_try = source.push_attempts >= _attempts_allowed()
    try:
        client = organization_client(source.business)
        remote = client.find_knowledge_source(client.organization_id, source.external_id)
        if remote is None:
            remote = _create(client, source)
    except NotProvisioned as exc:
        _fail(source, plain_words(exc))
        return source.status
    except (FourCallsError, StillPending) as exc:
        retryable = isinstance(exc, StillPending) or exc.retryable
        if retryable and not last_try:
            raise
        _fail(source, str(exc) if isinstance(exc, StillPending) else plain_words(exc))
        return source.status
    db.session.refresh(source)
    if source.status != KnowledgeStatus.PROCESSING:
        # Removed while this push ran: the removal may have looked before 4calls had it.
        delete_remote(client, remote["id"])
        return source.status
    source.fourcalls_id = remote["id"]
    source.status, source.status_reason, source.ready_at = KnowledgeStatus.READY, None, utcnow()
    db.session.commit()
    return source.status


def _create(client, source: KnowledgeSource) -> dict:
    body = {"external_id": source.external_id, "title": source.title, "kind": source.kind,
            "content_hash": source.content_hash, "chunks": chunks_for(source),
            "coordinator_id": _remote_coordinator_id(source)}
    # No idempotency key of ours: the client's random one covers its own retries, and the
    # external_id (unique at 4calls, looked up first) covers re-runs. A key derived from our
    # id would replay a create from before a pause, naming a source 4calls has since deleted.
    try:
        return client.create_knowledge_source(client.organization_id, body)
    except Conflict as exc:
        if exc.existing_id:  # another run created it between our look-up and now
            return {"id": exc.existing_id}
        raise


def delete_remote(client, remote_id: str) -> None:
    try:
        client.delete_knowledge_source(remote_id)
    except NotFound:
        pass  # already gone: what we wanted


def client_or_none(business):
    """The business's 4calls client; None when it has no organization (so 4calls holds nothing of it)."""
    try:
        return organization_client(business)
    except NotProvisioned:
        return None


def forget_remote(client, source: KnowledgeSource) -> None:
    """Delete the source at 4calls, found by its id there or, when a push was cut off
    before recording it, by its external_id. Nothing there is fine."""
    if client is None:
        return
    remote_id = source.fourcalls_id
    if remote_id is None:
        found = client.find_knowledge_source(client.organization_id, source.external_id)
        remote_id = found["id"] if found else None
    if remote_id:
        delete_remote(client, remote_id)


def remove_source(source: KnowledgeSource) -> None:
    """Delete it from 4calls (if it ever got there), then here. When 4calls stays
    unreachable through the last attempt, the reason is shown and Remove offered again."""
    source.push_attempts += 1
    db.session.commit()
    try:
        forget_remote(client_or_none(source.business), source)
    except FourCallsError as exc:
        if source.push_attempts >= _attempts_allowed() or not exc.retryable:
            source.status_reason = f"Not removed yet: {plain_words(exc)}"
            db.session.commit()
        raise
    db.session.delete(source)
    db.session.commit()
