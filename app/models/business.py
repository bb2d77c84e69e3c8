from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Business(UUIDPrimaryKey, Timestamps, db.Model):
    """A directory listing; once claimed, its profile is what the AI assistant speaks from."""

    __tablename__ = "businesses"

    name: Mapped[str] = mapped_column(String(160), nullable=False)
    slug: Mapped[str] = mapped_column(String(180), unique=True, nullable=False)
    category: Mapped[str] = mapped_column(String(80), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    # {"monday": {"open": "09:00", "close": "17:00"} | None, ...}; None means closed.
    opening_hours: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    # ["Haircut", "Colouring", ...]
    services: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    # [{"question": ..., "answer": ...}, ...]
    faq: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    # IANA zone name: hours, bookings, "today" and every rendered time use it.
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="America/New_York")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTC)

    owner = relationship("User", back_populates="businesses")
    integration = relationship(
        "FourCallsIntegration", back_populates="business", uselist=False, lazy="select"
    )
    # Read-only: the past-due banner on every owner page reads the account's
    # state, loaded with the business by the page's one statement
    # (app/web.py). Writes go through app/billing/services.account_for.
    billing_account = relationship("BillingAccount", uselist=False, viewonly=True, lazy="select")

    __table_args__ = (Index("ix_businesses_category_name", "category", "name"),)

    @property
    def is_claimed(self) -> bool:
        return self.owner_id is not None

    def hours_for(self, weekday: str) -> dict | None:
        return (self.opening_hours or {}).get(weekday)

    def profile_for_assistant(self) -> dict:
        """What the AI assistant is told about the business."""
        return {
            "description": self.description or "",
            "services": list(self.services or []),
            "hours": dict(self.opening_hours or {}),
            "faq": list(self.faq or []),
        }
