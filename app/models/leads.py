"""Leads: people who asked to be contacted (chat lead form, the widget's
contact form when no package is active, or 4calls' real-time lead).

Stored locally first so nothing a visitor typed is lost; `remote_id` is set
once 4calls has the lead, `sync_state` says whether it still has to go there.
"""
from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import Timestamps, UUIDPrimaryKey
from app.models.crm import SyncState


class LeadSource:
    CHAT = "chat"  # captured inside a chat with the assistant
    CONTACT_FORM = "contact_form"  # the widget's form while no package is active


class Lead(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "leads"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="SET NULL")
    )
    remote_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="new")
    # SYNCED also for contact-form leads, which never go to 4calls (no organization).
    sync_state: Mapped[str] = mapped_column(String(12), nullable=False, default=SyncState.SYNCED)
    sync_error: Mapped[str | None] = mapped_column(Text)

    contact = relationship("Contact", lazy="joined")

    __table_args__ = (
        UniqueConstraint("business_id", "remote_id", name="uq_leads_business_remote"),
        Index("ix_leads_business_created", "business_id", "created_at"),
        Index("ix_leads_contact", "contact_id"),
    )
