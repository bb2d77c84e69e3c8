"""Builders for 4calls-shaped rows and activated businesses, shared by the
sync, usage, dashboard and call log tests."""
from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta, timezone

from tests.factories import make_integration

_ids = itertools.count(1)


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def activate(business, package="ai_receptionist", activated_at=None, organization_id=None):
    return make_integration(business, package, organization_id=organization_id or f"org_test{next(_ids)}",
                            activated_at=activated_at or datetime.now(timezone.utc) - timedelta(days=3))


def remote_contact(number=None, updated_at=None, **fields):
    n = number or next(_ids)
    now = updated_at or datetime.now(timezone.utc)
    row = {
        "id": f"con_{n:06d}", "organization_id": "org_test", "name": f"Contact {n}",
        "phone": f"+1555{n:07d}", "email": None, "tags": [], "custom_fields": {}, "notes": None,
        "source": "call", "last_interaction_at": None, "deleted": False, "deleted_at": None,
        "created_at": stamp(now), "updated_at": stamp(now),
    }
    row.update(fields)
    return row


def remote_call(number=None, started_at=None, updated_at=None, **fields):
    n = number or next(_ids)
    started = started_at or datetime.now(timezone.utc) - timedelta(minutes=5)
    row = {
        "id": f"call_{n:06d}", "organization_id": "org_test", "coordinator_id": "coord_1", "contact_id": None,
        "campaign_id": None, "appointment_id": None, "lead_id": None, "direction": "inbound",
        "caller_name": f"Caller {n}", "caller_number": f"+1555{n:07d}", "started_at": stamp(started),
        "ended_at": stamp(started + timedelta(seconds=95)), "duration_seconds": 95, "status": "answered",
        "outcome": "question",
        "transcript": [
            {"speaker": "assistant", "text": "Thanks for calling, how can I help?", "at_second": 0},
            {"speaker": "caller", "text": "Do you have gluten free pasta?", "at_second": 4},
        ],
        "summary": "Caller asked about gluten free pasta.", "sentiment": "positive",
        "created_at": stamp(started), "updated_at": stamp(updated_at or started + timedelta(seconds=96)),
    }
    row.update(fields)
    return row


def remote_appointment(number=None, starts_at=None, updated_at=None, **fields):
    n = number or next(_ids)
    starts = starts_at or datetime.now(timezone.utc) + timedelta(hours=2)
    row = {
        "id": f"appt_{n:06d}", "organization_id": "org_test", "contact_id": None, "customer_name": f"Guest {n}",
        "customer_phone": f"+1555{n:07d}", "customer_email": None, "appointment_type": "Consultation",
        "starts_at": stamp(starts), "ends_at": stamp(starts + timedelta(minutes=30)), "duration_minutes": 30,
        "status": "scheduled", "source": "call", "notes": None, "call_id": None, "coordinator_id": None,
        "campaign_id": None, "cancelled_at": None, "cancellation_reason": None,
        "created_at": stamp(updated_at or datetime.now(timezone.utc)),
        "updated_at": stamp(updated_at or datetime.now(timezone.utc)),
    }
    row.update(fields)
    return row


def queued_job_ids(app) -> list[str]:
    """Ids of the jobs waiting in the test queue (eager list or RQ queue)."""
    queue = app.extensions["job_queue"]
    if hasattr(queue, "pending"):
        return [job.job_id for job in queue.pending]
    # The RQ backend spells out characters RQ refuses ("-" -> "-2d-"): undo that.
    # Delayed jobs wait in RQ's scheduled registry until they are due.
    job_ids = queue.queue.job_ids + queue.queue.scheduled_job_registry.get_job_ids()
    return [re.sub(r"-([0-9a-f]+)-", lambda m: chr(int(m.group(1), 16)), job_id) for job_id in job_ids]
