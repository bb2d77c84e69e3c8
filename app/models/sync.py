"""Where each business's incremental sync from 4calls stands."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, literal
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class SyncCursor(UUIDPrimaryKey, Timestamps, db.Model):
    """One row per business and kind (contacts, calls, appointments).

    `updated_since` is the largest 4calls `updated_at` applied so far: the
    next run asks for `updated_since` that instant (the API's bound is
    inclusive, and the upserts are idempotent, so the overlap is harmless).
    """

    __tablename__ = "sync_cursors"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    updated_since: Mapped[datetime | None] = mapped_column(UTC)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTC)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("business_id", "kind", name="uq_sync_cursors_business_kind"),)


# Indexes on the shared CRM tables that only the sync and the call log need,
# declared next to the code that relies on them.
from app.models.crm import Appointment, Call  # noqa: E402

# Linking calls and appointments to a contact that arrives after them.
Index("ix_calls_business_contact_remote", Call.business_id, Call.contact_remote_id)
Index("ix_appointments_business_contact_remote", Appointment.business_id, Appointment.contact_remote_id)
# The dashboard's 30-day statistics read only the index, never the rows.
Index("ix_calls_business_started_stats", Call.business_id, Call.started_at, Call.status, Call.outcome,
      Call.duration_seconds)
# Full-text search of transcripts and summaries; SQLite searches with LIKE instead.
Index(
    "ix_calls_search_fts",
    func.to_tsvector(literal("english", String), Call.search_text),
    postgresql_using="gin",
).ddl_if(dialect="postgresql")
