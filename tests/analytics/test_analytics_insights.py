"""4calls' call analysis (topics, unanswered questions) and AI customer
insights: derived deterministically by the sandbox, synced through the
contract, read from local tables by the pages."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.analytics.insights import sync_business_insights
from app.extensions import db
from app.fourcalls import platform_client
from app.fourcalls.health import clear_cache
from app.models import Call, CallQuestion, Contact, ContactInsight, SyncCursor
from app.crm_sync import services as sync
from sandbox.fourcalls.call_insights import UNANSWERED_REPLY, annotate, unanswered_questions
from sandbox.fourcalls.insights import build_insight
from sandbox.fourcalls.testing import running_fourcalls
from tests.fourcalls_helpers import provision
from tests.sync_helpers import queued_job_ids

UTC = timezone.utc


def test_call_analysis_is_deterministic_from_the_transcript():
    transcript = [
        {"speaker": "assistant", "text": "Hi, how can I help?", "at_second": 0},
        {"speaker": "caller", "text": "How much is a women's cut?", "at_second": 3},
        {"speaker": "assistant", "text": "Forty-five dollars.", "at_second": 6},
        {"speaker": "caller", "text": "One more thing. Do you sell gift cards?", "at_second": 9},
        {"speaker": "assistant", "text": UNANSWERED_REPLY, "at_second": 12},
    ]
    call = {"outcome": "question", "status": "answered", "summary": "Asked \"How much is a women's cut?\"",
            "transcript": transcript}
    assert annotate(call) == {"topic": "Prices", "unanswered_questions": ["Do you sell gift cards?"]}
    assert annotate(call) == annotate(dict(call))
    assert annotate({**call, "status": "missed", "transcript": []})["topic"] == "Missed calls"
    assert annotate({**call, "outcome": "booked"})["topic"] == "Bookings"
    assert unanswered_questions(transcript[:3]) == []


def _call(n, started, sentiment="neutral", outcome="question", topic="Prices", text="Hello"):
    stamp = started.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    return {"id": f"call_{n}", "started_at": stamp, "updated_at": stamp, "status": "answered", "outcome": outcome,
            "topic": topic, "sentiment": sentiment, "transcript": [{"speaker": "caller", "text": text}]}


def _visit(n, starts, status="completed", kind="Colour"):
    stamp = starts.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    return {"id": f"appt_{n}", "starts_at": stamp, "updated_at": stamp, "status": status, "appointment_type": kind}


def test_contact_insight_hand_computed():
    now = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    org = {"id": "org_1", "appointment_types": [{"name": "Colour", "price_cents": 9000}, {"name": "Cut"}]}
    contact = {"id": "con_1", "updated_at": "2026-01-01T00:00:00.000000Z"}
    calls = [
        _call(1, now - timedelta(days=300), "positive", text="I prefer mornings, please."),
        _call(2, now - timedelta(days=250), "neutral", topic="Bookings", outcome="booked"),
        _call(3, now - timedelta(days=220), "negative", text="I'm allergic to latex."),
        _call(4, now - timedelta(days=210), "negative", topic="Prices"),
    ]
    visits = [_visit(1, now - timedelta(days=240)), _visit(2, now - timedelta(days=213)),
              _visit(3, now - timedelta(days=100), status="cancelled")]
    insight = build_insight(org, contact, calls, visits, now)
    assert insight["purposes"] == ["Prices", "Bookings"]
    assert insight["preferences"] == ["Prefers mornings", "Allergic to latex"]
    assert insight["sentiment_trend"] == "declining"  # (+1, 0) then (-1, -1)
    assert (insight["interactions"], insight["visits"], insight["visits_value_cents"]) == (4, 2, 18000)
    # A regular (2 visits, 4 calls) with nothing for 210 days and nothing booked.
    assert insight["at_risk"] and insight["call_priority"] == 3
    assert insight["next_best_action"] == "Call to win them back: no call or visit for 210 days."
    recent = build_insight(org, contact, calls[:1], [_visit(1, now - timedelta(days=213))], now)
    assert not recent["at_risk"]
    assert recent["next_best_action"] == "Due for a check-up: last visit 7 months ago."


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with running_fourcalls(tmp_path_factory.mktemp("fourcalls-analytics")) as handle:
        yield handle


@pytest.fixture
def fourcalls(app, sandbox, monkeypatch):
    monkeypatch.setitem(app.config, "FOURCALLS_API_URL", sandbox.url)
    monkeypatch.setitem(app.config, "FOURCALLS_API_KEY", sandbox.platform_key)
    monkeypatch.setitem(app.config, "FOURCALLS_BACKOFF_BASE_SECONDS", 0.01)
    clear_cache()
    yield sandbox
    clear_cache()


@pytest.mark.integration
def test_topics_questions_and_insights_arrive_by_sync(app, client, auth, fourcalls, factories):
    owner = factories.user()
    business = factories.business(owner=owner, name="Synced Insights Salon")
    organization = provision(business, package="ai_business_suite")
    fourcalls.seed(organization["id"], calls=300, contacts=40, appointments=30)
    for _ in range(6):  # live calls go through the generator (and its follow-up questions) too
        fourcalls.generate_call(organization["id"], status="answered", outcome="question")
    run = sync.claim_slot(business.id, None)
    sync.sync_kinds(business, ("contacts", "calls", "appointments"), run)

    assert f"insights:{business.id}" in queued_job_ids(app)  # new calls queue a profile refresh
    calls = db.session.scalars(select(Call).where(Call.business_id == business.id)).all()
    assert len(calls) == 306 and all(call.topic for call in calls)
    asked = {(q.call_remote_id, q.question) for q in db.session.scalars(select(CallQuestion))}
    expected = {(c.remote_id, t["text"].replace("One more thing. ", "")) for c in calls
                for t, reply in zip(c.transcript, c.transcript[1:])
                if t["speaker"] == "caller" and reply["text"] == UNANSWERED_REPLY}
    assert asked == expected and expected  # some callers asked what no profile answers

    written = sync_business_insights(business)
    remote = list(platform_client().list_contact_insights(organization["id"]))
    assert written == len(remote) > 0
    assert db.session.scalar(select(func.count()).select_from(ContactInsight)) == len(remote)
    sample = remote[0]
    local = db.session.scalar(select(ContactInsight).where(ContactInsight.contact_remote_id == sample["contact_id"]))
    assert local.contact_id == db.session.scalar(select(Contact.id).where(Contact.remote_id == sample["contact_id"]))
    assert (local.purposes, local.next_best_action, local.at_risk) == (
        sample["purposes"], sample["next_best_action"], sample["at_risk"])
    # Incremental: only the rows at the newest updated_at come again (the API's bound is inclusive).
    newest = max(r["updated_at"] for r in remote)
    assert sync_business_insights(business) == sum(r["updated_at"] == newest for r in remote) < len(remote)

    # A profile 4calls no longer lists (its contact was deleted) goes on the next full pass.
    db.session.add(ContactInsight(business_id=business.id, contact_remote_id="con_gone", next_best_action="x"))
    cursor = db.session.scalar(select(SyncCursor).where(SyncCursor.kind == "contact_insights"))
    cursor.last_synced_at = cursor.last_synced_at - timedelta(days=2)
    db.session.commit()
    assert sync_business_insights(business) == len(remote)
    assert db.session.scalar(select(ContactInsight).where(ContactInsight.contact_remote_id == "con_gone")) is None

    auth.login(owner.email)
    page = client.get(f"/businesses/{business.slug}/analytics/insights").get_data(as_text=True)
    assert "Customers at risk" in page and "Who to call" in page
    profile = client.get(f"/businesses/{business.slug}/analytics/insights/contacts/{local.contact_id}")
    assert profile.status_code == 200 and (local.next_best_action in profile.get_data(as_text=True))
    other = factories.business(owner=factories.user(), name="Not Mine")
    stranger = Contact(business_id=other.id, name="Stranger")
    db.session.add(stranger)
    db.session.commit()
    assert client.get(f"/businesses/{business.slug}/analytics/insights/contacts/{stranger.id}").status_code == 404


@pytest.mark.integration
def test_a_chat_question_the_assistant_could_not_answer_is_listed(app, client, auth, fourcalls, factories,
                                                                  monkeypatch):
    from tests.chat_helpers import provision_chat, sse_events, widget_token

    monkeypatch.setitem(app.config, "FOURCALLS_MAX_ATTEMPTS", 1)
    owner = factories.user()
    business = factories.business(owner=owner, name="Chatty Analytics Salon", faq=[])
    provision_chat(business, package="ai_business_suite")
    page = client.get(f"/b/{business.slug}").get_data(as_text=True)
    key = page.split("/widget/")[1].split("/")[0]
    token = widget_token(client.get(f"/widget/{key}").get_data(as_text=True))
    for text in ("Do you sell gift cards?", "Hello there"):  # a question, and a greeting that is none
        events = sse_events(client.post(f"/widget/{key}/messages", json={"text": text},
                                        headers={"X-Widget-Token": token}).get_data(as_text=True))
        assert events[-1][0] == "done"
    rows = db.session.scalars(select(CallQuestion).where(CallQuestion.business_id == business.id)).all()
    assert [(q.source, q.question) for q in rows] == [("chat", "Do you sell gift cards?")]
    auth.login(owner.email)
    reports = client.get(f"/businesses/{business.slug}/analytics/reports").get_data(as_text=True)
    assert "Do you sell gift cards?" in reports
