"""The knowledge base (Custom AI training, AI Enterprise): what an owner teaches
the assistants, as documents, pages of text and Q&A pairs.

Only the extracted text is kept (never the uploaded file). Each source is
pushed to 4calls as chunks; `status` follows that push, and `content_hash`
makes a second upload of the same file, or an identical page, detectable.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class KnowledgeKind:
    DOCUMENT = "document"
    PAGE = "page"
    QA = "qa"

    LABELS = {DOCUMENT: "Document", PAGE: "Page", QA: "Q&A"}


class KnowledgeStatus:
    PROCESSING = "processing"  # waiting for (or in) the push to 4calls
    READY = "ready"  # the assistants answer from it
    FAILED = "failed"  # 4calls refused it, or the push gave up; `status_reason` says why
    REMOVING = "removing"  # the owner removed it; 4calls is being told, then the row goes
    # Kept but not used: the package no longer includes custom AI training (4calls no
    # longer holds it). Pushed again when the business is back on a package with it.
    PAUSED = "paused"

    LABELS = {PROCESSING: "Processing", READY: "Ready", FAILED: "Failed", REMOVING: "Removing", PAUSED: "Paused"}
    DONE = (READY, FAILED)


class KnowledgeSource(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "knowledge_sources"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    # Documents: the name it was uploaded under and its sniffed type (pdf, docx, txt, md).
    filename: Mapped[str | None] = mapped_column(String(255))
    file_type: Mapped[str | None] = mapped_column(String(10))
    # Documents: the extracted text; pages: the text; Q&A: the answer (`title` is the question).
    body: Mapped[str] = mapped_column(Text, nullable=False)
    # What counts against the package's size limit: the file's bytes, or the text's UTF-8 bytes.
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    # SHA-256 of the uploaded bytes (documents) or of kind + title + text (pages, Q&A).
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    chunk_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=KnowledgeStatus.PROCESSING)
    status_reason: Mapped[str | None] = mapped_column(Text)
    fourcalls_id: Mapped[str | None] = mapped_column(String(255))
    # Pushes tried since the last success or owner retry; the last one allowed marks it failed.
    push_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Only this assistant answers from it; None: every assistant of the business.
    coordinator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("fourcalls_coordinators.id"))
    ready_at: Mapped[datetime | None] = mapped_column(UTC)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    business = relationship("Business")
    coordinator = relationship("Coordinator")

    __table_args__ = (
        UniqueConstraint("business_id", "content_hash", name="uq_knowledge_sources_business_hash"),
        Index("ix_knowledge_sources_business_created", "business_id", "created_at"),
    )

    @property
    def external_id(self) -> str:
        """The id 4calls knows it by, so a push cut off halfway is found again, never doubled."""
        return str(self.id)

    @property
    def in_progress(self) -> bool:
        """Whether a job is still working on it (a removal that gave up has a reason instead)."""
        return self.status == KnowledgeStatus.PROCESSING or (
            self.status == KnowledgeStatus.REMOVING and not self.status_reason)
