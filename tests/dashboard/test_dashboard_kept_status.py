"""The dashboard's status rows (usage meters and notices, the latest sync run
and the sync cursors) are kept under the business's change mark, like its
calls and figures: a second view reads none of them, and every write to them
moves the mark of the business it belongs to, and of no other.

Runs with the real Redis on the PostgreSQL run and fakeredis otherwise (the
`marks` fixture)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from app.crm_sync import services as sync
from app.dashboard import live_feed
from app.extensions import db
from app.timezones import local_today
from app.jobs.records import create_run, recorded_run
from app.models import AIServiceUsage, UsageNotice
from app.usage import notices
from app.usage import services as usage
from tests.sql_helpers import statements_during
from tests.sync_helpers import activate

STATUS_TABLES = ("alphasite_ai_service_usage", "usage_notices", "job_runs", "sync_cursors")


def _status_reads(statements) -> list[str]:
    return [s for s in statements if any(f"FROM {table}" in s for table in STATUS_TABLES)]


def _owner_with_dashboard(client, auth, factories, package="ai_receptionist"):
    owner = factories.user()
    business = factories.business(owner=owner)
    activate(business, package)
    auth.login(owner.email)
    url = f"/businesses/{business.slug}/dashboard"
    assert client.get(url).status_code == 200  # the first view reads (and keeps) them
    return business, url


def test_a_second_view_reads_no_status_row_and_each_write_shows_on_the_next(client, auth, factories, marks):
    business, url = _owner_with_dashboard(client, auth, factories)
    page, statements = statements_during(lambda: client.get(url))
    assert page.status_code == 200 and _status_reads(statements) == []

    usage.record_usage(business, "inbound_minutes", 420)  # 84 %: a notice too
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "420 of 500" in html and "You have used 80 % of your" in html

    [notice] = notices.open_notices(business)
    client.post(f"/businesses/{business.slug}/dashboard/notices/{notice.id}/dismiss", headers={"HX-Request": "true"})
    assert "You have used 80 %" not in client.get(url).get_data(as_text=True)

    run = sync.request_sync(business, track=True)
    assert run is not None
    assert "Sync queued" in client.get(url).get_data(as_text=True)
    db.session.expire(run)  # as a job finds it after its commits: whose it is is read back
    run.status, run.progress, run.finished_at = "failed", 40, datetime.now(timezone.utc)
    run.error = "Unavailable: down"
    db.session.commit()
    assert "The last sync did not finish: Unavailable: down" in client.get(url).get_data(as_text=True)


def test_a_finished_sync_shows_its_last_synced_time(client, auth, factories, marks):
    business, url = _owner_with_dashboard(client, auth, factories)
    assert "Not synced yet" in client.get(url).get_data(as_text=True)
    for kind in sync.KINDS:
        sync._cursor(business, kind).last_synced_at = datetime.now(timezone.utc) - timedelta(minutes=3)
    db.session.commit()
    assert "Last synced 3 minutes ago" in client.get(url).get_data(as_text=True)


def test_status_writes_move_only_their_own_businesses_mark(factories, marks):
    mine, other = factories.business(owner=factories.user()), factories.business(owner=factories.user())
    activate(mine, "ai_receptionist")
    activate(other, "ai_receptionist")
    everyone = marks().redis.get(live_feed._ALL_KEY)

    def moved():
        return live_feed.current_mark(mine.id), live_feed.current_mark(other.id)

    before = moved()
    with recorded_run(sync.JOB_KIND, mine.id) as run:
        db.session.commit()  # the job's own commits expire the run
        assert "business_id" not in run.__dict__
        started = moved()
    finished = moved()  # its last write ("succeeded") read the expired business_id back
    assert started[0] != before[0] and finished[0] != started[0]
    assert started[1] == finished[1] == before[1]

    with recorded_run("campaign_dispatch", mine.id):  # a run the dashboard does not show
        pass
    assert moved() == finished
    cursor = sync._cursor(mine, "calls")
    db.session.commit()
    untouched = moved()
    cursor.last_error = cursor.last_error  # dirty, yet unchanged
    db.session.commit()
    assert moved() == untouched

    usage.record_usage(mine, "inbound_minutes", 3)  # an update by row id, narrowed to its business
    db.session.commit()
    assert moved()[1] == before[1]

    global_run = create_run("metric_snapshots")  # no business: nobody's dashboard shows it
    untouched = moved()
    global_run.status = "succeeded"
    db.session.commit()
    assert moved() == untouched
    assert marks().redis.get(live_feed._ALL_KEY) == everyone


def test_a_new_usage_period_is_not_kept_past_the_old_ones_end(client, auth, factories, marks, clock):
    business, url = _owner_with_dashboard(client, auth, factories)
    period = usage.current_period(business)
    clock.set(period.end - timedelta(seconds=30))  # kept for a minute: it would outlive the period
    usage.record_usage(business, "inbound_minutes", 42)
    db.session.commit()
    assert "42 of 500" in client.get(url).get_data(as_text=True)
    last_day = local_today(business)
    clock.set(period.end + timedelta(seconds=1))  # a new period, the same local day, no mark moved
    assert local_today(business) == last_day
    html = client.get(url).get_data(as_text=True)
    assert "42 of 500" not in html and "0 of 500" in html


def test_a_multi_row_insert_marks_the_businesses_it_names():
    first, second = "0b6c9a3e-0000-4000-8000-000000000001", "0b6c9a3e-0000-4000-8000-000000000002"
    statement = insert(UsageNotice).values([{"business_id": first, "threshold": 80},
                                            {"business_id": second, "threshold": 100}])
    assert live_feed._businesses_written(statement, {}, "usage_notices") == {first, second}
    unnamed = insert(AIServiceUsage).values([{"business_id": first}, {"service_type": "inbound_minutes"}])
    assert live_feed._businesses_written(unnamed, {}, "alphasite_ai_service_usage") == {live_feed.ALL_BUSINESSES}
