from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey


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
    # The package's seat this coordinator fills (catalog coordinator_roles); plans
    # match on it, so an owner choosing another `role` keeps the same coordinator.
    # Defaults to the role at creation: a coordinator first fills the seat of its role.
    slot: Mapped[str] = mapped_column(
        String(30), nullable=False, default=lambda context: context.get_current_parameters()["role"]
    )
    role: Mapped[str] = mapped_column(String(30), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    greeting: Mapped[str | None] = mapped_column(Text)
    persona: Mapped[str | None] = mapped_column(Text)
    script: Mapped[str | None] = mapped_column(Text)
    goals: Mapped[str | None] = mapped_column(Text)
    voice: Mapped[str] = mapped_column(String(40), nullable=False, default="aria")
    languages: Mapped[list] = mapped_column(JSONType, nullable=False, default=lambda: ["en"])
    pace: Mapped[str] = mapped_column(String(10), nullable=False, default="normal")
    # What 4calls last accepted (remote_fields); a refused edit is compared with it.
    applied: Mapped[dict | None] = mapped_column(JSONType)
    # The version 4calls refused (422): not pushed again until the owner edits.
    refused_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
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
        return self.is_live and self.synced_version < self.version and not self.refused

    @property
    def refused(self) -> bool:
        return self.refused_version >= self.version > self.synced_version

    def remote_fields(self) -> dict:
        """What 4calls is told about this coordinator."""
        return {
            "name": self.name,
            "role": self.role,
            "greeting": self.greeting or None,
            "persona": self.persona or None,
            "script": self.script or None,
            "goals": self.goals or None,
            "voice": self.voice,
            "languages": list(self.languages or ["en"]),
            "pace": self.pace,
        }


class CallAction:
    TAKE_MESSAGE = "take_message"
    BOOK = "book"
    FORWARD = "forward"

    ALL = (TAKE_MESSAGE, BOOK, FORWARD)


class CallHandling(UUIDPrimaryKey, Timestamps, db.Model):
    """How a business's calls are handled (one row per business): which
    coordinator answers calls, chats and campaigns; in- and after-hours
    behaviour; urgent forwarding. Versioned like Coordinator: local edits are
    the truth, 4calls gets them through the sync job."""

    __tablename__ = "assistant_call_handling"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False, unique=True)
    inbound_coordinator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("fourcalls_coordinators.id", ondelete="SET NULL"))
    widget_coordinator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("fourcalls_coordinators.id", ondelete="SET NULL"))
    campaign_coordinator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("fourcalls_coordinators.id", ondelete="SET NULL"))
    business_hours_action: Mapped[str] = mapped_column(String(20), nullable=False, default=CallAction.BOOK)
    after_hours_action: Mapped[str] = mapped_column(String(20), nullable=False, default=CallAction.TAKE_MESSAGE)
    forwarding_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    forwarding_number: Mapped[str | None] = mapped_column(String(32))
    urgent_words: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    forwarding_start: Mapped[str] = mapped_column(String(5), nullable=False, default="00:00")
    forwarding_end: Mapped[str] = mapped_column(String(5), nullable=False, default="00:00")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    synced_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    refused_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    applied: Mapped[dict | None] = mapped_column(JSONType)
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def refused(self) -> bool:
        return self.refused_version >= self.version > self.synced_version

    @property
    def pending_sync(self) -> bool:
        return self.synced_version < self.version and not self.refused
