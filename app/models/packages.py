from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import JSONType, Timestamps, UUIDPrimaryKey


class AIServicePackage(UUIDPrimaryKey, Timestamps, db.Model):
    """A sellable package (plan section 5). Rows are synced from the catalog
    in app/packages/catalog.py, which is the single source of truth."""

    __tablename__ = "alphasite_ai_service_packages"

    name: Mapped[str] = mapped_column(String(255), nullable=False)
    slug: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    monthly_price: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    features: Mapped[dict] = mapped_column(JSONType, nullable=False)
    coordinator_count: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    call_minutes_inbound: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    call_minutes_outbound: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # None means unlimited.
    contact_limit: Mapped[int | None] = mapped_column(Integer)
    campaign_limit: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    display_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
