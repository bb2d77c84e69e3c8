"""Outbound campaigns: saved contact segments, consent records, campaigns,
their targets and one ledger row per dial attempt.

A campaign's counts are never stored: they are grouped from its targets, so
there is one truth. `CampaignDial` is the exactly-once ledger: one row per
(target, attempt), whose `dial_key` is sent to 4calls as both the
Idempotency-Key and the dial's own key, so a retried or re-sent request can
never become a second call.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey


class ContactSegment(UUIDPrimaryKey, Timestamps, db.Model):
    """Saved audience rules (app/contacts/segments.py evaluates them)."""

    __tablename__ = "contact_segments"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    rules: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)

    __table_args__ = (UniqueConstraint("business_id", "name", name="uq_contact_segments_business_name"),)


class ConsentType:
    MARKETING = "marketing"  # calls that sell or re-engage
    ALL = (MARKETING,)


class ConsentMethod:
    ALL = ("verbal", "written", "web_form", "import", "other")


class ContactConsent(UUIDPrimaryKey, Timestamps, db.Model):
    """A contact's consent to be contacted for a purpose: type, when and how it was captured."""

    __tablename__ = "contact_consents"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False)
    consent_type: Mapped[str] = mapped_column(String(20), nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    captured_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTC)

    __table_args__ = (Index("ix_contact_consents_contact_type", "contact_id", "consent_type"),)


class CampaignStatus:
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    LIVE = (SCHEDULED, RUNNING, PAUSED)
    FINAL = (COMPLETED, CANCELLED)


class Campaign(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "campaigns"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    purpose: Mapped[str] = mapped_column(String(30), nullable=False)
    opening: Mapped[str] = mapped_column(Text, nullable=False, default="")
    goal: Mapped[str] = mapped_column(Text, nullable=False, default="")
    coordinator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("fourcalls_coordinators.id"), nullable=False)
    segment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact_segments.id", ondelete="SET NULL"))
    audience_source: Mapped[str] = mapped_column(String(12), nullable=False, default="segment")  # segment|csv|follow_up
    # A CSV audience: exactly the contacts this upload created or matched (ImportedContact).
    contact_import_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact_imports.id", ondelete="SET NULL"))
    auto_enrol: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    starts_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    ends_at: Mapped[datetime | None] = mapped_column(UTC)
    days: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)  # 0 = Monday
    window_start: Mapped[str] = mapped_column(String(5), nullable=False, default="09:00")
    window_end: Mapped[str] = mapped_column(String(5), nullable=False, default="19:00")
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    retry_results: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    retry_delays_minutes: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    voicemail_action: Mapped[str] = mapped_column(String(12), nullable=False, default="hang_up")
    voicemail_message: Mapped[str | None] = mapped_column(Text)
    concurrency: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=CampaignStatus.DRAFT)
    paused_reason: Mapped[str | None] = mapped_column(String(20))  # owner | minutes
    follow_up_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    remote_id: Mapped[str | None] = mapped_column(String(64))  # the 4calls campaign the dials belong to
    launched_at: Mapped[datetime | None] = mapped_column(UTC)
    finished_at: Mapped[datetime | None] = mapped_column(UTC)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    business = relationship("Business", lazy="select")
    coordinator = relationship("Coordinator", lazy="joined")
    segment = relationship("ContactSegment", lazy="select")
    contact_import = relationship("ContactImport", lazy="select")

    __table_args__ = (
        Index("ix_campaigns_business_status", "business_id", "status"),
        Index("ix_campaigns_remote", "remote_id"),
    )


class TargetStatus:
    PENDING = "pending"
    SCHEDULED = "scheduled"  # a retry or the next window is due at next_attempt_at
    DIALLING = "dialling"
    ANSWERED = "answered"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    SKIPPED = "skipped"
    WAITING = (PENDING, SCHEDULED)
    RESULTS = (ANSWERED, VOICEMAIL, NO_ANSWER, BUSY, FAILED)
    FINAL = (ANSWERED, VOICEMAIL, NO_ANSWER, BUSY, FAILED, SKIPPED)
    ALL = (PENDING, SCHEDULED, DIALLING, ANSWERED, VOICEMAIL, NO_ANSWER, BUSY, FAILED, SKIPPED)


class SkipReason:
    OUTSIDE_WINDOW = "outside_window"  # the campaign ended before the contact's window came round
    DO_NOT_CALL = "do_not_call"
    OPTED_OUT = "opted_out"
    NO_CONSENT = "no_consent"
    NO_PHONE = "no_phone"
    LIMIT = "limit"  # the campaign was cancelled or its attempts ran out before a dial
    LABELS = {OUTSIDE_WINDOW: "outside window", DO_NOT_CALL: "do-not-call", OPTED_OUT: "opted out",
              NO_CONSENT: "no consent", NO_PHONE: "no phone", LIMIT: "limit"}


class CampaignTarget(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "campaign_targets"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(32), nullable=False)
    zone: Mapped[str] = mapped_column(String(64), nullable=False)  # the contact's zone at enrolment
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=TargetStatus.PENDING)
    skip_reason: Mapped[str | None] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTC)
    outcome: Mapped[str | None] = mapped_column(String(20))  # the last call's outcome (booked, lead, ...)
    talk_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    opted_out: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    call_remote_id: Mapped[str | None] = mapped_column(String(64))
    finished_at: Mapped[datetime | None] = mapped_column(UTC)

    contact = relationship("Contact", lazy="select")

    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id", name="uq_campaign_targets_contact"),
        Index("ix_campaign_targets_due", "campaign_id", "status", "next_attempt_at"),
        Index("ix_campaign_targets_position", "campaign_id", "position"),
        Index("ix_campaign_targets_contact", "contact_id"),
    )


class DialState:
    REQUESTED = "requested"  # recorded here; 4calls may or may not have it yet
    ACCEPTED = "accepted"  # 4calls acknowledged it
    COMPLETED = "completed"
    REJECTED = "rejected"  # 4calls refused it (invalid number, ...): never placed
    OPEN = (REQUESTED, ACCEPTED)


class CampaignDial(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "campaign_dials"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign_targets.id", ondelete="CASCADE"), nullable=False)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False)
    dial_key: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=DialState.REQUESTED)
    remote_id: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str | None] = mapped_column(String(12))
    outcome: Mapped[str | None] = mapped_column(String(20))
    duration_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    call_remote_id: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTC)
    completed_at: Mapped[datetime | None] = mapped_column(UTC)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("target_id", "attempt", name="uq_campaign_dials_target_attempt"),
        Index("ix_campaign_dials_open", "campaign_id", "state", "requested_at"),
    )


class ImportedContact(db.Model):
    """A contact a CSV import created or matched (by phone, then email). It
    fixes the audience of a campaign whose list was uploaded: later edits of
    tags or fields never change who that list is."""

    __tablename__ = "contact_import_contacts"

    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contact_imports.id", ondelete="CASCADE"),
                                                 primary_key=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, nullable=False)  # the first row naming the contact

    __table_args__ = (Index("ix_contact_import_contacts_contact", "contact_id"),)


class MessageFollowUp(UUIDPrimaryKey, Timestamps, db.Model):
    """A finished campaign's text (or email) to one contact it did not reach.
    Unique per campaign and contact, so a second click texts nobody twice."""

    __tablename__ = "campaign_message_follow_ups"

    SKIP_LABELS = {"opted_out": "asked not to be contacted on the call", "do_not_contact": "on the do-not-contact list",
                   "no_consent": "no marketing consent", "no_address": "no phone number (nor email, when offered)",
                   "allowance": "the message allowance was used up", "message": "the message could not be filled in"}

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str | None] = mapped_column(String(5))  # sms | email; None when skipped before choosing
    skip_reason: Mapped[str | None] = mapped_column(String(20))  # a SKIP_LABELS key; None when a message was queued
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contact_messages.id", ondelete="SET NULL"))
    sent_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    message = relationship("ContactMessage", lazy="joined")

    __table_args__ = (UniqueConstraint("campaign_id", "contact_id", name="uq_campaign_message_follow_ups_contact"),)
