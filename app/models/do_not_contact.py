"""The business's do-not-contact list: phone numbers and email addresses that
no campaign call, SMS or email may reach. Shared by campaigns and messaging.

An entry is never deleted: lifting it records who, when and why, so the owner
can always see when and why a number was added or allowed again.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class DoNotContactChannel:
    PHONE = "phone"  # E.164
    EMAIL = "email"  # lower-cased
    ALL = (PHONE, EMAIL)


class DoNotContactSource:
    MANUAL = "manual"
    IMPORT = "import"
    CALL_OPT_OUT = "call_opt_out"  # a call's outcome or transcript said "stop calling"
    SMS_STOP = "sms_stop"  # an inbound STOP / UNSUBSCRIBE
    EMAIL_UNSUBSCRIBE = "email_unsubscribe"
    ALL = (MANUAL, IMPORT, CALL_OPT_OUT, SMS_STOP, EMAIL_UNSUBSCRIBE)


class DoNotContactEntry(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "do_not_contact_entries"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    value: Mapped[str] = mapped_column(String(255), nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    added_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTC)
    lifted_reason: Mapped[str | None] = mapped_column(Text)
    lifted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_do_not_contact_lookup", "business_id", "channel", "value"),
        Index("ix_do_not_contact_business_created", "business_id", "created_at"),
    )

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None
