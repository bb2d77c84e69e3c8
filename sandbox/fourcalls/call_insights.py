"""What 4calls' analysis adds to each call: a `topic` (the reason for the call,
clustered from the summary and outcome) and `unanswered_questions` (caller
questions the assistant said it could not answer). Deterministic from the
transcript, so the same call always gets the same topic.

Also the questions no business profile answers, which some callers ask: which
one (if any) depends on a hash of the organization and caller, never on the
sandbox's shared random generator, so seeded runs stay as they were.
"""
from __future__ import annotations

import re
import zlib

UNANSWERED_REPLY = "I'm sorry, I don't have that information. I've noted your question for the team."

# Questions outside any generated profile: a business answers them by adding them to its FAQ.
UNANSWERABLE_QUESTIONS = (
    "Do you sell gift cards?",
    "Is the building wheelchair accessible?",
    "Do you have a loyalty program?",
    "Can I pay with Apple Pay?",
)

# (topic, words in the summary or question) checked in order; the outcome decides first.
_OUTCOME_TOPICS = {
    "booked": "Bookings",
    "lead": "Quotes and follow-ups",
    "message": "Messages for the team",
    "wrong_number": "Wrong numbers",
    "not_interested": "Not interested",
}
_QUESTION_TOPICS = (
    ("Prices", ("price", "cost", "how much", "quote", "$")),
    ("Opening hours", ("hours", "open", "close")),
    ("Location and parking", ("parking", "where", "address", "located", "directions")),
    ("Payments and gift cards", ("gift card", "pay with", "apple pay", "card", "loyalty")),
    ("Accessibility", ("wheelchair", "accessible", "accessibility")),
)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).strip()


def unanswerable_question(org: dict, caller_number: str | None) -> str | None:
    """One caller in three asks something the profile may not cover."""
    digest = zlib.crc32(f"{org.get('id')}|{caller_number}".encode())
    if digest % 3:
        return None
    return UNANSWERABLE_QUESTIONS[(digest // 3) % len(UNANSWERABLE_QUESTIONS)]


def faq_answer(org: dict, question: str) -> str | None:
    for entry in (org.get("profile") or {}).get("faq") or []:
        if _key(entry.get("question")) == _key(question):
            return entry.get("answer")
    return None


def with_follow_up_question(org: dict, call: dict) -> None:
    """Add the caller's follow-up question (answered from the FAQ when the
    business added it) to an answered inbound question call, before the goodbye.
    Timings are fixed steps, so the shared random sequence is untouched."""
    if call.get("direction") != "inbound" or call.get("status") != "answered" or call.get("outcome") != "question":
        return
    question = unanswerable_question(org, call.get("caller_number"))
    transcript = list(call.get("transcript") or [])
    if question is None or len(transcript) < 3:
        return
    at = transcript[-3]["at_second"] + 4
    extra = [{"speaker": "caller", "text": f"One more thing. {question}", "at_second": at},
             {"speaker": "assistant", "text": faq_answer(org, question) or UNANSWERED_REPLY, "at_second": at + 5}]
    shifted = [dict(turn, at_second=turn["at_second"] + 10) for turn in transcript[-2:]]
    call["transcript"] = transcript[:-2] + extra + shifted
    call["duration_seconds"] = int(call.get("duration_seconds") or 0) + 10


def unanswered_questions(transcript: list) -> list[str]:
    """Caller questions followed by the assistant's "don't have that information"."""
    found = []
    for previous, turn in zip(transcript, transcript[1:]):
        if (previous.get("speaker") == "caller" and turn.get("speaker") == "assistant"
                and "don't have that information" in (turn.get("text") or "")):
            sentences = re.split(r"(?<=[.!?])\s+", (previous.get("text") or "").strip())
            found.extend([s for s in sentences if s.endswith("?")] or [previous.get("text") or ""])
    return found


def topic_for(outcome: str | None, status: str | None, summary: str | None, transcript: list) -> str:
    if status == "missed":
        return "Missed calls"
    if status == "voicemail":
        return "Voicemails"
    if outcome in _OUTCOME_TOPICS:
        return _OUTCOME_TOPICS[outcome]
    first_question = next((t.get("text") or "" for t in transcript if t.get("speaker") == "caller"), "")
    text = f"{summary or ''} {first_question}".lower()
    for topic, words in _QUESTION_TOPICS:
        if any(word in text for word in words):
            return topic
    return "Questions about services"


def annotate(call: dict) -> dict:
    """`topic` and `unanswered_questions` for a call document."""
    transcript = call.get("transcript") or []
    return {"topic": topic_for(call.get("outcome"), call.get("status"), call.get("summary"), transcript),
            "unanswered_questions": unanswered_questions(transcript)}
