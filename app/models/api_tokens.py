"""API tokens for the business REST API (Custom integrations, AI Enterprise).
Only a SHA-256 hash of each token is kept; the token is shown once."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class TokenScope:
    READ = "read"
    READ_WRITE = "read_write"
    LABELS = {READ: "Read only", READ_WRITE: "Read and write"}


class ApiToken(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "api_tokens"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    # The first characters, shown in the list so the owner can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    scope: Mapped[str] = mapped_column(String(12), nullable=False, default=TokenScope.READ)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTC)
    revoked_at: Mapped[datetime | None] = mapped_column(UTC)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.READ_WRITE
