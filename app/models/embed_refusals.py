"""Sites that tried to embed a business's chat widget without being on its
allowed list; the owner's widget page offers to allow them."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class EmbedRefusal(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "embed_refusals"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False)
    origin: Mapped[str] = mapped_column(String(255), nullable=False)
    times: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    last_seen_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTC)

    __table_args__ = (UniqueConstraint("business_id", "origin", name="uq_embed_refusals_business_origin"),)
