from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class CoordinatorStatus:
    CREATING = "creating"  # planned locally; not yet confirmed by 4calls
    ACTIVE = "active"
    RETIRING = "retiring"  # no longer in the package; 4calls not yet told
    RETIRED = "retired"

    LIVE = (CREATING, ACTIVE)


class Coordinator(UUIDPrimaryKey, Timestamps, db.Model):
    """A 4calls AI assistant of a business, as the owner sees and edits it.

    Local edits are the truth: each edit bumps `version`, and the sync job
    records the version 4calls has in `synced_version`, so an edit made while
    4calls is down stays visible as pending until it gets through.
    """

    __tablename__ = "fourcalls_coordinators"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    fourcalls_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    role: Mapped[str] = mapped_column(String(30), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    greeting: Mapped[str | None] = mapped_column(Text)
    persona: Mapped[str | None] = mapped_column(Text)
    script: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=CoordinatorStatus.CREATING)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    synced_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    phone_number: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)
    retired_at: Mapped[datetime | None] = mapped_column(UTC)

    business = relationship("Business")

    __table_args__ = (Index("ix_fourcalls_coordinators_business_status", "business_id", "status"),)

    @property
    def is_live(self) -> bool:
        return self.status in CoordinatorStatus.LIVE

    @property
    def pending_sync(self) -> bool:
        return self.is_live and self.synced_version < self.version

    def remote_fields(self) -> dict:
        """What 4calls is told about this coordinator."""
        return {
            "name": self.name,
            "role": self.role,
            "greeting": self.greeting or None,
            "persona": self.persona or None,
            "script": self.script or None,
        }
