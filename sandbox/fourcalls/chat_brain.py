"""What the coordinator answers in chat, built from the organization's profile.

Recognises: hours questions, FAQ matches, services questions, booking requests
(offers free slots), "book <ISO start>" / "book 2" / a structured book action
(books it), phone numbers of known contacts (recognition) and callback requests
or contact details (lead capture). Multi-step flows (asking for a name before
booking, for a number before a callback) are remembered in the session.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from .business_text import describe_hours, describe_services, with_article
from .contacts import contact_by_phone, touch_contact
from .knowledge_search import STRONG_SCORE, answer_question
from .errors import ApiError
from .leads import capture_lead
from .people import first_name
from .scheduling import book_appointment, org_zone, resolve_duration, upcoming_slots
from .timeutil import local_label, parse_ts

_PHONE = re.compile(r"(?<![\d+])(\+?1[\s.-]?)?\(?(\d{3})\)?[\s.-]?(\d{3})[\s.-]?(\d{4})(?!\d)|(\+[1-9]\d{7,14})")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NAME = re.compile(r"(?i:\bmy name is|\bi am|\bi'm|\bthis is|\bit's)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
_PICK = re.compile(r"\bbook\s+(?:slot\s+|option\s+|number\s+|#)?(\d{1,2})\b")
_WORD = re.compile(r"[a-z']+")

BOOK_WORDS = ("book", "appointment", "schedule", "reserve", "reservation", "availability", "available",
              "opening", "slot", "come in", "table for")
HOURS_WORDS = ("hour", "open", "close", "closing", "when are you")
LEAD_WORDS = ("call me", "call back", "callback", "reach me", "contact me", "get back to me", "reach out",
              "quote", "text me", "email me", "follow up")
SERVICE_WORDS = ("service", "offer", "price", "cost", "menu", "do you do", "provide")
STOPWORDS = {"a", "an", "the", "do", "does", "you", "your", "i", "is", "are", "to", "of", "for", "in", "on",
             "can", "what", "how", "my", "we", "it", "and", "or", "with", "any", "have", "there", "me"}
SLOTS_OFFERED = 5


class ChatActionFailed(Exception):
    """A request the conversation cannot carry out; sent as an SSE error event."""

    def __init__(self, error: ApiError):
        super().__init__(error.message)
        self.error = error


@dataclass
class Reply:
    lines: list[str] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    # A visitor question nothing in the profile answered (reported in the stream's `done` event).
    unanswered_question: str | None = None
    # The knowledge sources the reply came from (issue 19; reported in `done`).
    knowledge_source_ids: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def normalise_phone(text: str) -> str | None:
    match = _PHONE.search(text)
    if not match:
        return None
    if match.group(5):
        return match.group(5)
    return f"+1{match.group(2)}{match.group(3)}{match.group(4)}"


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 2}


def _best_faq(org: dict, text: str) -> tuple[float, dict | None]:
    asked = _content_words(text)
    best, best_score = None, 0.0
    for entry in (org.get("profile") or {}).get("faq") or []:
        wanted = _content_words(entry["question"])
        if wanted:
            score = len(wanted & asked) / len(wanted)
            if score > best_score:
                best, best_score = entry, score
    return best_score, best


class Conversation:
    def __init__(self, org: dict, coordinator: dict, session: dict):
        self.org, self.coordinator, self.session = org, coordinator, session
        self.state = session.setdefault("_state", {})
        self.reply = Reply()

    def _visitor(self) -> dict:
        return self.session["visitor"]

    def _absorb_details(self, message: str, visitor: dict | None, action: dict | None) -> None:
        known = self._visitor()
        known.update({k: v for k, v in (visitor or {}).items() if v})
        for key in ("name", "phone", "email"):
            if action and action.get(key):
                known[key] = action[key]
        phone, email, name = normalise_phone(message), _EMAIL.search(message), _NAME.search(message)
        if phone:
            known["phone"] = phone
        if email:
            known["email"] = email.group(0)
        if name:
            known["name"] = name.group(1)

    def _recognise(self) -> None:
        phone = self._visitor().get("phone")
        if not phone or self.session.get("contact_id"):
            return
        contact = contact_by_phone(self.org["id"], phone)
        if contact:
            self.session["contact_id"] = contact["id"]
            touch_contact(self.org, contact["id"])
            if contact.get("name"):
                self._visitor().setdefault("name", contact["name"])
            self.reply.actions.append({"type": "customer_recognised", "contact": contact})
            self.reply.lines.append(f"Welcome back, {first_name(contact.get('name'))}!")

    def _offer_slots(self, lead_in: str | None = None) -> None:
        type_name, minutes = resolve_duration(self.org, None, None)
        slots = upcoming_slots(self.org, minutes, SLOTS_OFFERED, type_name=type_name)
        if not slots:
            self.reply.lines.append("I'm sorry, there are no openings in the next two weeks. "
                                    "Would you like someone to call you back?")
            return
        self.state["offered"] = [s["starts_at"] for s in slots]
        listed = "; ".join(f"{n}) {s['label']}" for n, s in enumerate(slots, 1))
        noun = (type_name or "appointment").lower()
        self.reply.lines.append(lead_in or f"Here are the next available times for {with_article(noun)}:")
        self.reply.lines.append(f"{listed}. Reply \"book 1\" (or \"book\" with a time) to pick one.")
        self.reply.actions.append({"type": "offer_slots", "slots": slots})

    def _book(self, slot_text: str, appointment_type: str | None) -> None:
        zone = org_zone(self.org)
        try:
            start = parse_ts(slot_text, zone)
        except ValueError:
            raise ChatActionFailed(ApiError("validation_error", "The slot is not an ISO 8601 date-time.",
                                            {"fields": {"action.slot": "must be an ISO 8601 date-time"}}))
        visitor = self._visitor()
        if not any(visitor.get(k) for k in ("name", "phone", "email")) and not self.session.get("contact_id"):
            self.state.update(pending="book", pending_slot=slot_text)
            self.reply.lines.append(f"I can book {local_label(start, zone)} for you. "
                                    "What name and phone number should I put it under?")
            return
        type_name, minutes = resolve_duration(self.org, appointment_type, None)
        try:
            appointment = book_appointment(
                self.org, start=start, end=start + timedelta(minutes=minutes), appointment_type=type_name,
                customer=dict(visitor), contact_id=self.session.get("contact_id"), source="chat",
                coordinator_id=self.coordinator["id"])
        except ApiError as refusal:
            reason = "was just taken" if refusal.status == 409 else "isn't available"
            self._offer_slots(f"Sorry, {local_label(start, zone)} {reason}. Here are the next openings:")
            return
        self.state.pop("pending", None)
        self.session["contact_id"] = appointment["contact_id"] or self.session.get("contact_id")
        name = first_name(appointment["customer_name"])
        self.reply.lines.append(f"You're booked for {local_label(start, zone)}, {name}! "
                                "We'll send a reminder before your visit.")
        self.reply.actions.append({"type": "booking_created", "appointment": appointment})

    def _capture_lead(self, message: str) -> None:
        visitor = self._visitor()
        if not visitor.get("phone") and not visitor.get("email"):
            self.state.update(pending="lead", pending_message=message)
            self.reply.lines.append("Happy to have someone get back to you. "
                                    "What's the best phone number or email to reach you?")
            return
        lead, contact, _ = capture_lead(
            self.org, name=visitor.get("name"), phone=visitor.get("phone"), email=visitor.get("email"),
            message=self.state.pop("pending_message", None) or message, source="chat",
            coordinator_id=self.coordinator["id"])
        self.state.pop("pending", None)
        self.session["contact_id"] = contact["id"]
        reach = visitor.get("phone") or visitor.get("email")
        thanks = f"Thanks, {first_name(visitor['name'])}!" if visitor.get("name") else "Thanks!"
        self.reply.lines.append(f"{thanks} I've passed your details to the {self.org['name']} team "
                                f"and someone will reach you at {reach} shortly.")
        self.reply.actions.append({"type": "lead_captured", "lead": lead})

    def respond(self, message: str, visitor: dict | None = None, action: dict | None = None) -> Reply:
        text = message.lower()
        had_contact_details = bool(normalise_phone(message) or _EMAIL.search(message))
        self._absorb_details(message, visitor, action)
        self._recognise()
        picked = _PICK.search(text)
        iso = _ISO.search(message) if "book" in text else None
        pending = self.state.get("pending")
        faq_score, faq = _best_faq(self.org, message)
        known = answer_question(self.org["id"], self.coordinator["id"], message) if message.strip() else None
        if action:
            self._book(action["slot"], action.get("appointment_type"))
        elif iso:
            self._book(iso.group(0), None)
        elif picked and self.state.get("offered") and 1 <= int(picked.group(1)) <= len(self.state["offered"]):
            self._book(self.state["offered"][int(picked.group(1)) - 1], None)
        elif pending == "book" and any(self._visitor().get(k) for k in ("name", "phone", "email")):
            self._book(self.state["pending_slot"], None)
        elif any(w in text for w in LEAD_WORDS) or (pending == "lead" and had_contact_details):
            self._capture_lead(message)
        elif faq and faq_score >= 0.6:
            self.reply.lines.append(faq["answer"])
        elif known and known.score >= STRONG_SCORE:
            self._answer_from_knowledge(known)
        elif any(w in text for w in HOURS_WORDS):
            self.reply.lines.append(f"We're open {describe_hours(self.org)}")
        elif any(w in text for w in BOOK_WORDS):
            self._offer_slots()
        elif had_contact_details and not self.session.get("contact_id"):
            self._capture_lead(message)
        elif faq and faq_score >= 0.34:
            self.reply.lines.append(faq["answer"])
        elif known:
            self._answer_from_knowledge(known)
        elif any(w in text for w in SERVICE_WORDS):
            self.reply.lines.append(f"{self.org['name']} offers {describe_services(self.org)}. "
                                    "Would you like to book a time?")
        elif not self.reply.lines:
            self._fallback()
            if message.strip().endswith("?"):
                self.reply.unanswered_question = message.strip()[:500]
        else:
            self.reply.lines.append("How can I help you today?")
        return self.reply

    def _answer_from_knowledge(self, known) -> None:
        self.reply.lines.append(known.text)
        self.reply.knowledge_source_ids = [c["knowledge_source_id"] for c in known.citations()]

    def _fallback(self) -> None:
        greeting = self.coordinator.get("greeting") or f"Hi! I'm {self.coordinator['name']} from {self.org['name']}."
        description = (self.org.get("profile") or {}).get("description")
        self.reply.lines.append(greeting)
        if description:
            self.reply.lines.append(description)
        self.reply.lines.append("I can tell you our hours and services, or book an appointment for you.")
