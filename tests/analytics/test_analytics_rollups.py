"""Call rollups: kept current by the call upserts, equal to a full recount,
and every analytics figure checked against hand-computed numbers, including
the DST week of March 2027 in Los Angeles (clocks go forward Sunday March 14)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from app.analytics import rollups, services
from app.analytics.ranges import DateRange
from app.extensions import db
from app.crm_sync.upserts import apply_remote_calls
from tests.sql_helpers import statements_during
from tests.sync_helpers import activate, remote_call

UTC = timezone.utc


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def la_business(factories):
    business = factories.business(owner=factories.user(), name="Venice Salon", timezone="America/Los_Angeles")
    activate(business, package="ai_business_suite")
    return business


# The DST week Mon Mar 8 – Sun Mar 14 2027 (local), PST = UTC-8 until Sun 02:00, then PDT = UTC-7.
# (started_at UTC, status, outcome, duration, coordinator, topic) and, worked out by hand, its local day/hour.
DST_WEEK = [
    # Mon Mar 8 00:15 PST = 08:15 UTC
    (utc(2027, 3, 8, 8, 15), "answered", "booked", 300, "coord_a", "Bookings"),      # Mon Mar 8, hour 0
    (utc(2027, 3, 10, 17, 0), "answered", "question", 120, "coord_a", "Prices"),      # Wed Mar 10, 09:00
    (utc(2027, 3, 10, 17, 40), "missed", "question", 0, "coord_b", "Missed calls"),   # Wed Mar 10, 09:40
    (utc(2027, 3, 14, 8, 30), "answered", "lead", 200, "coord_b", "Quotes and follow-ups"),  # Sun 00:30 PST
    (utc(2027, 3, 14, 10, 30), "voicemail", "message", 40, "coord_a", "Voicemails"),  # Sun 03:30 PDT (02:xx skipped)
    (utc(2027, 3, 15, 6, 30), "answered", "booked", 400, "coord_a", "Bookings"),      # Sun 23:30 PDT, Monday in UTC
]
# Outside the week on both sides, by minutes.
BEFORE_WEEK = (utc(2027, 3, 8, 7, 59), "answered", "question", 100, "coord_a", "Prices")  # Sun Mar 7 23:59 PST
AFTER_WEEK = (utc(2027, 3, 15, 7, 0), "answered", "question", 60, "coord_a", "Prices")    # Mon Mar 15 00:00 PDT


def rows_for(calls, start_number=1):
    rows = []
    for n, (started, status, outcome, duration, coordinator, topic) in enumerate(calls, start=start_number):
        rows.append(remote_call(900_000 + n, started_at=started, status=status, outcome=outcome,
                                duration_seconds=duration, coordinator_id=coordinator, topic=topic,
                                appointment_id=f"appt_{n}" if outcome == "booked" else None))
    return rows


def load(business, calls):
    rollups.rebuild(business)
    apply_remote_calls(business, rows_for(calls))
    db.session.commit()


def test_dst_week_figures_are_the_hand_computed_ones(app, factories):
    business = la_business(factories)
    load(business, DST_WEEK + [BEFORE_WEEK, AFTER_WEEK])
    week = DateRange("custom", date(2027, 3, 8), date(2027, 3, 14))
    report = services.build_report(business, week)

    t = report.totals
    assert (t.calls, t.answered, t.missed, t.voicemail) == (6, 4, 1, 1)
    assert t.talk_seconds == 300 + 120 + 200 + 400  # answered only; the voicemail's 40 s is not talk
    assert t.average_talk_seconds == 1020 / 4
    assert (t.bookings, t.leads) == (2, 1)
    assert t.answer_rate == 4 / 6
    assert t.booking_rate == 2 / 6 and t.lead_rate == 1 / 6
    per_day = {day: totals.calls for day, totals in report.per_day.items() if totals.calls}
    assert per_day == {date(2027, 3, 8): 1, date(2027, 3, 10): 2, date(2027, 3, 14): 3}
    # Hour of week in Los Angeles wall time; Sunday (row 7) holds 00:30 PST, 03:30 PDT and 23:30 PDT.
    grid = report.heatmap
    assert grid[0][0] == 1          # Monday 00:xx
    assert grid[2][9] == 2          # Wednesday 09:xx
    assert grid[6][0] == 1 and grid[6][3] == 1 and grid[6][23] == 1
    assert sum(map(sum, grid)) == 6
    assert {k: v.calls for k, v in report.coordinators.items()} == {"coord_a": 4, "coord_b": 2}
    assert dict(services.topic_counts(business, week)) == {
        "Bookings": 2, "Prices": 1, "Missed calls": 1, "Quotes and follow-ups": 1, "Voicemails": 1}
    # The previous week holds only Sunday Mar 7 23:59 PST.
    deltas = {d.name: d for d in report.deltas()}
    assert report.previous.calls == 1
    assert deltas["calls"].direction == "up" and deltas["calls"].change == 500.0
    assert deltas["calls"].tone == "good"
    assert deltas["answer_rate"].direction == "down" and round(deltas["answer_rate"].change, 2) == round((4 / 6 - 1) * 100, 2)
    assert deltas["missed"].tone == "bad"  # more missed calls is worse


def test_dst_days_are_23_and_25_hours(app, factories):
    business = la_business(factories)
    spring = DateRange("custom", date(2027, 3, 14), date(2027, 3, 14))
    autumn = DateRange("custom", date(2027, 11, 7), date(2027, 11, 7))
    start, end = spring.bounds(business)
    assert (end - start).total_seconds() == 23 * 3600
    start, end = autumn.bounds(business)
    assert (end - start).total_seconds() == 25 * 3600
    # 01:30 happens twice on Nov 7: both calls are that local day, hour 1.
    load(business, [(utc(2027, 11, 7, 8, 30), "answered", "question", 10, "c", "Prices"),
                    (utc(2027, 11, 7, 9, 30), "answered", "question", 10, "c", "Prices")])
    report = services.build_report(business, autumn)
    assert report.totals.calls == 2 and report.heatmap[6][1] == 2


def test_incremental_rollups_equal_a_full_recount(app, factories):
    business = la_business(factories)
    load(business, DST_WEEK)
    rows = rows_for(DST_WEEK)
    # A newer version of two calls: one moves to another local day and status, one changes topic and outcome.
    moved = dict(rows[1], started_at="2027-03-12T20:00:00.000000Z", status="missed", duration_seconds=0,
                 updated_at="2027-03-20T00:00:00.000000Z")
    retopic = dict(rows[3], outcome="booked", topic="Bookings", appointment_id="appt_x",
                   updated_at="2027-03-20T00:00:00.000000Z")
    stale = dict(rows[0], status="missed", updated_at="2020-01-01T00:00:00.000000Z")  # older: ignored
    fresh = rows_for([(utc(2027, 3, 9, 19, 0), "answered", "message", 33, "coord_c", "Messages for the team")],
                     start_number=50)
    apply_remote_calls(business, [moved, retopic, stale, *fresh])
    apply_remote_calls(business, [moved])  # a redelivered webhook changes nothing
    db.session.commit()

    daily, hourly, topics = rollups.stored(business)
    expected = rollups.recount(business)
    assert daily == {k: v for k, v in expected.daily.items() if any(v)}
    assert hourly == {k: v for k, v in expected.hourly.items() if v}
    assert topics == {k: v for k, v in expected.topics.items() if v}
    assert topics[(date(2027, 3, 14), "Bookings")] == 2  # Sun 23:30 PDT and the re-topiced Sun 00:30 PST
    report = services.build_report(business, DateRange("custom", date(2027, 3, 8), date(2027, 3, 14)))
    assert (report.totals.calls, report.totals.missed, report.totals.bookings) == (7, 2, 3)


def test_rebuild_is_idempotent_and_follows_a_zone_change(app, factories):
    business = la_business(factories)
    load(business, DST_WEEK)
    first = rollups.stored(business)
    rollups.rebuild(business)
    db.session.commit()
    assert rollups.stored(business) == first
    business.timezone = "Europe/Berlin"
    db.session.commit()
    assert not rollups.is_current(business)
    assert rollups.ensure_current(business)
    sunday_late = services.heatmap(business, DateRange("custom", date(2027, 3, 15), date(2027, 3, 15)))
    assert sunday_late[0][7] == 1  # 06:30 UTC Mar 15 is Monday 07:30 in Berlin


def test_overview_statement_count_does_not_grow_with_the_range(app, factories):
    business = la_business(factories)
    load(business, DST_WEEK)
    services.build_report(business, DateRange("custom", date(2027, 3, 8), date(2027, 3, 8)))  # loads `business`
    counts = []
    for first in (date(2027, 3, 8), date(2026, 3, 1)):
        _, statements = statements_during(
            lambda: services.build_report(business, DateRange("custom", first, date(2027, 3, 14))))
        counts.append(len(statements))
    assert counts[0] == counts[1] == 5  # per day, per assistant and campaign, previous period, heatmap, names


def _matches_recount(business):
    daily, hourly, topics = rollups.stored(business)
    expected = rollups.recount(business)
    return (daily == {k: v for k, v in expected.daily.items() if any(v)}
            and hourly == {k: v for k, v in expected.hourly.items() if v}
            and topics == {k: v for k, v in expected.topics.items() if v})


def test_a_transactions_rollup_changes_are_written_once_as_it_commits(app, factories):
    """Batches of one transaction share their rollup rows and write them at its
    commit; a rollback drops them with the calls; a savepoint's release does not
    write them; a rebuild in the same transaction does not count them twice."""
    business = la_business(factories)
    load(business, DST_WEEK[:2])
    before = rollups.stored(business)

    # Two batches, then a savepoint released: nothing written yet, then one write at the commit.
    apply_remote_calls(business, rows_for(DST_WEEK[2:4], start_number=10))
    apply_remote_calls(business, rows_for(DST_WEEK[4:], start_number=20))
    with db.session.begin_nested():
        pass
    assert rollups.stored(business) == before
    _, statements = statements_during(db.session.commit)
    assert sum("INSERT INTO call_daily_rollups" in s for s in statements) == 1
    assert rollups.stored(business) != before and _matches_recount(business)

    # A rollback drops the calls and their pending rollup changes together.
    committed = rollups.stored(business)
    apply_remote_calls(business, rows_for(DST_WEEK, start_number=30))
    db.session.rollback()
    db.session.commit()
    assert rollups.stored(business) == committed and _matches_recount(business)

    # A rebuild after an upsert in the same transaction counts those calls once.
    apply_remote_calls(business, rows_for(DST_WEEK, start_number=40))
    rollups.rebuild(business)
    db.session.commit()
    assert _matches_recount(business)
    assert rollups.stored(business)[0] != committed[0]


def test_an_upsert_in_a_savepoint_counts_inside_it_and_a_failed_write_blocks_the_commit(app, factories, monkeypatch):
    import pytest

    business = la_business(factories)
    load(business, DST_WEEK[:2])
    before = rollups.stored(business)
    savepoint = db.session.begin_nested()
    apply_remote_calls(business, rows_for(DST_WEEK[2:4], start_number=60))
    savepoint.rollback()  # the calls and their increments go together
    db.session.commit()
    assert rollups.stored(business) == before and _matches_recount(business)
    with db.session.begin_nested():
        apply_remote_calls(business, rows_for(DST_WEEK[2:4], start_number=70))
    db.session.commit()
    assert rollups.stored(business) != before and _matches_recount(business)

    # Writing the held increments fails: the transaction will not commit until it is rolled back.
    counted = rollups.stored(business)
    apply_remote_calls(business, rows_for(DST_WEEK[4:], start_number=80))
    monkeypatch.setattr(rollups, "apply_tally", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("lock timeout")))
    with pytest.raises(RuntimeError, match="lock timeout"):
        db.session.commit()
    monkeypatch.undo()
    with pytest.raises(rollups.PendingRollupsFailed):
        db.session.commit()  # a caller that caught the error and tried again
    db.session.rollback()
    db.session.commit()
    assert rollups.stored(business) == counted and _matches_recount(business)


def test_a_first_build_waits_for_calls_written_without_rollups(app, factories):
    """PostgreSQL: a sync's open transaction wrote calls before the business had
    rollups (so with no tally); a first build in another transaction waits for
    it to commit and counts them, instead of leaving them out for good."""
    import threading

    import pytest

    from app.models import Business

    if db.engine.dialect.name != "postgresql":
        pytest.skip("an advisory lock of PostgreSQL's; SQLite has one writer at a time")
    business = la_business(factories)
    business_id = business.id
    apply_remote_calls(business, rows_for(DST_WEEK))  # no rollups yet: written without a tally
    counted = []

    def first_build():
        with app.app_context():
            counted.append(rollups.rebuild(db.session.get(Business, business_id)))
            db.session.commit()
            db.session.remove()

    build = threading.Thread(target=first_build)
    build.start()
    build.join(timeout=1)
    assert build.is_alive(), "the first build must wait for the transaction that wrote calls without a tally"
    db.session.commit()
    build.join(timeout=30)
    assert counted == [len(DST_WEEK)]
    assert _matches_recount(business)
