"""Adding and removing knowledge sources, within the package's limits.

Adding checks everything before anything is stored (type, text, duplicates,
limits) and raises `KnowledgeError` with field errors otherwise; the push to
4calls happens in a job queued after the commit (app/knowledge/push.py).
"""
from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.jobs import enqueue
from app.knowledge.chunking import TooLong, chunk_text
from app.knowledge.extraction import ExtractionError, extract_text
from app.models import Coordinator, KnowledgeKind, KnowledgeSource, KnowledgeStatus
from app.models.assistant import CoordinatorStatus
from app.packages.catalog import KnowledgeLimits, knowledge_limits
from app.usage.services import package_of

FEATURE = "custom_ai_training"


class KnowledgeError(ValueError):
    """`errors` maps form field names to the message shown under them."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def limits_for(business) -> KnowledgeLimits | None:
    """The business's knowledge limits; None when its package has no custom AI training."""
    return knowledge_limits(package_of(business))


def enabled_for(business) -> bool:
    return limits_for(business) is not None


def sources_of(business) -> list[KnowledgeSource]:
    return list(db.session.scalars(select(KnowledgeSource).where(KnowledgeSource.business_id == business.id)
                                   .order_by(KnowledgeSource.created_at.desc(), KnowledgeSource.id)))


def get_source(business, source_id) -> KnowledgeSource | None:
    source = db.session.get(KnowledgeSource, source_id) if isinstance(source_id, uuid.UUID) else None
    return source if source is not None and source.business_id == business.id else None


def usage(business) -> tuple[int, int]:
    """(sources, bytes) counting against the limits; sources being removed no longer count."""
    count, size = db.session.execute(
        select(func.count(KnowledgeSource.id), func.coalesce(func.sum(KnowledgeSource.size_bytes), 0))
        .where(KnowledgeSource.business_id == business.id, KnowledgeSource.status != KnowledgeStatus.REMOVING)
    ).one()
    return int(count), int(size)


def assistants_of(business) -> list[Coordinator]:
    return list(db.session.scalars(
        select(Coordinator).where(Coordinator.business_id == business.id, Coordinator.status.in_(CoordinatorStatus.LIVE))
        .order_by(Coordinator.position, Coordinator.created_at)))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _check_room(business, size: int, field: str) -> None:
    limits = limits_for(business)
    if limits is None:
        raise KnowledgeError({field: "Your package does not include custom AI training."})
    count, used = usage(business)
    if count >= limits.max_sources:
        raise KnowledgeError({field: f"Your package holds up to {limits.max_sources} sources and all are in use. "
                                     "Remove one to add another."})
    if used + size > limits.max_total_bytes:
        raise KnowledgeError({field: f"This would take your knowledge base past its {_megabytes(limits.max_total_bytes)} "
                                     f"({_megabytes(used)} used). Remove a source first."})


def _check_new(business, content_hash: str, field: str, what: str) -> None:
    existing = db.session.scalar(select(KnowledgeSource).where(
        KnowledgeSource.business_id == business.id, KnowledgeSource.content_hash == content_hash))
    if existing is None:
        return
    if existing.status == KnowledgeStatus.REMOVING:
        raise KnowledgeError({field: f"This {what} is still being removed; add it again in a moment."})
    raise KnowledgeError({field: f"This {what} is already in your knowledge base as \u201c{existing.title}\u201d."})


def _coordinator(business, coordinator_id) -> Coordinator | None:
    if not coordinator_id:
        return None
    coordinator = next((c for c in assistants_of(business) if str(c.id) == str(coordinator_id)), None)
    if coordinator is None:
        raise KnowledgeError({"coordinator_id": "Choose one of your assistants, or all of them."})
    return coordinator


def _text_hash(kind: str, title: str, text: str) -> str:
    return hashlib.sha256(f"{kind}\0{title.strip().lower()}\0{text.strip()}".encode()).hexdigest()


def _store(business, user, *, field: str, **values) -> KnowledgeSource:
    try:
        chunks = chunk_text(values["body"]) if values["kind"] != KnowledgeKind.QA else [values["body"]]
    except TooLong as exc:
        raise KnowledgeError({field: str(exc)}) from exc
    source = KnowledgeSource(business_id=business.id, created_by_id=getattr(user, "id", None),
                             status=KnowledgeStatus.PROCESSING, chunk_count=len(chunks), push_attempts=0, **values)
    db.session.add(source)
    try:
        db.session.commit()
    except IntegrityError as exc:  # the same content added twice at once: the other request won
        db.session.rollback()
        raise KnowledgeError({field: "This is already in your knowledge base."}) from exc
    queue_push(source)
    return source


def queue_reconcile(business_id: uuid.UUID) -> None:
    """After a package or status change: pause or resume the business's sources on 4calls
    (app/knowledge/reconcile.py). Businesses that never added knowledge queue nothing."""
    has_sources = db.session.scalar(select(KnowledgeSource.id).where(KnowledgeSource.business_id == business_id).limit(1))
    if has_sources is not None:
        enqueue("app.knowledge.jobs.reconcile_knowledge_job", str(business_id), job_id=f"knowledge-reconcile:{business_id}")


def queue_push(source: KnowledgeSource) -> None:
    enqueue("app.knowledge.jobs.push_knowledge_source_job", str(source.id), job_id=f"knowledge-push:{source.id}")


def add_document(business, user, filename: str, data: bytes, coordinator_id=None) -> KnowledgeSource:
    coordinator = _coordinator(business, coordinator_id)
    content_hash = hashlib.sha256(data).hexdigest()
    _check_new(business, content_hash, "file", "file")
    try:
        file_type, text = extract_text(filename, data)
    except ExtractionError as exc:
        raise KnowledgeError({"file": str(exc)}) from exc
    _check_room(business, len(data), "file")
    title = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:300] or "Document"
    return _store(business, user, field="file", kind=KnowledgeKind.DOCUMENT, title=title, filename=title,
                  file_type=file_type, body=text, size_bytes=len(data), content_hash=content_hash,
                  coordinator=coordinator)


def add_page(business, user, title: str, text: str, coordinator_id=None) -> KnowledgeSource:
    title, text = title.strip(), text.strip()
    coordinator = _coordinator(business, coordinator_id)
    content_hash = _text_hash(KnowledgeKind.PAGE, title, text)
    _check_new(business, content_hash, "text", "page")
    size = len(text.encode())
    _check_room(business, size, "text")
    return _store(business, user, field="text", kind=KnowledgeKind.PAGE, title=title, body=text, size_bytes=size,
                  content_hash=content_hash, coordinator=coordinator)


def add_qa(business, user, question: str, answer: str, coordinator_id=None) -> KnowledgeSource:
    question, answer = question.strip(), answer.strip()
    coordinator = _coordinator(business, coordinator_id)
    content_hash = _text_hash(KnowledgeKind.QA, question, answer)
    _check_new(business, content_hash, "question", "question and answer")
    size = len(question.encode()) + len(answer.encode())
    _check_room(business, size, "answer")
    return _store(business, user, field="answer", kind=KnowledgeKind.QA, title=question, body=answer,
                  size_bytes=size, content_hash=content_hash, coordinator=coordinator)


def remove(source: KnowledgeSource) -> None:
    """Stop answering from it: 4calls is told by a job, which then deletes the row."""
    source.status, source.status_reason, source.push_attempts = KnowledgeStatus.REMOVING, None, 0
    db.session.commit()
    enqueue("app.knowledge.jobs.remove_knowledge_source_job", str(source.id), job_id=f"knowledge-remove:{source.id}")


def retry(source: KnowledgeSource) -> None:
    """Push a failed source again, with a fresh count of attempts."""
    if source.status != KnowledgeStatus.FAILED:
        return
    source.status, source.status_reason, source.push_attempts = KnowledgeStatus.PROCESSING, None, 0
    db.session.commit()
    queue_push(source)


def chunks_for(source: KnowledgeSource) -> list[dict]:
    """The chunks 4calls is sent for this source."""
    if source.kind == KnowledgeKind.QA:
        return [{"question": source.title[:1000], "text": source.body[:4000]}]
    return [{"text": text} for text in chunk_text(source.body)]
