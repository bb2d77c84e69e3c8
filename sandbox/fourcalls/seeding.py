"""Bulk history for an organization (benchmarks, demos): realistic rows, no webhooks.

Rows are written with executemany in one transaction. Their created_at and
started_at lie in the past, but updated_at is "now", so an app syncing with
updated_since still picks every seeded row up.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from .call_generator import ANSWERED_OUTCOME_WEIGHTS, SENTIMENT_WEIGHTS, STATUS_WEIGHTS, FORCED_OUTCOME
from .call_scripts import script_for
from .errors import invalid
from .people import first_name, random_name, random_phone
from .runtime import new_id, runtime
from .scheduling import free_slots, org_zone, resolve_duration
from .timeutil import format_ts, now_utc
from .transcripts import CallStory, compose
from .call_insights import annotate as annotate_call, with_follow_up_question

MAX_ROWS = {"calls": 1_000_000, "contacts": 200_000, "appointments": 20_000}
TAGS = ("vip", "returning", "newsletter", "referral", "new")
# Distinct conversations generated per seeding run; rows reuse them to stay fast.
CONVERSATION_POOL = 400


def _cumulative_choice(rng: random.Random, weights: dict[str, int], count: int) -> list[str]:
    return rng.choices(list(weights), weights=list(weights.values()), k=count)


def _past_moment(rng: random.Random, now: datetime, days: int) -> datetime:
    return now - timedelta(seconds=rng.uniform(0, days * 86400))


def seed_contacts(org: dict, count: int, days: int, rng: random.Random) -> list[dict]:
    store = runtime().store
    taken = {r[0] for r in store.rows("SELECT phone FROM contacts WHERE organization_id = ? AND phone IS NOT NULL",
                                      (org["id"],))}
    now, docs = now_utc(), []
    stamps = store.stamps(count)
    for stamp in stamps:
        phone = random_phone(rng)
        while phone in taken:
            phone = random_phone(rng)
        taken.add(phone)
        name = random_name(rng)
        contact = {"id": new_id("con"), "organization_id": org["id"], "name": name, "phone": phone,
                   "email": f"{name.lower().replace(' ', '.')}{rng.randint(1, 999)}@example.com",
                   "tags": rng.sample(TAGS, rng.randint(0, 2)), "custom_fields": {}, "notes": None,
                   "source": "import", "last_interaction_at": None, "deleted": False, "deleted_at": None,
                   "created_at": format_ts(_past_moment(rng, now, days)), "updated_at": stamp}
        docs.append(contact)
    store.insert_many("contacts", docs)
    return docs


def _conversation_pool(org: dict, rng: random.Random, contacts: list[dict]) -> list[dict]:
    """A few hundred complete inbound calls (most from known contacts) to draw seeded rows from."""
    script, (type_name, _) = script_for(org.get("category")), resolve_duration(org, None, None)
    statuses = _cumulative_choice(rng, STATUS_WEIGHTS["inbound"], CONVERSATION_POOL)
    pool = []
    for status in statuses:
        outcome = FORCED_OUTCOME.get(status) or _cumulative_choice(rng, ANSWERED_OUTCOME_WEIGHTS["inbound"], 1)[0]
        contact = rng.choice(contacts) if contacts and rng.random() < 0.7 else None
        name = (contact or {}).get("name") or random_name(rng)
        phone = (contact or {}).get("phone") or random_phone(rng)
        story = CallStory(org=org, coordinator=None, direction="inbound", status=status, outcome=outcome,
                          caller_name=name, caller_number=phone, script=script, rng=rng,
                          slot_label="Tuesday at 10:00 AM", appointment_type=type_name)
        transcript, summary, duration = compose(story)
        entry = {"status": status, "outcome": outcome, "transcript": transcript, "summary": summary,
                 "duration_seconds": duration, "caller_name": name, "caller_number": phone,
                 "contact_id": (contact or {}).get("id"), "direction": "inbound"}
        with_follow_up_question(org, entry)
        pool.append({**entry, **annotate_call(entry)})
    return pool


def seed_calls(org: dict, count: int, days: int, rng: random.Random, contacts: list[dict]) -> None:
    store = runtime().store
    pool = _conversation_pool(org, rng, contacts)
    coordinators = [r[0] for r in store.rows("SELECT id FROM coordinators WHERE organization_id = ?", (org["id"],))]
    now, docs = now_utc(), []
    for stamp in store.stamps(count):
        template = rng.choice(pool)
        started = _past_moment(rng, now, days)
        duration = template["duration_seconds"]
        docs.append({
            "id": new_id("call"), "organization_id": org["id"],
            "coordinator_id": rng.choice(coordinators) if coordinators else None,
            "contact_id": template["contact_id"], "campaign_id": None,
            "appointment_id": None, "lead_id": None, "direction": "inbound",
            "caller_name": template["caller_name"], "caller_number": template["caller_number"],
            "started_at": format_ts(started), "ended_at": format_ts(started + timedelta(seconds=duration)),
            "duration_seconds": duration, "status": template["status"], "outcome": template["outcome"],
            "transcript": template["transcript"], "summary": template["summary"],
            "topic": template["topic"], "unanswered_questions": template["unanswered_questions"],
            "sentiment": _cumulative_choice(rng, SENTIMENT_WEIGHTS[template["outcome"]], 1)[0],
            "created_at": format_ts(started + timedelta(seconds=duration)), "updated_at": stamp,
        })
        if len(docs) >= 20_000:
            store.insert_many("calls", docs)
            docs = []
    store.insert_many("calls", docs)


def seed_appointments(org: dict, count: int, rng: random.Random, contacts: list[dict]) -> int:
    """Non-overlapping appointments in business hours, from a month ago to a month ahead."""
    store = runtime().store
    type_name, minutes = resolve_duration(org, None, None)
    today = now_utc().astimezone(org_zone(org)).date()
    past_floor = now_utc() - timedelta(days=400)
    slots = free_slots(org, today - timedelta(days=30), today + timedelta(days=30), minutes,
                       interval=minutes, not_before=past_floor)
    chosen = sorted(rng.sample(slots, min(count, len(slots))), key=lambda s: s["starts_at"])
    now_text, docs = format_ts(now_utc()), []
    for slot, stamp in zip(chosen, store.stamps(len(chosen))):
        contact = rng.choice(contacts) if contacts else None
        past = slot["starts_at"] < now_text
        status = (_cumulative_choice(rng, {"completed": 75, "no_show": 10, "cancelled": 15}, 1)[0] if past
                  else _cumulative_choice(rng, {"scheduled": 90, "cancelled": 10}, 1)[0])
        name = contact["name"] if contact else random_name(rng)
        docs.append({
            "id": new_id("appt"), "organization_id": org["id"], "contact_id": (contact or {}).get("id"),
            "customer_name": name, "customer_phone": (contact or {}).get("phone"),
            "customer_email": (contact or {}).get("email"), "appointment_type": type_name,
            "starts_at": slot["starts_at"], "ends_at": slot["ends_at"], "duration_minutes": minutes,
            "status": status, "source": rng.choice(("call", "call", "chat", "manual")),
            "notes": f"Seeded appointment for {first_name(name)}.", "call_id": None, "coordinator_id": None,
            "campaign_id": None, "cancelled_at": stamp if status == "cancelled" else None,
            "cancellation_reason": "Customer rescheduled" if status == "cancelled" else None,
            "created_at": stamp, "updated_at": stamp,
        })
    store.insert_many("appointments", docs)
    return len(docs)


def seed(org: dict, body: dict) -> dict:
    fields = {}
    for name, ceiling in MAX_ROWS.items():
        value = body.get(name, 0)
        if not isinstance(value, int) or not 0 <= value <= ceiling:
            fields[name] = f"must be an integer from 0 to {ceiling}"
    days = body.get("days", 90)
    if not isinstance(days, int) or not 1 <= days <= 3650:
        fields["days"] = "must be an integer from 1 to 3650"
    if fields:
        raise invalid(fields)
    rt = runtime()
    rng = random.Random(body["seed"]) if isinstance(body.get("seed"), int) else rt.rng
    with rt.store.transaction():
        new_contacts = seed_contacts(org, body.get("contacts", 0), days, rng)
        pool = new_contacts or rt.store.find("contacts", "organization_id = ? AND deleted = 0 AND phone IS NOT NULL",
                                             (org["id"],), limit=5000)
        seed_calls(org, body.get("calls", 0), days, rng, pool)
        booked = seed_appointments(org, body.get("appointments", 0), rng, pool)
    return {"organization_id": org["id"], "contacts": len(new_contacts), "calls": body.get("calls", 0),
            "appointments": booked}
