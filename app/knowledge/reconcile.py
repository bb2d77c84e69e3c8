"""Keeping 4calls' copy of the knowledge base in step with the package.

Queued with every assistant sync (package changes, suspension, resumption):
a business whose package no longer includes custom AI training has its
sources deleted from 4calls and kept here as paused, so the assistants stop
answering from them at once; back on a package with it, the paused sources
are pushed again. Safe to run any number of times.
"""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.knowledge.push import client_or_none, forget_remote
from app.knowledge.services import enabled_for, queue_push
from app.models import Business, KnowledgeSource, KnowledgeStatus

_LIVE = (KnowledgeStatus.PROCESSING, KnowledgeStatus.READY, KnowledgeStatus.FAILED)


def reconcile(business: Business) -> int:
    """Pause or resume the business's sources to match its package; returns how many changed."""
    sources = list(db.session.scalars(select(KnowledgeSource).where(KnowledgeSource.business_id == business.id)))
    if enabled_for(business):
        paused = [s for s in sources if s.status == KnowledgeStatus.PAUSED]
        for source in paused:
            source.status, source.status_reason, source.push_attempts = KnowledgeStatus.PROCESSING, None, 0
        db.session.commit()
        for source in paused:
            queue_push(source)
        return len(paused)
    live = [s for s in sources if s.status in _LIVE]
    if not live:
        return 0
    client = client_or_none(business)
    for source in live:
        forget_remote(client, source)  # failures raise: the job retries the rest
        source.fourcalls_id, source.status, source.status_reason = None, KnowledgeStatus.PAUSED, None
        db.session.commit()
    return len(live)
