"""The dashboard: statistics, live feed, sync button, usage meters and notices."""
import re
from datetime import datetime, timedelta, timezone

from app.dashboard import live_feed, services
from app.extensions import db
from app.models import JobRun
from app.crm_sync.upserts import apply_remote_appointments, apply_remote_calls
from app.usage import notices
from app.usage import services as usage
from tests.sql_helpers import statements_during
from tests.sync_helpers import activate, queued_job_ids, remote_appointment, remote_call


def seed_calls(business, now):
    rows = [
        remote_call(1, started_at=now - timedelta(minutes=30), duration_seconds=120, outcome="booked"),
        remote_call(2, started_at=now - timedelta(minutes=20), status="missed", duration_seconds=0, outcome="no_answer",
                    transcript=[], summary="Missed call."),
        remote_call(3, started_at=now - timedelta(days=3), duration_seconds=60, outcome="lead"),
        remote_call(4, started_at=now - timedelta(days=20), duration_seconds=300),
        remote_call(5, started_at=now - timedelta(days=45), duration_seconds=30),  # outside 30 days
    ]
    apply_remote_calls(business, rows)
    db.session.commit()


def test_statistics_by_window_and_chart(app, factories):
    business = factories.business(owner=factories.user())
    now = datetime.now(timezone.utc).replace(hour=12)
    seed_calls(business, now)
    stats, chart = services.call_statistics(business, now=now)
    today, week, month = stats["today"], stats["week"], stats["month"]
    assert (today.total, today.answered, today.missed, today.booked) == (2, 1, 1, 1)
    assert today.average_duration == 120
    assert (week.total, week.leads) == (3, 1)
    assert (month.total, month.answered, month.average_duration) == (4, 3, 160)
    assert len(chart.bars) == 30 and sum(bar.total for bar in chart.bars) == 4
    assert chart.bars[-1].total == 2 and chart.height(2) == 100


def test_dashboard_page_shows_everything(client, auth, factories, clock):
    owner = factories.user()
    business = factories.business(owner=owner, name="Bella Napoli")
    now = clock.now  # midday in the business's zone: the appointment at 23:00 UTC is today there
    seed_calls(business, now)  # before activation: no minutes metered
    activate(business, "ai_receptionist")
    apply_remote_appointments(business, [remote_appointment(9, starts_at=now.replace(hour=23, minute=0), customer_name="Maria Rossi")])
    usage.record_usage(business, "inbound_minutes", 450)  # 90 % of 500
    db.session.commit()
    auth.login(owner.email)
    html = client.get(f"/businesses/{business.slug}/dashboard").get_data(as_text=True)
    assert "Recent calls" in html and "Caller 1" in html and "Maria Rossi" in html
    assert "Being set up" not in html and "Answering calls" in html
    assert "450 of 500" in html and "progress warn" in html
    assert "You have used 80 % of your 500 inbound minutes" in html
    assert "Sync now" in html and "Not synced yet" in html
    assert "Outbound minutes" in html and "Not in your package" in html


def test_dashboard_without_package_offers_one(client, auth, factories):
    owner = factories.user()
    business = factories.business(owner=owner)
    auth.login(owner.email)
    html = client.get(f"/businesses/{business.slug}/dashboard").get_data(as_text=True)
    assert "No AI package yet" in html and "Choose a package" in html and "Sync now" not in html
    assert client.post(f"/businesses/{business.slug}/dashboard/sync").status_code == 409


def test_live_feed_answers_204_until_a_call_arrives(client, auth, factories):
    owner = factories.user()
    business = factories.business(owner=owner)
    auth.login(owner.email)
    url = f"/businesses/{business.slug}/dashboard/live"
    first = client.get(url, headers={"HX-Request": "true"})
    assert first.status_code == 200 and "No calls yet" in first.get_data(as_text=True)
    version = re.search(r'dashboard/live\?v=([^"&]+)', first.get_data(as_text=True)).group(1)
    assert client.get(url, query_string={"v": version}).status_code == 204
    apply_remote_calls(business, [remote_call(77, caller_name="Giulia Bianchi")])
    db.session.commit()
    changed = client.get(url, query_string={"v": version})
    html = changed.get_data(as_text=True)
    assert changed.status_code == 200 and "Giulia Bianchi" in html
    assert 'id="call-stats" class="grid cols-3" hx-swap-oob="true"' in html
    assert "HX-Request" in changed.headers["Vary"]


def test_dashboard_query_count_does_not_grow_with_data(client, auth, factories):
    owner = factories.user()
    business = factories.business(owner=owner)
    activate(business, "ai_sales")
    auth.login(owner.email)

    def queries():
        # A new change mark: the statistics cached per mark (with Redis) are recomputed in both counts.
        live_feed.changed(business.id)
        db.session.commit()  # requests share the test's session here: start both counts from a cold one
        response, statements = statements_during(lambda: client.get(f"/businesses/{business.slug}/dashboard"))
        assert response.status_code == 200
        return [s.split("FROM")[0][:60] + s.split("FROM")[-1][:80] for s in statements]

    client.get(f"/businesses/{business.slug}/dashboard")  # creates this period's usage rows
    few = queries()
    now = datetime.now(timezone.utc)
    apply_remote_calls(business, [remote_call(500 + i, started_at=now - timedelta(hours=i), contact_id=f"con_{i:06d}")
                                  for i in range(300)])
    db.session.commit()
    after = queries()
    assert len(after) == len(few), (few, after)


def test_sync_now_queues_one_tracked_run_and_polls_until_done(client, auth, factories, app):
    owner = factories.user()
    business = factories.business(owner=owner)
    activate(business, "ai_sales")
    auth.login(owner.email)
    url = f"/businesses/{business.slug}/dashboard/sync"
    first = client.post(url, headers={"HX-Request": "true"})
    html = first.get_data(as_text=True)
    assert "Sync queued" in html and 'hx-trigger="every 1s"' in html
    client.post(url, headers={"HX-Request": "true"})
    assert db.session.query(JobRun).filter_by(business_id=business.id).count() == 1
    assert queued_job_ids(app) == [f"sync-{business.id}-contacts_calls_appointments"]
    run = db.session.query(JobRun).filter_by(business_id=business.id).one()
    run.status, run.progress, run.finished_at = "failed", 40, datetime.now(timezone.utc)
    run.error = "Unavailable: down"
    db.session.commit()
    done = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "every 1s" not in done and "did not finish" in done and "Sync now" in done
    assert client.get(url).status_code == 302  # the fragment has no page of its own


def test_notice_dismissal(client, auth, factories):
    owner = factories.user()
    business = factories.business(owner=owner)
    activate(business, "ai_receptionist")
    usage.record_usage(business, "inbound_minutes", 500)
    db.session.commit()
    [notice] = notices.open_notices(business)
    auth.login(owner.email)
    response = client.post(f"/businesses/{business.slug}/dashboard/notices/{notice.id}/dismiss", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.get_data(as_text=True) == ""
    assert notices.open_notices(business) == []
    html = client.get(f"/businesses/{business.slug}/dashboard").get_data(as_text=True)
    # All of a quota used is full, not an overage: amber, not red.
    assert "500 of 500" in html and "progress warn" in html and "progress bad" not in html


def test_notice_of_another_business_cannot_be_dismissed(client, auth, factories):
    other = factories.business(owner=factories.user())
    activate(other, "ai_receptionist")
    usage.record_usage(other, "inbound_minutes", 500)
    db.session.commit()
    [notice] = notices.open_notices(other)
    owner = factories.user()
    mine = factories.business(owner=owner)
    auth.login(owner.email)
    assert client.post(f"/businesses/{mine.slug}/dashboard/notices/{notice.id}/dismiss").status_code == 404
    assert client.post(f"/businesses/{other.slug}/dashboard/notices/{notice.id}/dismiss").status_code == 404
    assert notices.open_notices(other) != []


def test_live_feed_refreshes_meters_assistants_and_last_synced_without_a_new_call(client, auth, factories):
    owner = factories.user()
    business = factories.business(owner=owner)
    activate(business, "ai_receptionist")
    auth.login(owner.email)
    url = f"/businesses/{business.slug}/dashboard/live"
    first = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    version = re.search(r'dashboard/live\?v=([^"&]+)', first).group(1)
    assert client.get(url, query_string={"v": version}).status_code == 204
    usage.record_usage(business, "inbound_minutes", 7)  # e.g. minutes metered by a sync
    db.session.commit()
    changed = client.get(url, query_string={"v": version})
    html = changed.get_data(as_text=True)
    assert changed.status_code == 200
    assert 'id="usage-meters" hx-swap-oob="true"' in html and "7 of 500" in html
    assert 'id="assistant-status" hx-swap-oob="true"' in html
    assert 'id="last-synced" hx-swap-oob="true"' in html


def test_campaign_calls_count_as_outbound_and_never_as_missed(client, auth, factories, clock):
    # -- campaigns (issue 14)
    owner = factories.user()
    business = factories.business(owner=owner)
    now = clock.now  # the page's "today" is the business's day on the app's clock, whatever the hour here
    apply_remote_calls(business, [
        remote_call(11, started_at=now - timedelta(minutes=30), direction="outbound", outcome="booked"),
        remote_call(12, started_at=now - timedelta(minutes=20), direction="outbound", status="missed",
                    duration_seconds=0, outcome="no_answer", transcript=[]),
        remote_call(13, started_at=now - timedelta(minutes=10), status="missed", duration_seconds=0,
                    outcome="no_answer", transcript=[]),
    ])
    db.session.commit()
    today = services.call_statistics(business, now=now)[0]["today"]
    assert (today.total, today.outbound, today.missed, today.answered) == (3, 2, 1, 1)
    auth.login(owner.email)
    html = client.get(f"/businesses/{business.slug}/dashboard").get_data(as_text=True)
    assert "Outbound (campaigns)" in html
