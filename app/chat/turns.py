"""One exchange in the widget: the visitor's message (or slot booking) goes
to the business's coordinator and the reply streams back.

The visitor's message is committed before 4calls is called, so a failure
never loses it: it stays `failed` and the widget offers to send that very
text again. The reply is stored once complete, with the coordinator's
actions, which also write the local appointment, contact and lead.
"""
from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Iterator

from flask import current_app, render_template

from app.chat import conversations as convos
from app.chat.records import appointment_from_remote, contact_for_lead, contact_from_remote, lead_from_remote
from app.contacts.services import ContactError, clean_contact_fields
from app.extensions import db
from app.fourcalls import FourCallsError, NotFound, RateLimited
from app.assistant.connection import organization_client
from app.models import Business
from app.models.chat import ChatConversation, ChatMessage, ChatWidget, MessageRole, MessageStatus
from app.models.integration import IntegrationStatus
from app.usage import record_usage

log = logging.getLogger(__name__)

class ChatInputError(ValueError):
    """Something the visitor sent that cannot be accepted; the message says what to change."""


@dataclass
class ChatTurn:
    """Ids, not objects: the reply streams after the view has returned, in a
    session of its own, so everything is loaded again there (`load`)."""

    business_id: uuid.UUID
    conversation_id: uuid.UUID
    visitor_message_id: uuid.UUID
    request: dict = field(default_factory=dict)  # message / action for 4calls' chat endpoint
    business: Business | None = None
    conversation: ChatConversation | None = None
    visitor_message: ChatMessage | None = None

    @classmethod
    def of(cls, business: Business, conversation: ChatConversation, message: ChatMessage, request: dict):
        return cls(business.id, conversation.id, message.id, request)

    def load(self) -> "ChatTurn":
        self.business = db.session.get(Business, self.business_id)
        self.conversation = db.session.get(ChatConversation, self.conversation_id)
        self.visitor_message = db.session.get(ChatMessage, self.visitor_message_id)
        return self


def chat_coordinator_id(business: Business) -> str | None:
    """The coordinator answering this business's chat, or None while no package is active."""
    integration = business.integration
    if integration is None or integration.status != IntegrationStatus.ACTIVE:
        return None
    if not (integration.coordinator_id and integration.api_key and integration.organization_id):
        return None
    return integration.coordinator_id


def max_message_length() -> int:
    return int(current_app.config["CHAT_MAX_MESSAGE_LENGTH"])


def accept_message(widget: ChatWidget, visitor_id: str, text: str | None) -> ChatTurn:
    text = (text or "").strip()
    if not text:
        raise ChatInputError("Type a message first.")
    limit = max_message_length()
    if len(text) > limit:
        raise ChatInputError(f"Messages can be at most {limit:,} characters; yours has {len(text):,}.")
    from app.validation import control_character_error

    if control_character_error(text):
        raise ChatInputError("Your message contains invisible control characters; please type it again.")
    conversation = convos.conversation_for(widget.business, visitor_id)
    message = convos.append_message(conversation, MessageRole.VISITOR, text, status=MessageStatus.PENDING)
    db.session.commit()
    return ChatTurn.of(widget.business, conversation, message, {"message": text})


def accept_booking(widget: ChatWidget, visitor_id: str, *, slot: str | None, name: str | None,
                   phone: str | None) -> ChatTurn:
    """Book a slot the coordinator offered in this conversation (and only such a slot)."""
    conversation = convos.find_conversation(widget.business, visitor_id)
    offered = offered_slots(conversation)
    chosen = offered.get(slot or "")
    if chosen is None:
        raise ChatInputError("That time is no longer on offer. Ask for available times again.")
    name = (name or conversation.visitor_name or "").strip()
    phone = (phone or conversation.visitor_phone or "").strip()
    if not name or not phone:
        raise ChatInputError("Give your name and phone number so the booking is under your name.")
    try:
        cleaned = clean_contact_fields({"name": name, "phone": phone})
    except ContactError as exc:
        raise ChatInputError(" ".join(exc.errors.values())) from None
    convos.remember_visitor(conversation, name=cleaned["name"], phone=cleaned["phone"])
    action = {"type": "book", "slot": chosen["starts_at"], "name": cleaned["name"], "phone": cleaned["phone"]}
    message = convos.append_message(
        conversation, MessageRole.VISITOR, f"Book {chosen['label']}", status=MessageStatus.PENDING,
        actions=[{**action, "label": chosen["label"]}],
    )
    db.session.commit()
    return ChatTurn.of(widget.business, conversation, message, {"action": action})


def retry_failed(widget: ChatWidget, visitor_id: str) -> ChatTurn:
    conversation = convos.find_conversation(widget.business, visitor_id)
    message = convos.last_failed_visitor_message(conversation)
    if message is None:
        raise ChatInputError("There is no unsent message to retry.")
    message.status, message.error = MessageStatus.PENDING, None
    db.session.commit()
    book = next((a for a in message.actions if a.get("type") == "book"), None)
    if book is not None:
        request = {"action": {k: v for k, v in book.items() if k != "label"}}
    else:
        request = {"message": message.text}
    return ChatTurn.of(widget.business, conversation, message, request)


def offered_slots(conversation: ChatConversation | None) -> dict[str, dict]:
    """starts_at -> slot, for every slot the coordinator offered in this conversation."""
    slots: dict[str, dict] = {}
    for message in convos.history(conversation):
        for action in message.actions or []:
            if message.role == MessageRole.ASSISTANT and action.get("type") == "offer_slots":
                for slot in action.get("slots") or []:
                    slots[slot["starts_at"]] = slot
    return slots


def stream_reply(turn: ChatTurn) -> Iterator[str]:
    """The reply as SSE for the widget: `token` events as words arrive, `card`
    events with rendered action cards, then `done` or `error`."""
    business = turn.load().business
    coordinator_id = chat_coordinator_id(business)
    if coordinator_id is None:
        yield from _fail(turn, "The assistant is not available right now. "
                               "Leave your details and the team will get back to you.", retry=False)
        return
    reply: list[str] = []
    actions: list[dict] = []
    session_id = unanswered = None
    try:
        for event in _chat_events(business, coordinator_id, turn):
            if event.event == "token":
                text = str((event.data or {}).get("text", ""))
                reply.append(text)
                yield sse("token", {"text": text})
            elif event.event == "action" and isinstance(event.data, dict):
                action = _apply_action(business, turn, event.data)
                # Kept even if the stream fails later: 4calls has already done it.
                db.session.commit()
                actions.append(action)
                yield sse("card", {"html": render_card(action, turn.conversation, business)})
            elif event.event == "done":
                session_id = (event.data or {}).get("session_id")
                unanswered = (event.data or {}).get("unanswered_question")  # -- analytics (issue 18)
            elif event.event == "error":
                data = event.data if isinstance(event.data, dict) else {}
                raise FourCallsError(str(data.get("message") or "the coordinator failed"),
                                     error_type=data.get("type"), details=data.get("details"))
    except FourCallsError as exc:
        db.session.rollback()
        log.warning("chat reply failed for business %s: %s", business.id, exc)
        yield from _fail(turn, _visitor_words(exc), retry=True)
        return
    except GeneratorExit:
        # The visitor closed the page mid-answer: offer the message again on their next visit.
        db.session.rollback()
        _mark_failed(turn, "The answer was interrupted.")
        raise
    except Exception:
        db.session.rollback()
        log.exception("chat reply broke for business %s", business.id)
        yield from _fail(turn, "Something went wrong on our side. Your message is saved: try again.", retry=True)
        return
    if session_id is None:
        db.session.rollback()
        yield from _fail(turn, "The answer was cut off. Please try again.", retry=True)
        return
    _finish(business, turn, "".join(reply).strip(), actions, session_id)
    if unanswered:  # -- analytics (issue 18): questions the assistant could not answer, from chats too
        from app.analytics.questions import record_chat_question

        record_chat_question(business, session_id, str(unanswered))
        db.session.commit()
    yield sse("done", {})


def _chat_events(business: Business, coordinator_id: str, turn: ChatTurn):
    client = organization_client(business)
    visitor = convos.visitor_details(turn.conversation) or None
    session_id = turn.conversation.remote_session_id
    try:
        yield from client.chat(coordinator_id, session_id=session_id, visitor=visitor, **turn.request)
    except NotFound:
        if not session_id:
            raise
        # 4calls forgot the session (expired or reset): start a new one rather than fail.
        turn.conversation.remote_session_id = None
        yield from client.chat(coordinator_id, visitor=visitor, **turn.request)


def _apply_action(business: Business, turn: ChatTurn, action: dict) -> dict:
    """Write what the coordinator did into local tables; returns the action as stored."""
    conversation = turn.conversation
    kind = action.get("type")
    stored = dict(action)
    if kind == "customer_recognised" and action.get("contact"):
        contact = contact_from_remote(business, action["contact"])
        convos.remember_visitor(conversation, name=action["contact"].get("name"), contact=contact)
    elif kind == "booking_created" and action.get("appointment"):
        remote = action["appointment"]
        if remote.get("contact_id"):
            contact = contact_for_lead(business, {
                "contact_id": remote["contact_id"], "name": remote.get("customer_name"),
                "phone": remote.get("customer_phone"), "email": remote.get("customer_email"),
            })
            convos.remember_visitor(conversation, contact=contact)
        appointment_from_remote(business, remote)
        book = next((a for a in turn.visitor_message.actions if a.get("type") == "book"), {})
        stored["label"] = book.get("label")
    elif kind == "lead_captured" and action.get("lead"):
        contact = contact_for_lead(business, action["lead"])
        lead_from_remote(business, action["lead"], contact, conversation)
        convos.remember_visitor(conversation, name=action["lead"].get("name"), phone=action["lead"].get("phone"),
                                email=action["lead"].get("email"), contact=contact)
    return stored


def _finish(business: Business, turn: ChatTurn, text: str, actions: list[dict], session_id: str) -> None:
    turn.visitor_message.status = MessageStatus.DELIVERED
    turn.conversation.remote_session_id = session_id
    convos.append_message(turn.conversation, MessageRole.ASSISTANT, text, actions=actions)
    record_usage(business, "chat_messages", 1)
    db.session.commit()


def _mark_failed(turn: ChatTurn, words: str) -> None:
    message = db.session.get(ChatMessage, turn.visitor_message_id)
    message.status, message.error = MessageStatus.FAILED, words
    db.session.commit()


def _fail(turn: ChatTurn, words: str, *, retry: bool) -> Iterator[str]:
    _mark_failed(turn, words)
    yield sse("error", {"message": words, "retry": retry})


def _visitor_words(error: FourCallsError) -> str:
    if isinstance(error, RateLimited):
        return "The assistant is very busy right now. Your message is saved: try again in a moment."
    return "The assistant couldn't answer just now. Your message is saved: try again."


def render_card(action: dict, conversation: ChatConversation | None, business) -> str:
    """A card in the widget; times are the business's, labelled with its zone."""
    return render_template("chat/widget/_card.html", action=action, conversation=conversation, business=business)


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
