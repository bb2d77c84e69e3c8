"""Where each business's incremental sync from 4calls stands."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
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


class SyncState:
    SYNCED = "synced"
    PENDING = "pending"  # changed locally, waiting to be pushed to 4calls
    ERROR = "error"  # push failed for a reason a retry will not fix
