"""Notices shown to an owner when usage crosses a package threshold."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class UsageNotice(UUIDPrimaryKey, Timestamps, db.Model):
    """Written once per business, service, period and threshold (80 or 100 %),
    so crossing a threshold again in the same period does not repeat it."""

    __tablename__ = "usage_notices"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    service_type: Mapped[str] = mapped_column(String(50), nullable=False)
    period_start: Mapped[datetime] = mapped_column(UTC, nullable=False)
    threshold: Mapped[int] = mapped_column(Integer, nullable=False)  # percent
    usage_count: Mapped[int] = mapped_column(Integer, nullable=False)
    usage_limit: Mapped[int] = mapped_column(Integer, nullable=False)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTC)

    __table_args__ = (
        Index(
            "uq_usage_notices_business_service_period_threshold",
            "business_id",
            "service_type",
            "period_start",
            "threshold",
            unique=True,
        ),
    )


class AIServiceUsage(UUIDPrimaryKey, Timestamps, db.Model):
    """Usage per business, service and billing period (plan section 5)."""

    __tablename__ = "alphasite_ai_service_usage"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    service_type: Mapped[str] = mapped_column(String(50), nullable=False)
    usage_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    usage_limit: Mapped[int] = mapped_column(Integer, nullable=False)
    period_start: Mapped[datetime] = mapped_column(UTC, nullable=False)
    period_end: Mapped[datetime] = mapped_column(UTC, nullable=False)

    __table_args__ = (
        Index(
            "uq_usage_business_service_period",
            "business_id",
            "service_type",
            "period_start",
            unique=True,
        ),
    )
