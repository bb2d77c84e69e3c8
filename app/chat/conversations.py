"""Conversations and their messages, as stored on AlphaSite's side.

A visitor is a random id kept in a cookie on the widget's path. Requests
from the widget carry the same id signed (`visitor_token`), so a page on
another site cannot post into someone's conversation: it cannot read the
token, and the endpoints refuse requests without it.
"""
from __future__ import annotations

import re
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Business
from app.models.base import utcnow
from app.models.chat import ChatConversation, ChatMessage, ChatWidget, MessageRole, MessageStatus
from app.web import parse_uuid

_VISITOR_ID = re.compile(r"^v_[A-Za-z0-9_-]{20,40}$")
CONVERSATIONS_PER_PAGE = 25


def new_visitor_id() -> str:
    return "v_" + secrets.token_urlsafe(24)


def is_visitor_id(value: str | None) -> bool:
    return bool(value and _VISITOR_ID.match(value))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="chat-widget-visitor")


def visitor_token(widget: ChatWidget, visitor_id: str) -> str:
    return _serializer().dumps([widget.public_key, visitor_id])


def visitor_from_token(widget: ChatWidget, token: str | None) -> str | None:
    """The visitor id in a token issued for this widget; None when forged, absent or for another widget."""
    if not token:
        return None
    try:
        public_key, visitor_id = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if public_key != widget.public_key or not is_visitor_id(visitor_id):
        return None
    return visitor_id


def find_conversation(business: Business, visitor_id: str | None) -> ChatConversation | None:
    if not is_visitor_id(visitor_id):
        return None
    return db.session.scalar(
        select(ChatConversation).where(
            ChatConversation.business_id == business.id, ChatConversation.visitor_id == visitor_id
        )
    )


def conversation_for(business: Business, visitor_id: str) -> ChatConversation:
    """The visitor's conversation, started on their first message. Call it
    before any other change of the transaction (a lost race rolls back);
    the caller commits, so the first message costs one commit, not two."""
    conversation = find_conversation(business, visitor_id)
    if conversation is not None:
        return conversation
    conversation = ChatConversation(business_id=business.id, visitor_id=visitor_id)
    db.session.add(conversation)
    try:
        db.session.flush()
    except IntegrityError:
        # The same visitor's other tab created it a moment ago.
        db.session.rollback()
        conversation = find_conversation(business, visitor_id)
    return conversation


def append_message(conversation: ChatConversation, role: str, text: str, *, status: str = MessageStatus.DELIVERED,
                   actions: list | None = None) -> ChatMessage:
    """Add a message at the end (the caller commits)."""
    last = db.session.scalar(
        select(func.max(ChatMessage.position)).where(ChatMessage.conversation_id == conversation.id)
    )
    message = ChatMessage(
        conversation_id=conversation.id,
        position=(last or 0) + 1,
        role=role,
        text=text,
        status=status,
        actions=list(actions or []),
    )
    db.session.add(message)
    conversation.message_count = (conversation.message_count or 0) + 1
    conversation.last_message_at = utcnow()
    db.session.flush()
    return message


def history(conversation: ChatConversation | None) -> list[ChatMessage]:
    if conversation is None:
        return []
    return list(
        db.session.scalars(
            select(ChatMessage).where(ChatMessage.conversation_id == conversation.id).order_by(ChatMessage.position)
        )
    )


def last_failed_visitor_message(conversation: ChatConversation | None) -> ChatMessage | None:
    """The visitor's last message if 4calls failed on it (so a retry sends that very text)."""
    messages = history(conversation)
    if messages and messages[-1].role == MessageRole.VISITOR and messages[-1].status == MessageStatus.FAILED:
        return messages[-1]
    return None


def remember_visitor(conversation: ChatConversation, *, name=None, phone=None, email=None, contact=None) -> None:
    """Keep what the visitor told us about themselves (the caller commits)."""
    if name:
        conversation.visitor_name = name
    if phone:
        conversation.visitor_phone = phone
    if email:
        conversation.visitor_email = email
    if contact is not None:
        conversation.contact_id = contact.id


def visitor_details(conversation: ChatConversation | None) -> dict:
    """What 4calls is told about the visitor (ChatVisitor), only the fields we know."""
    if conversation is None:
        return {}
    details = {"name": conversation.visitor_name, "phone": conversation.visitor_phone,
               "email": conversation.visitor_email}
    return {key: value for key, value in details.items() if value}


# -- owner's side -------------------------------------------------------------


def list_conversations(business: Business, page: int = 1) -> tuple[list[ChatConversation], int]:
    """Newest activity first, only conversations with at least one message."""
    query = select(ChatConversation).where(
        ChatConversation.business_id == business.id, ChatConversation.message_count > 0
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(page, 1)
    rows = db.session.scalars(
        query.order_by(ChatConversation.last_message_at.desc(), ChatConversation.id)
        .limit(CONVERSATIONS_PER_PAGE)
        .offset((page - 1) * CONVERSATIONS_PER_PAGE)
    ).all()
    return list(rows), total


def last_messages(conversations: list[ChatConversation]) -> dict:
    """conversation id -> its last message, in one query for a page of the list."""
    ids = [c.id for c in conversations]
    if not ids:
        return {}
    last_position = (
        select(ChatMessage.conversation_id, func.max(ChatMessage.position).label("position"))
        .where(ChatMessage.conversation_id.in_(ids))
        .group_by(ChatMessage.conversation_id)
        .subquery()
    )
    rows = db.session.scalars(
        select(ChatMessage).join(
            last_position,
            (ChatMessage.conversation_id == last_position.c.conversation_id)
            & (ChatMessage.position == last_position.c.position),
        )
    )
    return {message.conversation_id: message for message in rows}


def owned_conversation_or_none(business: Business, conversation_id: str) -> ChatConversation | None:
    key = parse_uuid(conversation_id)
    if key is None:
        return None
    conversation = db.session.get(ChatConversation, key)
    if conversation is None or conversation.business_id != business.id:
        return None
    return conversation


def conversations_with_contact(business: Business, contact_id) -> list[ChatConversation]:
    return list(
        db.session.scalars(
            select(ChatConversation)
            .where(ChatConversation.business_id == business.id, ChatConversation.contact_id == contact_id)
            .order_by(ChatConversation.last_message_at.desc())
        )
    )
