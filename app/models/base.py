from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, Uuid
from sqlalchemy.types import TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

# Re-exported: models and services read the one injectable clock.
from app.clock import utcnow  # noqa: F401

# JSONB where the database has it, plain JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTC(TypeDecorator):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        # Always the one `timezone.utc` object, as SQLite gives: psycopg hands back the session's
        # ZoneInfo("Etc/UTC"), and comparing datetimes whose tzinfo objects differ asks each for
        # its offset, about ten times the cost of a plain comparison (the console's metrics
        # compare every history row with month boundaries).
        if value is None or value.tzinfo is timezone.utc:
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)

class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTC, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTC, default=utcnow, onupdate=utcnow, nullable=False)
