"""Job requests that could not reach the queue (Redis down): kept in the
database and enqueued by a sweep once the queue answers again, so no request
for work is lost."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey


class DeferredJob(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "deferred_jobs"

    func_path: Mapped[str] = mapped_column(String(200), nullable=False)  # "app.mail.jobs.deliver_email_job"
    args: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    kwargs: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    job_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTC)

    __table_args__ = (Index("ix_deferred_jobs_waiting", "enqueued_at", "created_at"),)


class JobRun(UUIDPrimaryKey, Timestamps, db.Model):
    """One execution of a background job, so failures are visible, never swallowed."""

    __tablename__ = "job_runs"

    kind: Mapped[str] = mapped_column(String(60), nullable=False)
    business_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("businesses.id"))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="queued")
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    counts: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTC)
    finished_at: Mapped[datetime | None] = mapped_column(UTC)

    __table_args__ = (Index("ix_job_runs_business_kind_created", "business_id", "kind", "created_at"),)

    @property
    def is_finished(self) -> bool:
        return self.status in ("succeeded", "failed")
