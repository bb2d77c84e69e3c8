"""The dashboard's statistics read the daily rollups for closed local days and
the calls table for today only; they must equal a full recount of the calls
(the dashboard's own all-live path), in a non-UTC zone, across a DST change,
after calls were inserted, re-delivered and changed by the upserts that the
sync and the webhooks share."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from app.analytics import rollups
from app.dashboard import services
from app.extensions import db
from app.crm_sync.upserts import apply_remote_calls
from tests.sql_helpers import statements_during
from tests.sync_helpers import activate, remote_call

UTC = timezone.utc
# Tuesday March 16 2027, 10:00 in Los Angeles (PDT): the 30 days shown span
# the DST change of Sunday March 14 (a 23-hour local day).
NOW = datetime(2027, 3, 16, 17, 0, tzinfo=UTC)


def la_business(factories):
    business = factories.business(owner=factories.user(), name="Venice Salon", timezone="America/Los_Angeles")
    activate(business, package="ai_business_suite")
    return business


def calls_around_the_dst_change():
    moments = [
        NOW - timedelta(minutes=10),                   # today
        datetime(2027, 3, 16, 7, 5, tzinfo=UTC),       # 00:05 PDT today
        datetime(2027, 3, 16, 6, 55, tzinfo=UTC),      # 23:55 PDT Monday: yesterday, though the same UTC day
        datetime(2027, 3, 14, 9, 59, tzinfo=UTC),      # 01:59 PST Sunday, just before the clocks jump
        datetime(2027, 3, 14, 10, 0, tzinfo=UTC),      # 03:00 PDT Sunday
        datetime(2027, 3, 8, 7, 59, tzinfo=UTC),       # Sunday Mar 7 23:59 PST
        datetime(2027, 2, 15, 8, 0, tzinfo=UTC),       # Feb 15 00:00 PST: the first day of the 30
        datetime(2027, 2, 15, 7, 59, tzinfo=UTC),      # Feb 14 23:59 PST: outside the 30 days
    ]
    statuses = ["answered", "missed", "answered", "voicemail", "answered", "answered", "missed", "answered"]
    outcomes = ["booked", "no_answer", "lead", "message", "question", "booked", "no_answer", "lead"]
    return [remote_call(700 + n, started_at=moment, status=status, outcome=outcome,
                        duration_seconds=60 * (n + 1) if status == "answered" else 0,
                        appointment_id=f"appt_{n}" if outcome == "booked" else None)
            for n, (moment, status, outcome) in enumerate(zip(moments, statuses, outcomes))]


def as_figures(stats, chart):
    return ({key: vars(window) for key, window in stats.items()},
            [(bar.day, bar.total, bar.answered) for bar in chart.bars])


def full_recount(business, monkeypatch):
    """The dashboard's figures read from the calls table alone (its path while
    the rollups are not built yet)."""
    with monkeypatch.context() as patch:
        patch.setattr(rollups, "ensure_current", lambda business: False)
        return as_figures(*services.call_statistics(business, NOW))


def test_dashboard_figures_from_rollups_equal_a_full_recount_across_dst(app, factories, clock, monkeypatch):
    clock.set(NOW)
    business = la_business(factories)
    rollups.rebuild(business)
    rows = calls_around_the_dst_change()
    apply_remote_calls(business, rows)
    db.session.commit()
    # A redelivered webhook, a call that changed status and day, a new one.
    changed = dict(rows[4], status="missed", duration_seconds=0, outcome="no_answer",
                   started_at="2027-03-13T18:00:00.000000Z", updated_at="2027-03-16T16:00:00.000000Z")
    apply_remote_calls(business, [rows[0], changed, remote_call(799, started_at=NOW - timedelta(days=6))])
    db.session.commit()

    stats, chart = services.call_statistics(business, NOW)
    assert as_figures(stats, chart) == full_recount(business, monkeypatch)
    assert chart.bars[0].day == date(2027, 2, 15) and chart.bars[-1].day == date(2027, 3, 16)
    by_day = {bar.day: bar.total for bar in chart.bars}
    assert by_day[date(2027, 3, 16)] == 2 and by_day[date(2027, 3, 15)] == 1  # 23:55 PDT Monday
    assert by_day[date(2027, 3, 14)] == 1 and by_day[date(2027, 3, 13)] == 1  # the moved call
    assert by_day[date(2027, 2, 15)] == 1 and stats["month"].total == 8  # Feb 14 23:59 PST left out
    assert (stats["today"].total, stats["today"].answered, stats["today"].booked) == (2, 1, 1)

    # Rebuilt by the command's function: idempotent, same figures.
    rollups.rebuild(business)
    db.session.commit()
    assert as_figures(*services.call_statistics(business, NOW)) == full_recount(business, monkeypatch)


def test_only_today_is_read_from_the_calls_table(app, factories, clock):
    clock.set(NOW)
    business = la_business(factories)
    rollups.rebuild(business)
    apply_remote_calls(business, calls_around_the_dst_change())
    db.session.commit()
    assert business.timezone  # reloads the row the commit expired, before counting
    _, statements = statements_during(lambda: services.call_statistics(business, NOW))
    on_calls = [s for s in statements if "FROM calls" in s]
    assert len(on_calls) == 1 and "call_daily_rollups" in " ".join(statements)
    assert len(statements) <= 3


def test_without_current_rollups_the_dashboard_reads_calls_and_queues_a_rebuild(app, factories, clock, monkeypatch):
    clock.set(NOW)
    business = la_business(factories)
    apply_remote_calls(business, calls_around_the_dst_change())
    db.session.commit()
    monkeypatch.setattr(rollups, "INLINE_REBUILD_LIMIT", 3)  # as for a business too large to recount inline
    queued = []
    monkeypatch.setattr("app.jobs.enqueue", lambda *args, **kwargs: queued.append((args, kwargs)))
    stats, _chart = services.call_statistics(business, NOW)
    assert stats["month"].total == 7 and not rollups.is_current(business)
    assert queued and queued[0][1]["job_id"] == f"rollups:{business.id}"
