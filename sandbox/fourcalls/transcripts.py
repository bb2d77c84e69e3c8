"""Conversation text for generated calls: turns, timing and an AI-style summary."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

from .business_text import describe_hours, with_article
from .call_scripts import OUTBOUND_REPLIES, WRONG_NUMBER_LINES, CategoryScript
from .people import first_name, spoken_phone


@dataclass
class CallStory:
    org: dict
    coordinator: dict | None
    direction: str
    status: str
    outcome: str
    caller_name: str | None
    caller_number: str
    script: CategoryScript
    rng: random.Random
    slot_label: str | None = None
    appointment_type: str | None = None
    campaign_script: str | None = None
    caller_says: str | None = None  # the caller's opening words (test calls, urgent callers)
    forwarding: dict | None = None  # set when the rules forwarded the call
    open_now: bool = True
    message_text: str | None = None  # the message taken, when one is
    # Answers a question from the organization's knowledge sources (issue 19), or None.
    knowledge: Callable[[str], Any] | None = None
    knowledge_questions: tuple[str, ...] = ()  # the Q&A pairs' questions, which callers ask too


def _assistant_name(story: CallStory) -> str:
    return (story.coordinator or {}).get("name") or "the virtual receptionist"


def _greeting(story: CallStory) -> str:
    custom = (story.coordinator or {}).get("greeting")
    if custom:
        return custom
    return f"Thanks for calling {story.org['name']}, this is {_assistant_name(story)}. How can I help you today?"


def _question(story: CallStory) -> tuple[str, str, bool]:
    """(what the caller asked, the answer, whether the answer came from the knowledge sources)."""
    if story.knowledge is not None:
        asked = story.caller_says
        if not asked and story.knowledge_questions and story.rng.random() < 0.5:
            asked = story.rng.choice(story.knowledge_questions)
        found = story.knowledge(asked) if asked else None
        if found is not None:
            return asked, found.text, True
    faq = (story.org.get("profile") or {}).get("faq") or []
    if faq and story.rng.random() < 0.6:
        entry = story.rng.choice(faq)
        return entry["question"], entry["answer"], False
    question, answer = story.rng.choice(story.script.questions)
    if story.knowledge is not None:
        found = story.knowledge(question)
        if found is not None:
            return question, found.text, True
    return question, answer, False


def _booking_turns(story: CallStory, request: str) -> list[tuple[str, str]]:
    noun = story.appointment_type or story.script.appointment_noun
    name = story.caller_name or "Alex"
    return [
        ("caller", request),
        ("assistant", f"I'd be happy to help. The next opening for {with_article(noun.lower())} is {story.slot_label}. Would that work?"),
        ("caller", "Yes, that works for me."),
        ("assistant", "Great. Can I have your name and the best number to reach you?"),
        ("caller", f"Sure, it's {name}, {spoken_phone(story.caller_number)}."),
        ("assistant", f"You're all set for {story.slot_label}, {first_name(name)}. "
                      "You'll get a text reminder the day before. Anything else I can help with?"),
        ("caller", "No, that's everything. Thank you!"),
    ]


def _inbound_turns(story: CallStory) -> tuple[list[tuple[str, str]], str]:
    who = story.caller_name or spoken_phone(story.caller_number)
    rng, script = story.rng, story.script
    if story.status == "missed":
        return [], f"Missed call from {who}; the caller hung up before the assistant answered."
    if story.status == "voicemail":
        note = rng.choice(script.messages)
        return ([("assistant", f"You've reached {story.org['name']}. We can't take your call right now, "
                               "please leave a message after the tone."),
                 ("caller", f"Hi, this is {who}. {note} You can reach me at {spoken_phone(story.caller_number)}.")],
                f"Voicemail from {who}: {note}")
    turns = [("assistant", _greeting(story))]
    if story.forwarding:
        return _forwarded_turns(story, turns, who)
    if story.outcome == "booked":
        request = story.caller_says or rng.choice(script.booking_requests)
        turns += _booking_turns(story, request)
        summary = f"{who} called to book {with_article((story.appointment_type or script.appointment_noun).lower())}; booked for {story.slot_label}."
    elif story.outcome == "lead":
        request = story.caller_says or rng.choice(script.lead_requests)
        turns += [("caller", request),
                  ("assistant", "I'd be glad to have someone follow up. May I have your name and number?"),
                  ("caller", f"It's {who}, {spoken_phone(story.caller_number)}."),
                  ("assistant", f"Thank you, {first_name(story.caller_name)}. I've passed this along and someone will call you back shortly.")]
        summary = f"{who} asked for a follow-up: {request} Lead captured for a callback."
    elif story.outcome == "message":
        note = story.message_text or rng.choice(script.messages)
        if story.open_now:
            turns += [("caller", "Could I leave a message for the team?"),
                      ("assistant", "Of course, go ahead and I'll make sure they get it.")]
        else:
            turns += [("caller", "Hi, is anyone there?"),
                      ("assistant", f"{story.org['name']} is closed right now, but I can take a message "
                                    "and make sure the team gets it first thing.")]
        turns += [("caller", note),
                  ("assistant", "Got it. I've sent that to the team and they'll call you back.")]
        summary = f"{who} left a message{'' if story.open_now else ' after hours'}: {note}"
    elif story.outcome == "wrong_number":
        turns += [("caller", rng.choice(WRONG_NUMBER_LINES)),
                  ("assistant", f"No problem, this is {story.org['name']}. Have a good day!")]
        summary = f"Wrong number: {who} was trying to reach someone else."
    else:
        question, answer, from_knowledge = _question(story)
        turns += [("caller", question), ("assistant", answer),
                  ("caller", "Good to know. And what are your hours?"),
                  ("assistant", f"We're open {describe_hours(story.org)}")]
        if from_knowledge:
            summary = (f"{who} asked \"{question}\", answered from the knowledge base, "
                       "and about opening hours, answered from the business profile.")
        else:
            summary = f"{who} asked \"{question}\" and about opening hours; both answered from the business profile."
    if turns[-1][0] == "assistant":
        turns.append(("caller", "Thanks, bye."))
    turns.append(("assistant", f"Thanks for calling {story.org['name']}. Have a great day!"))
    return turns, summary


def _forwarded_turns(story: CallStory, turns: list, who: str) -> tuple[list[tuple[str, str]], str]:
    forwarding = story.forwarding
    said = story.caller_says or "I need to speak to someone right away, please."
    turns += [("caller", said)]
    if forwarding["matched_words"]:
        turns += [("assistant", "I understand, that sounds urgent. I'm putting you through to the team right now, please hold.")]
    else:
        turns += [("assistant", "Let me put you through to the team right now, please hold.")]
    if forwarding["answered"]:
        summary = f"{who} said \"{said}\". Forwarded to {forwarding['to']}. {forwarding['reason']}."
        return turns, summary
    turns += [("assistant", "I'm sorry, nobody could pick up just now. I've taken your details and marked this "
                            "urgent; the team will call you back as soon as possible."),
              ("caller", f"Please do, my number is {spoken_phone(story.caller_number)}.")]
    summary = (f"{who} said \"{said}\". Forwarding to {forwarding['to']} was not answered "
               f"({forwarding['reason']}); an urgent message was taken.")
    return turns, summary


def _outbound_turns(story: CallStory) -> tuple[list[tuple[str, str]], str]:
    name = story.caller_name or "there"
    who = story.caller_name or spoken_phone(story.caller_number)
    pitch = story.campaign_script or f"We're reaching out to our customers about our {story.script.appointment_noun}s this month."
    intro = f"Hi {first_name(name)}, this is {_assistant_name(story)} calling from {story.org['name']}."
    if story.status == "missed":
        return [], f"Outbound call to {who} was not answered."
    if story.status == "voicemail":
        return ([("assistant", f"{intro} {pitch} Please call us back at "
                               f"{spoken_phone(story.org.get('phone') or '+15125550100')}.")],
                f"Left a voicemail for {who}.")
    turns = [("assistant", intro), ("caller", "Hi, yes, speaking."), ("assistant", pitch),
             ("caller", OUTBOUND_REPLIES.get(story.outcome, OUTBOUND_REPLIES["question"]))]
    if story.outcome == "booked":
        turns += [("assistant", f"Wonderful. I have {story.slot_label} available. Shall I book that?"),
                  ("caller", "Yes please."),
                  ("assistant", f"Done, you're booked for {story.slot_label}. Thanks, {first_name(name)}!")]
        summary = f"Campaign call: {who} agreed to book; booked for {story.slot_label}."
    elif story.outcome == "lead":
        turns += [("assistant", "Of course. I'll have someone from the team follow up with details today.")]
        summary = f"Campaign call: {who} is interested and asked for details. Lead captured."
    elif story.outcome == "not_interested":
        turns += [("assistant", "No problem at all, thanks for your time. Have a great day.")]
        summary = f"Campaign call: {who} was not interested."
    else:
        turns += [("assistant", f"We're open {describe_hours(story.org)}")]
        summary = f"Campaign call: {who} asked about opening hours."
    return turns, summary


def compose(story: CallStory) -> tuple[list[dict], str, int]:
    """(transcript, summary, duration_seconds) for a call."""
    build = _inbound_turns if story.direction == "inbound" else _outbound_turns
    turns, summary = build(story)
    transcript, clock = [], story.rng.randint(1, 3)
    for speaker, text in turns:
        transcript.append({"speaker": speaker, "text": text, "at_second": clock})
        clock += max(2, int(len(text.split()) * 0.42)) + story.rng.randint(1, 3)
    duration = clock if turns else story.rng.randint(4, 28)
    return transcript, summary, duration
