"""What the operator console keeps besides the audit log: its settings
(costs, margin floor, rollout stage), the rollout waitlist and the owners'
satisfaction ratings, and monthly metric snapshots."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey


class OperatorSetting(Timestamps, db.Model):
    """One row per console setting the operator has changed; a missing row
    means the configured default (app/admin/settings.py)."""

    __tablename__ = "operator_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict] = mapped_column(JSONType, nullable=False)


class WaitlistEntry(UUIDPrimaryKey, Timestamps, db.Model):
    """A business that asked for a package outside the current rollout stage.
    `invited_at` lets it check out whatever the stage; the owner is told in the app."""

    __tablename__ = "rollout_waitlist"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), unique=True, nullable=False)
    package_slug: Mapped[str] = mapped_column(String(50), nullable=False)
    joined_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    invited_at: Mapped[datetime | None] = mapped_column(UTC)
    invited_by: Mapped[str | None] = mapped_column(String(255))
    # When the owner saw the in-app invitation (the banner stops showing).
    invitation_seen_at: Mapped[datetime | None] = mapped_column(UTC)

    business = relationship("Business", lazy="joined")

    @property
    def package_name(self) -> str:
        from app.packages.catalog import get_package

        package = get_package(self.package_slug)
        return package.name if package else self.package_slug


class SatisfactionRating(UUIDPrimaryKey, Timestamps, db.Model):
    """A 1–5 rating an owner gave, at most one per business and month ("2027-03")."""

    __tablename__ = "satisfaction_ratings"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    period: Mapped[str] = mapped_column(String(7), nullable=False)
    # None when the owner chose "not now" for this month.
    rating: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("business_id", "period", name="uq_satisfaction_business_period"),
        Index("ix_satisfaction_created", "created_at"),
    )


class MetricSnapshot(UUIDPrimaryKey, db.Model):
    """A closed month's MRR figures (operator zone, one package or all),
    rebuilt idempotently by a job so the console doesn't replay years of
    history on every request; the live month is computed on read."""

    __tablename__ = "metric_snapshots"

    month: Mapped[date] = mapped_column(Date, nullable=False)
    zone: Mapped[str] = mapped_column(String(64), nullable=False)
    package: Mapped[str] = mapped_column(String(50), nullable=False, default="")  # "" for all packages
    figures: Mapped[dict] = mapped_column(JSONType, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(UTC, nullable=False)

    __table_args__ = (UniqueConstraint("month", "zone", "package", name="uq_metric_snapshots_month_zone_package"),)
