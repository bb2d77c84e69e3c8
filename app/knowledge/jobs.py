"""Knowledge base jobs: thin wrappers taking ids, each run recorded."""
from __future__ import annotations

import uuid

from app.extensions import db
from app.jobs.records import recorded_run
from app.models import KnowledgeSource, KnowledgeStatus


def _source(source_id: str) -> KnowledgeSource | None:
    return db.session.get(KnowledgeSource, uuid.UUID(source_id))


def push_knowledge_source_job(source_id: str) -> str | None:
    """Give 4calls the source's chunks; a source already pushed or removed is left alone."""
    source = _source(source_id)
    if source is None or source.status != KnowledgeStatus.PROCESSING:
        return None
    with recorded_run("knowledge_push", source.business_id):
        from app.knowledge.push import push_source

        return push_source(source)


def remove_knowledge_source_job(source_id: str) -> None:
    """Delete the source from 4calls, then here; repeating it is harmless."""
    source = _source(source_id)
    if source is None or source.status != KnowledgeStatus.REMOVING:
        return
    with recorded_run("knowledge_remove", source.business_id):
        from app.knowledge.push import remove_source

        remove_source(source)


def reconcile_knowledge_job(business_id: str) -> int | None:
    """Pause or resume the business's knowledge on 4calls to match its package."""
    from app.models import Business

    business = db.session.get(Business, uuid.UUID(business_id))
    if business is None:
        return None
    with recorded_run("knowledge_reconcile", business.id):
        from app.knowledge.reconcile import reconcile

        return reconcile(business)
