from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class IntegrationStatus:
    PENDING = "pending"
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"
    ERROR = "error"


class FourCallsIntegration(UUIDPrimaryKey, Timestamps, db.Model):
    """Links a business to its 4calls.ai organization (plan section 5)."""

    __tablename__ = "alphasite_fourcalls_integrations"

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id"), unique=True, nullable=False
    )
    # Empty until provisioning has created the organization.
    organization_id: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    coordinator_id: Mapped[str | None] = mapped_column(String(255))
    # Fernet token of the organization's API key; never plaintext.
    api_key: Mapped[str] = mapped_column(String(512), nullable=False, default="")
    service_package: Mapped[str] = mapped_column(String(50), nullable=False)
    status: Mapped[str] = mapped_column(String(50), nullable=False, default=IntegrationStatus.PENDING)
    status_reason: Mapped[str | None] = mapped_column(Text)
    activated_at: Mapped[datetime | None] = mapped_column(UTC)
    expires_at: Mapped[datetime | None] = mapped_column(UTC)
    # What 4calls should look like (active, suspended or cancelled); `status`
    # is what the owner sees while the sync job gets it there.
    target_status: Mapped[str] = mapped_column(String(20), nullable=False, default="active", server_default="active")
    # Every change to push bumps desired_version; the sync job records the
    # version it completed, so a change made during a run is never lost.
    desired_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    synced_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    last_synced_at: Mapped[datetime | None] = mapped_column(UTC)
    # The latest failure to reach 4calls, in plain words; cleared by a successful sync.
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTC)

    business = relationship("Business", back_populates="integration")

    @property
    def has_pending_changes(self) -> bool:
        return self.synced_version < self.desired_version


