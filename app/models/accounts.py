"""Sign-in state kept per user: sessions (one row per login, so they can be
listed and ended) and the hashed two-factor recovery codes."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class UserSession(UUIDPrimaryKey, Timestamps, db.Model):
    """One login on one device. The session and remember-me cookies carry its
    id; a revoked or expired row logs that device out on its next request."""

    __tablename__ = "user_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    user_agent: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    ip_address: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    last_seen_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTC)


class RecoveryCode(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    code_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTC)
