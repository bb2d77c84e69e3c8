"""The console's snapshot path (closed months stored, live month on read) gives
exactly the figures of the full computation from the immutable records, on
hand-computed fixtures; operator zone America/New_York, "now" mid-June 2027.

Histories (first paid month in New York in brackets):
  A [Jan] receptionist, upgrades to sales in June (live month);
  B [Feb] sales, cancelled in April, back on receptionist in June (reactivation);
  C [Feb] suite from 2027-03-01 03:00 UTC = Feb 28 22:00 in New York (the month
      boundary), past due then suspended in June;
  D [Jun] receptionist, subscribes and cancels in June.
"""
from __future__ import annotations

from dataclasses import astuple
from datetime import date

import pytest

from app.admin.metrics import adoption, kpis, mrr, revenue, snapshots, usage
from app.admin.metrics.periods import months_between
from app.extensions import db
from app.models import Appointment, Call, ChatConversation, Contact, MetricSnapshot
from tests.operator_helpers import at, history, new_york_mid_june  # noqa: F401  (fixture)

R, S, SUITE = "ai_receptionist", "ai_sales", "ai_business_suite"
JUNE = date(2027, 6, 1)

pytestmark = pytest.mark.usefixtures("new_york_mid_june")


@pytest.fixture
def businesses(factories):
    a, b, c, d = (factories.business(owner=factories.user(), name=f"Snap {n}") for n in "ABCD")
    history(a, ("2027-01-05 15:00", R, 4900, "active", "subscribed"), ("2027-06-03 15:00", S, 9900, "active", "upgraded"))
    history(b, ("2027-02-06 15:00", S, 9900, "active", "subscribed"), ("2027-04-20 15:00", S, 9900, "cancelled", "cancelled"),
            ("2027-06-05 15:00", R, 4900, "active", "subscribed"))
    history(c, ("2027-03-01 03:00", SUITE, 19900, "active", "subscribed"),
            ("2027-06-10 15:00", SUITE, 19900, "past_due", "payment_failed"),
            ("2027-06-14 15:00", SUITE, 19900, "suspended", "grace_period_ended"))
    history(d, ("2027-06-02 15:00", R, 4900, "active", "subscribed"), ("2027-06-12 15:00", R, 4900, "cancelled", "cancelled"))
    usage_rows = [  # (business, started UTC, direction, seconds, status)
        (a, "2027-01-20 15:00", "inbound", 600, "answered"),
        (c, "2027-03-01 03:30", "inbound", 240, "answered"),  # Feb 28 in New York: February, under suite
        (c, "2027-03-01 05:30", "outbound", 120, "missed"),  # 00:30 on March 1st in New York: March
        (b, "2027-05-10 15:00", "inbound", 300, "answered"),  # B not paying in May: "none"
        (a, "2027-06-04 15:00", "outbound", 90, "answered"),  # live month
        (d, "2027-06-03 15:00", "inbound", 45, "voicemail"),
    ]
    for index, (business, started, direction, seconds, status) in enumerate(usage_rows):
        db.session.add(Call(business_id=business.id, remote_id=f"snap{index}", direction=direction,
                            started_at=at(started), duration_seconds=seconds, status=status))
    db.session.add(Appointment(business_id=a.id, customer_name="X", starts_at=at("2027-06-20 15:00"),
                               ends_at=at("2027-06-20 15:30"), source="call", created_at=at("2027-01-21 15:00")))
    db.session.add(Appointment(business_id=c.id, customer_name="Y", starts_at=at("2027-06-20 15:00"),
                               ends_at=at("2027-06-20 15:30"), source="chat", created_at=at("2027-06-02 15:00")))
    db.session.add(Contact(business_id=c.id, name="Boundary", created_at=at("2027-03-01 04:00")))  # February
    db.session.add(Contact(business_id=a.id, name="Live", created_at=at("2027-06-06 15:00")))
    db.session.add(ChatConversation(business_id=b.id, visitor_id="v-apr", created_at=at("2027-04-02 15:00")))
    db.session.commit()
    return a, b, c, d


def _figures(figures):
    return [(f.month, f.mrr_start, f.mrr_end, f.customers_start, f.customers_end, f.amounts, f.counts,
             dict(f.packages_end)) for f in figures]


def _usage(table):
    return {key: tuple(getattr(cell, name) for name in usage.SUMMED) for key, cell in table.items()}


RANGES = [
    (date(2027, 1, 1), JUNE),  # closed months and the live one
    (date(2027, 2, 1), date(2027, 4, 1)),  # closed months only
    (JUNE, JUNE),  # the live month alone (its cohorts start from May's snapshot)
    (date(2027, 5, 1), JUNE),
]


@pytest.mark.parametrize("first,last", RANGES)
@pytest.mark.parametrize("package", [None, R, SUITE])
def test_every_page_figure_from_snapshots_equals_the_full_computation(businesses, first, last, package):
    assert snapshots.rebuild() == 5  # January to May are closed
    months = months_between(first, last)
    full = mrr.build_timeline(months, package)
    view = snapshots.Monthly(months, package)
    assert view.full is None  # read from the snapshots, not recomputed

    assert _figures(view.figures()) == _figures(full.figures)
    assert revenue.revenue_months_from(view.figures(), view.retentions()) == revenue.revenue_months(full)
    assert astuple(revenue.ltv(view.figures(), JUNE)) == astuple(revenue.ltv(full.figures, JUNE))
    assert adoption.adoption_months(view.figures(), date(2027, 1, 1)) == adoption.adoption_months(full.figures,
                                                                                                 date(2027, 1, 1))
    if package is None:
        assert revenue.cohort_grid_from(view.cohorts()) == revenue.cohort_grid(full)
        assert _usage(view.usage()) == _usage(usage.usage_months(full))


def test_hand_computed_cohorts_usage_and_retention_through_the_snapshots(businesses):
    snapshots.rebuild()
    months = months_between(date(2027, 1, 1), JUNE)
    view = snapshots.Monthly(months)
    grid = {row.month: (row.size, row.retained) for row in revenue.cohort_grid_from(view.cohorts())}
    assert grid == {
        date(2027, 1, 1): (1, [1.0] * 6),
        date(2027, 2, 1): (2, [1.0, 1.0, 0.5, 0.5, 0.5]),  # B leaves in April, comes back as C is suspended
        JUNE: (1, [0.0]),  # D paid and left within the month
    }
    table = view.usage()
    assert table[(date(2027, 2, 1), SUITE)].calls == 1 and table[(date(2027, 2, 1), SUITE)].inbound_seconds == 240
    assert table[(date(2027, 2, 1), SUITE)].contacts_created == 1
    assert table[(date(2027, 3, 1), SUITE)].outbound_seconds == 120
    assert table[(date(2027, 5, 1), usage.NO_PACKAGE)].calls == 1
    assert table[(JUNE, R)].calls == 1 and table[(JUNE, SUITE)].ai_bookings == 1
    june = view.retentions()[-1]
    # Paying on June 1st: A 4900 and C 19900; at the month's end A pays 9900 and C nothing.
    assert (june.base, june.kept, june.net) == (24800, 4900, 9900)


def test_overview_takes_last_months_calls_from_the_snapshot(businesses):
    snapshots.rebuild()
    view = snapshots.Monthly(months_between(date(2027, 5, 1), JUNE))
    stored = sum(cell.calls for cell in view.usage_cells(date(2027, 5, 1)))
    assert stored == 1
    assert kpis.calls_last_complete_month(2, stored) == kpis.calls_last_complete_month(2)


def test_a_missing_or_older_snapshot_falls_back_to_the_full_computation_and_queues_a_rebuild(businesses, run_jobs):
    snapshots.rebuild()
    months = months_between(date(2027, 1, 1), JUNE)
    full = mrr.build_timeline(months)
    for row in db.session.query(MetricSnapshot).filter_by(month=date(2027, 3, 1), package=""):
        row.figures = {k: v for k, v in row.figures.items() if k != "usage"}  # written before usage was stored
    db.session.commit()
    view = snapshots.Monthly(months)
    assert view.full is not None
    assert _usage(view.usage()) == _usage(usage.usage_months(full))
    run_jobs()
    assert snapshots.Monthly(months).full is None


def test_a_history_row_in_a_closed_month_queues_a_rebuild(businesses, monkeypatch):
    import app.jobs
    from app.jobs.queue import resolve_job

    queued = []
    monkeypatch.setattr(app.jobs, "enqueue", lambda func, *args, **kwargs: queued.append((func, kwargs)))
    snapshots.queue_rebuild_if_closed(at("2027-06-02 15:00"))  # the live month: read live anyway
    assert queued == []
    snapshots.queue_rebuild_if_closed(at("2027-05-31 15:00"))
    ((func, kwargs),) = queued
    assert kwargs["job_id"] == snapshots.JOB_ID and kwargs["delay"].total_seconds() > 0  # one job id: no pile-up
    resolve_job(func)()
    assert db.session.query(MetricSnapshot).filter_by(package="").count() == 5


def test_the_rebuild_is_idempotent(businesses):
    snapshots.rebuild()
    first = sorted((r.month, r.package, r.figures) for r in db.session.query(MetricSnapshot))
    snapshots.rebuild()
    assert sorted((r.month, r.package, r.figures) for r in db.session.query(MetricSnapshot)) == first


def test_the_overviews_lagging_count_is_counted_in_sql(factories):
    """Live integrations more than 30 minutes since their last successful sync (the oldest
    sync cursor when there are cursors, else the integration's own time); never synced counts."""
    from app.admin.health import lagging_count
    from app.models import FourCallsIntegration, SyncCursor

    now = at("2027-06-15 12:00")
    cases = [  # (integration synced, cursor times, target status, lagging?)
        ("2027-06-15 11:50", [], "active", False),
        ("2027-06-15 11:00", [], "active", True),
        (None, [], "active", True),
        ("2027-06-15 11:55", ["2027-06-15 11:58", "2027-06-15 11:00"], "active", True),  # the oldest cursor counts
        ("2027-06-15 10:00", ["2027-06-15 11:58", None], "active", False),  # a cursor not yet synced is ignored
        (None, [], "paused", False),
    ]
    for index, (synced, cursors, target, _lagging) in enumerate(cases):
        business = factories.business(owner=factories.user(), name=f"Lag {index}")
        db.session.add(FourCallsIntegration(business_id=business.id, service_package=R, status="active",
                                            target_status=target, last_synced_at=synced and at(synced)))
        for kind, cursor in zip(("calls", "contacts"), cursors):
            db.session.add(SyncCursor(business_id=business.id, kind=kind, last_synced_at=cursor and at(cursor)))
    db.session.commit()
    assert lagging_count(now) == sum(1 for case in cases if case[3]) == 3


def test_claimed_counts_per_month_end_at_the_operators_midnight(factories):
    from app.admin.metrics.adoption import claimed_by_month_end

    for index, claimed in enumerate(["2027-01-10 15:00", "2027-03-01 03:00", "2027-03-01 05:30", None]):
        business = factories.business(owner=factories.user(), name=f"Claim {index}")
        business.claimed_at = claimed and at(claimed)
    db.session.commit()
    # 03:00 UTC on March 1st is still February in New York; 05:30 UTC is March.
    assert claimed_by_month_end(months_between(date(2027, 1, 1), date(2027, 4, 1))) == [1, 2, 3, 3]
    assert claimed_by_month_end(months_between(date(2027, 3, 1), date(2027, 3, 1))) == [3]


@pytest.fixture
def renewals(businesses, factories):
    """Beside A-D, rows in June that repeat the state before them (a renewal), which the live month
    skips, and changes it must not skip: a package swap at the same price, a renewal after a
    price change in June itself, and a first row ever in June."""
    e, f, g, h = (factories.business(owner=factories.user(), name=f"Snap {n}") for n in "EFGH")
    history(e, ("2027-01-10 15:00", R, 4900, "active", "subscribed"), ("2027-05-10 15:00", R, 4900, "active", "renewed"),
            ("2027-06-09 15:00", R, 4900, "active", "renewed"))
    history(f, ("2027-02-10 15:00", S, 9900, "active", "subscribed"), ("2027-06-04 15:00", R, 9900, "active", "price_changed"))
    history(g, ("2027-03-10 15:00", S, 9900, "active", "subscribed"), ("2027-06-02 15:00", S, 4900, "active", "price_changed"),
            ("2027-06-11 15:00", S, 4900, "active", "renewed"))
    history(h, ("2027-02-10 15:00", R, 4900, "active", "subscribed"), ("2027-04-10 15:00", R, 4900, "cancelled", "cancelled"),
            ("2027-06-06 15:00", R, 4900, "cancelled", "renewed"))
    return businesses + (e, f, g, h)


@pytest.mark.parametrize("package", [None, R, S])
def test_the_live_month_skips_only_renewals_that_change_nothing(renewals, package):
    from app.admin.metrics.mrr import changed_between
    from app.admin.metrics.periods import month_start

    snapshots.rebuild()
    a, b, c, d, e, f, g, h = renewals
    changed = set(db.session.scalars(changed_between(month_start(JUNE), month_start(date(2027, 7, 1)))))
    assert changed == {a.id, b.id, c.id, d.id, f.id, g.id}  # E renews as it was; H stays cancelled
    months = months_between(date(2027, 4, 1), JUNE)
    full = mrr.build_timeline(months, package)
    view = snapshots.Monthly(months, package)
    assert view.full is None
    assert _figures(view.figures()) == _figures(full.figures)
    assert revenue.revenue_months_from(view.figures(), view.retentions()) == revenue.revenue_months(full)
    if package is None:
        assert revenue.cohort_grid_from(view.cohorts()) == revenue.cohort_grid(full)
        assert _usage(view.usage()) == _usage(usage.usage_months(full))
    for month in months:
        by_month = full.by_month()[month]
        for kind in mrr.KINDS:
            expected = sorted(by_month.movements[kind], key=lambda m: m.at)
            assert mrr.month_movements(month, kind, package) == expected, (month, kind)
