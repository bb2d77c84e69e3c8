"""Makes calls happen: who calls, how it goes, and everything a real call leaves behind
(contact, appointment or lead, webhooks)."""
from __future__ import annotations

from datetime import timedelta

from .call_handling import Decision, decide, rules_for
from .contacts import touch_contact, upsert_contact
from .coordinators import active_coordinators
from .errors import ApiError, invalid
from .leads import capture_lead
from .people import random_name, random_phone
from .runtime import new_record, runtime
from .call_scripts import script_for, urgent_lines_for
from .scheduling import book_appointment, resolve_duration, upcoming_slots
from .timeutil import format_ts, now_utc, parse_ts
from .transcripts import CallStory, compose
from .webhooks import emit
from .call_insights import annotate as annotate_call, with_follow_up_question
from .knowledge_search import STRONG_SCORE, answer_question, entries_for

REPEAT_CALLER_SHARE = 0.3
STATUS_WEIGHTS = {
    "inbound": {"answered": 78, "missed": 12, "voicemail": 10},
    "outbound": {"answered": 60, "missed": 25, "voicemail": 15},
}
ANSWERED_OUTCOME_WEIGHTS = {
    "inbound": {"booked": 30, "question": 30, "lead": 20, "message": 15, "wrong_number": 5},
    "outbound": {"booked": 20, "lead": 25, "not_interested": 35, "question": 20},
}
SENTIMENT_WEIGHTS = {
    "booked": {"positive": 80, "neutral": 20},
    "question": {"positive": 40, "neutral": 55, "negative": 5},
    "lead": {"positive": 60, "neutral": 40},
    "message": {"neutral": 70, "negative": 20, "positive": 10},
    "wrong_number": {"neutral": 100},
    "no_answer": {"neutral": 100},
    "not_interested": {"neutral": 60, "negative": 40},
    "forwarded": {"neutral": 70, "negative": 30},
}
# The answering coordinator's role shapes how its answered calls go.
ROLE_OUTCOME_WEIGHTS = {
    "sales": {"lead": 45, "booked": 25, "question": 20, "message": 5, "wrong_number": 5},
    "support": {"question": 50, "message": 35, "booked": 10, "wrong_number": 5},
    "scheduler": {"booked": 65, "question": 20, "message": 10, "wrong_number": 5},
}
URGENT_CALLER_SHARE = 0.08
FORCED_OUTCOME = {"missed": "no_answer", "voicemail": "message"}
OVERRIDABLE = ("direction", "status", "outcome", "contact_id", "coordinator_id", "caller_name", "caller_number")


def _weighted(rng, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _status_and_outcome(direction: str, overrides: dict, rng, role: str | None = None) -> tuple[str, str]:
    status, outcome = overrides.get("status"), overrides.get("outcome")
    if status is None and outcome is not None:
        status = {"no_answer": "missed"}.get(outcome, "answered")
    if overrides.get("test"):
        status = status or "answered"  # a test call is always picked up
    status = status or _weighted(rng, STATUS_WEIGHTS[direction])
    if status in FORCED_OUTCOME:
        if outcome not in (None, FORCED_OUTCOME[status]):
            raise invalid({"outcome": f"a {status} call has outcome {FORCED_OUTCOME[status]}"})
        return status, FORCED_OUTCOME[status]
    if outcome == "no_answer":
        raise invalid({"outcome": "an answered call cannot have outcome no_answer"})
    weights = ANSWERED_OUTCOME_WEIGHTS[direction]
    if direction == "inbound":
        weights = ROLE_OUTCOME_WEIGHTS.get(role or "", weights)
    return status, outcome or _weighted(rng, weights)


def _random_contact(org_id: str, rng) -> dict | None:
    store = runtime().store
    where = "organization_id = ? AND deleted = 0 AND phone IS NOT NULL"
    count = store.scalar(f"SELECT COUNT(*) FROM contacts WHERE {where}", (org_id,))
    if not count:
        return None
    found = store.find("contacts", where, (org_id,), order="id", limit=1,
                       offset=rng.randrange(count))
    return found[0] if found else None


def _pick_coordinator(org: dict, overrides: dict, campaign: dict | None, rng) -> dict | None:
    wanted = overrides.get("coordinator_id") or (campaign or {}).get("coordinator_id")
    if wanted:
        coordinator = runtime().store.get("coordinators", wanted)
        if not coordinator or coordinator["organization_id"] != org["id"]:
            raise invalid({"coordinator_id": "no such coordinator in this organization"})
        return coordinator
    candidates = active_coordinators(org["id"])
    if not candidates:
        return None
    # Inbound calls go to the coordinator the rules name, else the first one.
    assigned = rules_for(org).get("inbound_coordinator_id")
    chosen = next((c for c in candidates if c["id"] == assigned), None)
    return chosen or min(candidates, key=lambda c: (c["created_at"], c["id"]))


def _apply_rules(org: dict, overrides: dict, status: str, outcome: str, moment, script, rng) -> tuple[str, str, Decision, str | None]:
    """Business-hours, after-hours and urgent-forwarding rules for an answered
    inbound call. Explicit outcome overrides (admin tools) skip the rules."""
    caller_says = overrides.get("caller_says")
    if caller_says is None and rng.random() < URGENT_CALLER_SHARE:
        caller_says = rng.choice(urgent_lines_for(script))
    if status != "answered" or overrides.get("outcome"):
        return status, outcome, Decision(), caller_says
    decision = decide(org, rules_for(org), caller_says or "", moment)
    if decision.status:
        return decision.status, decision.outcome, decision, caller_says
    if decision.outcome:
        return status, decision.outcome, decision, caller_says
    if overrides.get("test") and rules_for(org)["business_hours_action" if decision.open_now else "after_hours_action"] == "book":
        outcome = "booked"  # a test caller asking for the assistant's default handling gets it
    return status, outcome, decision, caller_says


def _knowledge_for(org: dict, coordinator: dict | None):
    """(question -> KnowledgeAnswer | None, the Q&A questions) when the coordinator has
    knowledge sources (issue 19); (None, ()) otherwise."""
    coordinator_id = (coordinator or {}).get("id")
    entries = entries_for(org["id"], coordinator_id)
    if not entries:
        return None, ()
    questions = tuple(sorted({chunk["question"] for _, chunk in entries if chunk.get("question")}))
    return (lambda question: answer_question(org["id"], coordinator_id, question)), questions


def generate_call(org: dict, overrides: dict | None = None, campaign: dict | None = None,
                  contact: dict | None = None) -> dict:
    """Simulate one finished call for the organization and record all its consequences."""
    rt = runtime()
    rng, store = rt.rng, rt.store
    overrides = overrides or {}
    direction = "outbound" if campaign else overrides.get("direction", "inbound")
    source = "campaign" if campaign else "call"
    with store.transaction():
        coordinator = _pick_coordinator(org, overrides, campaign, rng)
        if contact is None and overrides.get("contact_id"):
            contact = store.get("contacts", overrides["contact_id"])
            if not contact or contact["organization_id"] != org["id"] or contact["deleted"]:
                raise invalid({"contact_id": "no such contact in this organization"})
        # A caller named or numbered by the request is that caller, never a random earlier one: a call
        # from +1...21 filed under another contact would send its text-back's reply to that contact.
        named_caller = overrides.get("caller_number") or overrides.get("caller_name")
        if contact is None and direction == "inbound" and not named_caller and rng.random() < REPEAT_CALLER_SHARE:
            contact = _random_contact(org["id"], rng)
        caller_name = overrides.get("caller_name") or (contact or {}).get("name") or random_name(rng)
        caller_number = overrides.get("caller_number") or (contact or {}).get("phone") or random_phone(rng)
        status, outcome = _status_and_outcome(direction, overrides, rng, (coordinator or {}).get("role"))
        moment = overrides.get("at") or now_utc()
        script = script_for(org.get("category"))
        decision, caller_says = Decision(), None
        if direction == "inbound":
            status, outcome, decision, caller_says = _apply_rules(org, overrides, status, outcome, moment, script, rng)
        knowledge, knowledge_questions = _knowledge_for(org, coordinator)
        if (knowledge and caller_says and status == "answered" and not overrides.get("outcome")
                and not decision.forwarding and not decision.outcome):
            found = knowledge(caller_says)
            if found and found.score >= STRONG_SCORE:
                outcome = "question"  # the caller asked something the assistant was taught
        message_text = None
        if outcome == "message" and status != "voicemail" or (decision.forwarding and not decision.forwarding["answered"]):
            message_text = caller_says or rng.choice(script.messages)
        type_name, minutes = resolve_duration(org, None, None)
        slot = None
        if outcome == "booked":
            slots = upcoming_slots(org, minutes, count=12, type_name=type_name)
            if slots:
                slot = rng.choice(slots)
            else:
                outcome = "lead"  # nothing free: the caller asks to be called back instead
        story = CallStory(org=org, coordinator=coordinator, direction=direction, status=status,
                          outcome=outcome, caller_name=caller_name, caller_number=caller_number,
                          script=script, rng=rng,
                          slot_label=slot["label"] if slot else None, appointment_type=type_name,
                          campaign_script=(campaign or {}).get("script"), caller_says=caller_says,
                          forwarding=decision.forwarding, open_now=decision.open_now, message_text=message_text,
                          knowledge=knowledge, knowledge_questions=knowledge_questions)
        transcript, summary, duration = compose(story)
        spoken = {"direction": direction, "status": status, "outcome": outcome, "caller_number": caller_number,
                  "transcript": transcript, "duration_seconds": duration}
        with_follow_up_question(org, spoken)
        transcript, duration = spoken["transcript"], spoken["duration_seconds"]
        ended = now_utc()
        call = new_record("call", org["id"])
        message_taken = None
        if message_text is not None:
            message_taken = {"caller_name": caller_name, "caller_number": caller_number, "text": message_text,
                             "urgency": "urgent" if decision.urgent else "normal", "callback_requested": True}
        if contact is not None:
            touch_contact(org, contact["id"])
        else:
            contact, _ = upsert_contact(org, name=caller_name, phone=caller_number, source=source)
        appointment_id = lead_id = None
        if slot:
            try:
                appointment_id = book_appointment(
                    org, start=parse_ts(slot["starts_at"]), end=parse_ts(slot["ends_at"]),
                    appointment_type=type_name, customer={"name": caller_name, "phone": caller_number},
                    contact_id=contact["id"], source=source, call_id=call["id"],
                    coordinator_id=(coordinator or {}).get("id"), campaign_id=(campaign or {}).get("id"),
                )["id"]
            except ApiError:
                outcome = "lead"
        if outcome == "lead":
            lead_id = capture_lead(org, name=caller_name, phone=caller_number, message=summary,
                                   source=source, call_id=call["id"], contact=contact,
                                   coordinator_id=(coordinator or {}).get("id"))[0]["id"]
        call.update({
            "coordinator_id": (coordinator or {}).get("id"), "contact_id": contact["id"],
            "campaign_id": (campaign or {}).get("id"), "appointment_id": appointment_id,
            "lead_id": lead_id, "direction": direction, "caller_name": caller_name,
            "caller_number": caller_number, "started_at": format_ts(ended - timedelta(seconds=duration)),
            "ended_at": format_ts(ended), "duration_seconds": duration, "status": status,
            "outcome": outcome, "transcript": transcript, "summary": summary,
            "sentiment": _weighted(rng, SENTIMENT_WEIGHTS[outcome]),
            "forwarding": decision.forwarding, "message_taken": message_taken, "test": bool(overrides.get("test")),
        })
        call.update(annotate_call(call))
        call["updated_at"] = store.stamp()
        store.insert("calls", call)
        emit("call.completed", org, call)
    return call


class CallScheduler:
    """Decides when each active organization's next inbound call arrives (exponential gaps)."""

    def __init__(self):
        self._next_due: dict[str, float] = {}
        self._interval = 0.0

    def tick(self, now: float) -> None:
        rt = runtime()
        interval = rt.options.call_interval
        if interval != self._interval:
            self._next_due.clear()  # a new pace applies from now, not after the old gaps
            self._interval = interval
        if interval <= 0:
            return
        org_ids = [r[0] for r in rt.store.rows(
            "SELECT DISTINCT o.id FROM organizations o JOIN coordinators c ON c.organization_id = o.id"
            " WHERE o.status = 'active' AND c.status = 'active'")]
        for org_id in org_ids:
            due = self._next_due.get(org_id)
            if due is None:
                self._next_due[org_id] = now + rt.rng.expovariate(1 / interval)
            elif now >= due:
                org = rt.store.get("organizations", org_id)
                generate_call(org)
                self._next_due[org_id] = now + rt.rng.expovariate(1 / interval)
