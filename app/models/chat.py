"""The visitor chat widget: its branding, the conversations it carries and
their messages.

Visitors are anonymous: a conversation is found by the random visitor id
the widget keeps in a cookie, never by anything a visitor could guess.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTC, JSONType, Timestamps, UUIDPrimaryKey, utcnow


class WidgetPosition:
    RIGHT = "right"
    LEFT = "left"
    CHOICES = (RIGHT, LEFT)


class ChatWidget(UUIDPrimaryKey, Timestamps, db.Model):
    """One per business. `public_key` is the only identifier embedders see."""

    __tablename__ = "chat_widgets"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), unique=True, nullable=False)
    public_key: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    accent_color: Mapped[str] = mapped_column(String(7), nullable=False, default="#4f46e5")
    assistant_name: Mapped[str] = mapped_column(String(60), nullable=False, default="Assistant")
    greeting: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    position: Mapped[str] = mapped_column(String(8), nullable=False, default=WidgetPosition.RIGHT)
    # Origins ("https://example.com") allowed to frame the widget, besides AlphaSite itself.
    allowed_origins: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)

    business = relationship("Business", lazy="joined")


class MessageRole:
    VISITOR = "visitor"
    ASSISTANT = "assistant"


class MessageStatus:
    DELIVERED = "delivered"  # visitor message accepted by 4calls / assistant reply complete
    PENDING = "pending"  # stored, reply not finished yet
    FAILED = "failed"  # 4calls failed; the visitor can retry the very same text


class ChatConversation(UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "chat_conversations"

    business_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("businesses.id"), nullable=False)
    visitor_id: Mapped[str] = mapped_column(String(64), nullable=False)
    # The 4calls chat session continuing this conversation (None until the first reply).
    remote_session_id: Mapped[str | None] = mapped_column(String(100))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    visitor_name: Mapped[str | None] = mapped_column(String(200))
    visitor_phone: Mapped[str | None] = mapped_column(String(32))
    visitor_email: Mapped[str | None] = mapped_column(String(255))
    message_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_message_at: Mapped[datetime] = mapped_column(UTC, nullable=False, default=utcnow)

    contact = relationship("Contact", lazy="joined")
    messages = relationship(
        "ChatMessage", back_populates="conversation", order_by="ChatMessage.position", lazy="select",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        UniqueConstraint("business_id", "visitor_id", name="uq_chat_conversations_business_visitor"),
        Index("ix_chat_conversations_business_last", "business_id", "last_message_at"),
        Index("ix_chat_conversations_contact", "contact_id"),
    )

    @property
    def visitor_label(self) -> str:
        if self.contact is not None and self.contact.name:
            return self.contact.name
        return self.visitor_name or self.visitor_phone or self.visitor_email or "Anonymous visitor"


class ChatMessage(UUIDPrimaryKey, db.Model):
    __tablename__ = "chat_messages"

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE"), nullable=False
    )
    # Order within the conversation; timestamps can tie.
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Coordinator actions (offer_slots, booking_created, ...) as 4calls sent them.
    actions: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=MessageStatus.DELIVERED)
    error: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTC, nullable=False, default=utcnow)

    conversation = relationship("ChatConversation", back_populates="messages")

    __table_args__ = (
        UniqueConstraint("conversation_id", "position", name="uq_chat_messages_conversation_position"),
    )
