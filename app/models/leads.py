"""Leads: people who asked to be contacted (chat lead form, the widget's
contact form when no package is active, 4calls' real-time lead, a call whose
outcome was "lead", a campaign call, a reply to a missed-call text, or the
owner's manual entry), and where each stands in the owner's pipeline.

Stored locally first so nothing a visitor typed is lost; `remote_id` is set
once 4calls has the lead, `sync_state` says whether it still has to go there.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey, utcnow
from app.models.sync import SyncState


class LeadSource:
    CHAT = "chat"  # captured inside a chat with the assistant
    CONTACT_FORM = "contact_form"  # the widget's form while no package is active
    CALL = "call"  # a call 4calls ended with outcome "lead"
    CAMPAIGN = "campaign"  # a campaign call that produced a lead
    REALTIME = "api"  # 4calls' real-time createLead from elsewhere
    TEXT_BACK = "text_back"  # a reply with intent to a missed-call text
    MANUAL = "manual"  # typed in by the owner
    LABELS = {CHAT: "Chat", CONTACT_FORM: "Contact form", CALL: "Call", CAMPAIGN: "Campaign",
              REALTIME: "Real-time lead", TEXT_BACK: "Text-back reply", MANUAL: "Manual"}


class LeadStatus:
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    WON = "won"
    LOST = "lost"  # always with a lost_reason
    PIPELINE = (NEW, CONTACTED, QUALIFIED, WON, LOST)
    OPEN = (NEW, CONTACTED, QUALIFIED)


class Qualification:
    NONE = "none"  # nothing to analyse yet, or no 4calls organization
    PENDING = "pending"  # waiting for 4calls' lead analysis (a job)
    DONE = "done"
    ERROR = "error"  # 4calls refused the input; a retry will not help


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
    # -- pipeline and qualification (issue 15) --
    call_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    lost_reason: Mapped[str | None] = mapped_column(String(300))
    score: Mapped[int | None] = mapped_column(Integer)  # 0-100, from 4calls' lead analysis
    score_reason: Mapped[str | None] = mapped_column(String(500))
    qualification: Mapped[str] = mapped_column(String(10), nullable=False, default=Qualification.NONE)
    value: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    next_step: Mapped[str | None] = mapped_column(String(300))
    follow_up_due: Mapped[date | None] = mapped_column(Date)  # the business's local day
    follow_up_note: Mapped[str | None] = mapped_column(Text)
    owner_note: Mapped[str | None] = mapped_column(Text)
    # Last time the owner did something with the lead; "no follow-up for 48 h" reads it.
    last_activity_at: Mapped[datetime] = mapped_column(UTC, nullable=False, default=utcnow)

    contact = relationship("Contact", lazy="joined")

    __table_args__ = (
        UniqueConstraint("business_id", "remote_id", name="uq_leads_business_remote"),
        Index("ix_leads_business_created", "business_id", "created_at"),
        Index("ix_leads_contact", "contact_id"),
        # One lead per call, whichever of webhook and sync lands it first.
        UniqueConstraint("business_id", "call_id", name="uq_leads_business_call"),
        Index("ix_leads_business_status", "business_id", "status"),
        Index("ix_leads_business_follow_up", "business_id", "follow_up_due"),
    )

    @property
    def is_open(self) -> bool:
        return self.status in LeadStatus.OPEN

    @property
    def label(self) -> str:
        if self.contact is not None and self.contact.name:
            return self.contact.name
        return self.name or self.phone or self.email or "Unnamed lead"
