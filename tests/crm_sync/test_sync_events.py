"""4calls webhook events applied to the CRM tables through the dispatch table."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from app.extensions import db
from app.models import Appointment, Call, Contact
from app.webhooks.services import FOURCALLS_EVENT_HANDLERS, process_fourcalls_event, store_event
from tests.sync_helpers import activate, queued_job_ids, remote_appointment, remote_call, remote_contact


def deliver(business, event_type, obj, organization_id, event_id):
    payload = {"id": event_id, "type": event_type, "created": 1, "organization_id": organization_id,
               "data": {"object": obj}}
    event, _ = store_event("fourcalls", event_id, event_type, payload, organization_id=organization_id,
                           business_id=business.id if business else None)
    process_fourcalls_event(event)
    return event


def test_every_crm_event_type_has_a_real_handler(app):
    for event_type in ("call.completed", "appointment.created", "appointment.updated", "appointment.cancelled",
                       "contact.created", "contact.updated", "contact.deleted", "lead.created"):
        assert FOURCALLS_EVENT_HANDLERS[event_type].__module__ == "app.crm_sync.events"


def test_call_completed_is_applied_and_triggers_a_sync(app, factories):
    business = factories.business(owner=factories.user())
    integration = activate(business)
    event = deliver(business, "call.completed", remote_call(1, caller_name="Luca"), integration.organization_id, "evt_1")
    assert event.outcome == "applied"
    assert db.session.scalar(select(Call.caller_name).where(Call.remote_id == "call_000001")) == "Luca"
    assert queued_job_ids(app) == [f"sync-follow-up-{business.id}-contacts_calls_appointments"]
    # A redelivery of the same event id is stored once and applied once.
    deliver(business, "call.completed", remote_call(1, caller_name="Luca"), integration.organization_id, "evt_1")
    assert len(db.session.scalars(select(Call)).all()) == 1
    assert len(queued_job_ids(app)) == 1


def test_a_burst_of_events_queues_one_delayed_follow_up_sync(app, factories, monkeypatch):
    from app.jobs import queue as job_queue

    business = factories.business(owner=factories.user())
    integration = activate(business)
    queue = app.extensions["job_queue"]
    delays = []
    original = type(queue).enqueue

    def recording(self, func, *args, delay=None, **kwargs):
        delays.append((kwargs.get("job_id"), delay))
        return original(self, func, *args, delay=delay, **kwargs)

    monkeypatch.setattr(type(queue), "enqueue", recording)
    app.config["CRM_SYNC_FOLLOW_UP_DELAY_SECONDS"] = 45
    for number in range(1, 6):
        deliver(business, "call.completed", remote_call(number), integration.organization_id, f"evt_b{number}")
    assert len(db.session.scalars(select(Call)).all()) == 5
    follow_up = f"sync-follow-up-{business.id}-contacts_calls_appointments"
    assert queued_job_ids(app) == [follow_up]
    assert {delay for job_id, delay in delays if job_queue.rq_job_id(follow_up) == job_queue.rq_job_id(job_id)} \
        == {timedelta(seconds=45)}
    # The owner's "Sync now" is not refused by the waiting follow-up.
    from app.crm_sync.services import request_sync

    assert request_sync(business, track=True) is not None
    assert sorted(queued_job_ids(app)) == sorted([follow_up, f"sync-{business.id}-contacts_calls_appointments"])


def test_the_follow_up_requests_the_sync_itself_when_it_runs(app, factories):
    from app.crm_sync.jobs import request_sync_job

    business = factories.business(owner=factories.user())
    activate(business)
    request_sync_job(str(business.id), "contacts,calls,appointments")
    assert queued_job_ids(app) == [f"sync-{business.id}-contacts_calls_appointments"]
    # A sync already waiting absorbs it: still one.
    request_sync_job(str(business.id), "contacts,calls,appointments")
    assert queued_job_ids(app) == [f"sync-{business.id}-contacts_calls_appointments"]


def test_out_of_order_appointment_events_keep_the_newest(app, factories):
    business = factories.business(owner=factories.user())
    integration = activate(business)
    t0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
    cancelled = remote_appointment(5, status="cancelled", updated_at=t0 + timedelta(minutes=5))
    created = remote_appointment(5, status="scheduled", updated_at=t0)
    deliver(business, "appointment.cancelled", cancelled, integration.organization_id, "evt_a2")
    deliver(business, "appointment.created", created, integration.organization_id, "evt_a1")
    assert db.session.scalar(select(Appointment.status).where(Appointment.remote_id == "appt_000005")) == "cancelled"


def test_contact_events_and_deletion(app, factories):
    business = factories.business(owner=factories.user())
    integration = activate(business)
    t0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
    deliver(business, "contact.created", remote_contact(7, updated_at=t0), integration.organization_id, "evt_c1")
    deliver(business, "contact.deleted", remote_contact(7, updated_at=t0 + timedelta(seconds=1), deleted=True),
            integration.organization_id, "evt_c2")
    contact = db.session.scalar(select(Contact).where(Contact.remote_id == "con_000007"))
    assert contact.deleted_at is not None


def test_lead_event_syncs_contacts(app, factories):
    business = factories.business(owner=factories.user())
    integration = activate(business)
    lead = {"id": "lead_1", "contact_id": "con_000009", "name": "Ada"}
    event = deliver(business, "lead.created", lead, integration.organization_id, "evt_l1")
    assert event.outcome == "contact_sync_queued"
    # The contact sync, and (issue 13) the owner's "new lead" email.
    jobs = queued_job_ids(app)
    assert f"sync-follow-up-{business.id}-contacts" in jobs and len(jobs) == 2 and any(j.startswith("email:") for j in jobs)


def test_unknown_organization_is_recorded_not_applied(app):
    event = deliver(None, "call.completed", remote_call(3), "org_nobody", "evt_x")
    assert event.outcome == "ignored_unknown_organization"
    assert db.session.scalars(select(Call)).all() == []
