"""4calls events are handed to batch jobs, not a job each: every stored,
unprocessed event is applied once, whoever queued the batch."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import WebhookEvent
from app.webhooks import handoff
from app.webhooks import services as webhook_services
from tests.webhooks.test_webhooks_fourcalls import deliver, event_body, signature


def _events() -> list[WebhookEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.event_id)))


def test_every_stored_event_is_applied_once_however_many_batches_run(client, run_jobs, app):
    for number in range(5):
        body = event_body(f"evt_batch_{number}", event_type="contact.updated")
        assert deliver(client, body, signature(body)).status_code == 200
    # With no window (tests) each event queues a batch job; the first applies all five.
    queue = app.extensions["job_queue"]
    assert len(queue.pending if hasattr(queue, "pending") else queue.queue) == 5
    run_jobs()
    events = _events()
    assert [event.attempts for event in events] == [1] * 5
    assert all(event.processed_at is not None for event in events)


def test_a_stored_event_whose_batch_never_ran_is_applied_by_the_next_batch(client, run_jobs, app):
    body = event_body("evt_orphan", event_type="contact.updated")
    assert deliver(client, body, signature(body)).status_code == 200
    queue = app.extensions["job_queue"]
    if hasattr(queue, "pending"):
        queue.clear()  # the job was lost (Redis flushed)
    else:
        queue.queue.empty()
    later = event_body("evt_later", event_type="contact.updated")
    assert deliver(client, later, signature(later)).status_code == 200
    run_jobs()
    assert [(event.event_id, event.attempts) for event in _events()] == [("evt_later", 1), ("evt_orphan", 1)]


def test_a_failing_event_does_not_hold_up_the_others(client, run_jobs, monkeypatch, app):
    def fail(event):
        raise RuntimeError("handler broken")

    monkeypatch.setitem(webhook_services.FOURCALLS_EVENT_HANDLERS, "lead.created", fail)
    for event_id, event_type in (("evt_a", "contact.updated"), ("evt_b", "lead.created"), ("evt_c", "contact.updated")):
        body = event_body(event_id, event_type=event_type)
        deliver(client, body, signature(body))
    run_jobs()
    by_id = {event.event_id: event for event in _events()}
    assert by_id["evt_a"].processed_at is not None and by_id["evt_c"].processed_at is not None
    failed = by_id["evt_b"]
    assert failed.processed_at is None and "handler broken" in failed.error
    # Each of the three batch jobs tried it once and again on the queue's schedule
    # (JOB_RETRY_INTERVALS), until the attempts ran out: the sweep leaves it then.
    tries_per_job = 1 + len(app.config["JOB_RETRY_INTERVALS"])
    assert failed.attempts == min(webhook_services.SWEEP_MAX_ATTEMPTS, 3 * tries_per_job)


def test_each_process_queues_one_batch_job_per_window(app, monkeypatch):
    queued = []
    monkeypatch.setattr("app.jobs.enqueue", lambda path, *args, **kwargs: queued.append(kwargs["job_id"]))
    monkeypatch.setattr(handoff.time, "time", lambda: 1000.2)
    app.config["WEBHOOK_BATCH_SECONDS"] = 0.5
    handoff._last_window.clear()
    with app.app_context():
        for _ in range(3):
            handoff.announce_stored_event("fourcalls")
        monkeypatch.setattr(handoff.time, "time", lambda: 1000.6)
        handoff.announce_stored_event("fourcalls")
    assert queued == ["webhooks:fourcalls:batch:2000", "webhooks:fourcalls:batch:2001"]


def test_with_no_window_an_event_stored_while_a_batch_runs_gets_a_batch_of_its_own(app, monkeypatch):
    # One shared id would be skipped while its job runs, and that job may
    # already have made its last, empty read: the event would wait for the sweep.
    queued = []
    monkeypatch.setattr("app.jobs.enqueue", lambda path, *args, **kwargs: queued.append(kwargs))
    app.config["WEBHOOK_BATCH_SECONDS"] = 0
    with app.app_context():
        handoff.announce_stored_event("fourcalls")
        handoff.announce_stored_event("fourcalls")
    assert len({kwargs["job_id"] for kwargs in queued}) == 2
    assert all(kwargs["fresh_id"] for kwargs in queued)


@pytest.mark.parametrize("limit, sent, refused", [("3 per minute", 5, 2), ("100 per minute", 130, 30)])
def test_rate_limit_refusals_stay_exact_while_hits_are_batched(app, limit, sent, refused):
    from app.webhooks.rate_limit import _counters, over_rate_limit

    _counters.clear()
    with app.app_context():
        answers = [over_rate_limit(f"test-{limit}", limit, "10.0.0.1") for _ in range(sent)]
    assert sum(answers) == refused and not any(answers[:sent - refused])
