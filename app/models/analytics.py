"""Analytics: per-business call rollups on local days and hours, the questions
callers asked that the assistant could not answer, AI customer insights from
4calls, report settings, saved reports and their share links.

The rollups are derived data: `app.analytics.rollups` keeps them current from
the call upserts and can rebuild them from the calls table at any time.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey


class CallDailyRollup(db.Model):
    """Calls of one local day per direction × status × outcome × coordinator ×
    campaign. Empty strings stand for "none" so the key has no NULLs."""

    __tablename__ = "call_daily_rollups"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True)
    local_day: Mapped[date] = mapped_column(Date, primary_key=True)
    direction: Mapped[str] = mapped_column(String(10), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20), primary_key=True)
    coordinator_remote_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_remote_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    talk_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # answered calls only
    bookings: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # calls that made an appointment
    leads: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class CallTopicRollup(db.Model):
    """Calls of one local day per 4calls topic (kept apart from the daily
    rollup so topics do not multiply its rows)."""

    __tablename__ = "call_topic_rollups"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True)
    local_day: Mapped[date] = mapped_column(Date, primary_key=True)
    topic: Mapped[str] = mapped_column(String(80), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class CallHourlyRollup(db.Model):
    """Calls per local day, local hour (wall clock in the business's zone) and
    direction, with the ISO weekday stored so the hour-of-week heatmap is one GROUP BY."""

    __tablename__ = "call_hourly_rollups"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True)
    local_day: Mapped[date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    direction: Mapped[str] = mapped_column(String(10), primary_key=True)
    weekday: Mapped[int] = mapped_column(SmallInteger, nullable=False)  # 1 = Monday .. 7 = Sunday
    calls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class CallRollupState(db.Model):
    """Which zone the rollups of a business were counted in; a changed zone
    means a rebuild. Its row is also the lock that serialises writers."""

    __tablename__ = "call_rollup_states"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    rebuilt_at: Mapped[datetime | None] = mapped_column(UTC)


class CallQuestion(UUIDPrimaryKey, db.Model):
    """A question a caller (or chat visitor) asked that the assistant could not
    answer: 4calls reports them per call as `unanswered_questions` and at the end
    of a chat reply. `call_remote_id` holds the chat session id for chats."""

    __tablename__ = "call_questions"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False)
    call_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    call_remote_id: Mapped[str] = mapped_column(String(64), nullable=False)
    source: Mapped[str] = mapped_column(String(10), nullable=False, default="call")
    asked_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    question: Mapped[str] = mapped_column(Text, nullable=False)
    # Lower-cased, punctuation-free: the same question asked twice is one row on the page.
    question_key: Mapped[str] = mapped_column(String(255), nullable=False)

    __table_args__ = (
        Index("ix_call_questions_business_asked", "business_id", "asked_at"),
        Index("ix_call_questions_business_call", "business_id", "call_remote_id"),
    )


class ContactInsight(UUIDPrimaryKey, Timestamps, db.Model):
    """4calls' AI profile of one contact, synced like the other data."""

    __tablename__ = "contact_insights"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    contact_remote_id: Mapped[str] = mapped_column(String(64), nullable=False)
    purposes: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    preferences: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    sentiment_trend: Mapped[str] = mapped_column(String(12), nullable=False, default="steady")
    sentiments: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    interactions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    visits: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    visits_value_cents: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTC)
    last_visit_at: Mapped[datetime | None] = mapped_column(UTC)
    next_best_action: Mapped[str | None] = mapped_column(Text)
    at_risk: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    risk_reason: Mapped[str | None] = mapped_column(Text)
    call_priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # 0: not on the list
    remote_updated_at: Mapped[datetime | None] = mapped_column(UTC)

    contact = relationship("Contact", lazy="joined")

    __table_args__ = (
        UniqueConstraint("business_id", "contact_remote_id", name="uq_contact_insights_business_contact"),
        Index("ix_contact_insights_business_risk", "business_id", "at_risk"),
        Index("ix_contact_insights_business_priority", "business_id", "call_priority"),
        Index("ix_contact_insights_contact", "contact_id"),
    )


class ReportSettings(db.Model):
    """The weekly email report of one business: on by default, extra recipients."""

    __tablename__ = "report_settings"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True)
    weekly_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    recipients: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    unsubscribed: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)  # addresses that opted out


class SavedReport(UUIDPrimaryKey, Timestamps, db.Model):
    """An Enterprise custom report: metrics, filters and range under a name,
    optionally delivered on a schedule to several recipients."""

    __tablename__ = "saved_reports"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    metrics: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    filters: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    range_preset: Mapped[str] = mapped_column(String(12), nullable=False, default="30d")
    schedule: Mapped[str] = mapped_column(String(10), nullable=False, default="none")  # none|daily|weekly|monthly
    recipients: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)

    share_links = relationship("ReportShareLink", cascade="all, delete-orphan", lazy="select",
                               order_by="ReportShareLink.created_at.desc()")

    __table_args__ = (UniqueConstraint("business_id", "name", name="uq_saved_reports_business_name"),)


class ReportShareLink(UUIDPrimaryKey, Timestamps, db.Model):
    """A read-only link to a saved report; only the token's hash is stored."""

    __tablename__ = "report_share_links"

    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("saved_reports.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTC, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTC)
