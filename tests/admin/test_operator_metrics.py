"""Operator metrics on hand-computed histories (docs/metrics.md).

Operator zone America/New_York; "now" is mid-June 2027 unless a test says otherwise.
"""
from __future__ import annotations

from datetime import date

import pytest

from app.admin.metrics import adoption, mrr, revenue
from app.admin.metrics.periods import months_between
from app.extensions import db
from app.models import BillingInvoice
from tests.operator_helpers import at, history, new_york_mid_june  # noqa: F401  (fixture)

R, S, SUITE = "ai_receptionist", "ai_sales", "ai_business_suite"
MARCH = date(2027, 3, 1)

pytestmark = pytest.mark.usefixtures("new_york_mid_june")


def figures(first, last, package=None):
    return mrr.build_timeline(months_between(first, last), package).by_month()


def test_same_month_signup_and_cancel_counts_as_new_and_churn(factories):
    b = factories.business(owner=factories.user())
    history(b, ("2027-03-05 15:00", R, 4900, "active", "subscribed"),
            ("2027-03-10 15:00", R, 4900, "active", "cancellation_scheduled"),
            ("2027-03-25 15:00", R, 4900, "cancelled", "cancelled"))
    march = figures(MARCH, MARCH)[MARCH]
    assert march.amounts == {"new": 4900, "expansion": 0, "reactivation": 0, "contraction": 0, "churn": -4900}
    assert march.counts["new"] == 1 and march.counts["churn"] == 1
    assert (march.mrr_start, march.mrr_end, march.net) == (0, 0, 0)


def test_cancellation_churns_at_the_end_of_the_paid_period_not_at_the_click(factories):
    b = factories.business(owner=factories.user())
    history(b, ("2027-01-10 15:00", S, 9900, "active", "subscribed"),
            ("2027-03-20 15:00", S, 9900, "active", "cancellation_scheduled"),  # the click, in March
            ("2027-04-10 15:00", S, 9900, "cancelled", "cancelled"))  # the period's end, in April
    by_month = figures(MARCH, date(2027, 4, 1))
    assert by_month[MARCH].counts["churn"] == 0 and by_month[MARCH].mrr_end == 9900
    assert by_month[date(2027, 4, 1)].amounts["churn"] == -9900 and by_month[date(2027, 4, 1)].mrr_end == 0


def test_reactivation_after_churn(factories):
    b = factories.business(owner=factories.user())
    history(b, ("2027-01-10 15:00", S, 9900, "active", "subscribed"),
            ("2027-02-15 15:00", S, 9900, "cancelled", "cancelled"),
            ("2027-04-02 15:00", R, 4900, "active", "subscribed"))
    by_month = figures(date(2027, 1, 1), date(2027, 4, 1))
    assert by_month[date(2027, 1, 1)].amounts["new"] == 9900
    assert by_month[date(2027, 2, 1)].amounts["churn"] == -9900
    april = by_month[date(2027, 4, 1)]
    assert april.amounts["reactivation"] == 4900 and april.amounts["new"] == 0 and april.counts["reactivation"] == 1


def test_upgrade_and_downgrade_in_one_month(factories):
    b = factories.business(owner=factories.user())
    history(b, ("2027-01-10 15:00", R, 4900, "active", "subscribed"),
            ("2027-03-03 15:00", SUITE, 19900, "active", "upgraded"),
            ("2027-03-25 15:00", S, 9900, "active", "downgraded"))
    march = figures(MARCH, MARCH)[MARCH]
    assert march.amounts["expansion"] == 15000 and march.amounts["contraction"] == -10000
    assert march.counts["expansion"] == 1 and march.counts["contraction"] == 1
    assert (march.mrr_start, march.mrr_end, march.net) == (4900, 9900, 5000)


def test_past_due_counts_until_suspension_then_churns_and_recovers_as_reactivation(factories):
    b = factories.business(owner=factories.user())
    history(b, ("2027-01-10 15:00", SUITE, 19900, "active", "subscribed"),
            ("2027-02-10 15:00", SUITE, 19900, "past_due", "payment_failed"),
            ("2027-02-17 15:00", SUITE, 19900, "suspended", "grace_period_ended"),
            ("2027-03-05 15:00", SUITE, 19900, "active", "reactivated"))
    assert mrr.mrr_at(at("2027-02-15 00:00")) == 19900  # past due still counts
    assert mrr.mrr_at(at("2027-02-20 00:00")) == 0  # suspended
    by_month = figures(date(2027, 2, 1), MARCH)
    assert by_month[date(2027, 2, 1)].amounts["churn"] == -19900
    assert by_month[MARCH].amounts["reactivation"] == 19900


def test_month_boundary_is_the_operators_midnight(factories, app):
    b = factories.business(owner=factories.user())
    # 03:00 UTC on March 1st is 22:00 on February 28th in New York.
    history(b, ("2027-03-01 03:00", R, 4900, "active", "subscribed"))
    by_month = figures(date(2027, 2, 1), MARCH)
    assert by_month[date(2027, 2, 1)].amounts["new"] == 4900 and by_month[MARCH].amounts["new"] == 0
    app.config["OPERATOR_TIMEZONE"] = "UTC"
    by_month = figures(date(2027, 2, 1), MARCH)
    assert by_month[date(2027, 2, 1)].amounts["new"] == 0 and by_month[MARCH].amounts["new"] == 4900


def test_refunds_and_invoices_do_not_change_mrr(factories):
    b = factories.business(owner=factories.user())
    history(b, ("2027-01-10 15:00", S, 9900, "active", "subscribed"))
    before = mrr.mrr_at(at("2027-03-15 00:00"))
    db.session.add(BillingInvoice(business_id=b.id, stripe_invoice_id="in_refund", status="paid", amount_due=9900,
                                  amount_paid=0, currency="usd", issued_at=at("2027-03-01 00:00")))
    db.session.commit()
    assert before == mrr.mrr_at(at("2027-03-15 00:00")) == 9900


def test_package_filter_counts_movements_under_the_package_after_them(factories):
    b = factories.business(owner=factories.user())
    history(b, ("2027-01-10 15:00", R, 4900, "active", "subscribed"),
            ("2027-03-03 15:00", S, 9900, "active", "upgraded"))
    assert figures(MARCH, MARCH, S)[MARCH].amounts["expansion"] == 5000
    receptionist = figures(MARCH, MARCH, R)[MARCH]
    assert receptionist.amounts["expansion"] == 0 and receptionist.mrr_start == 4900 and receptionist.mrr_end == 0


def _four_businesses(factories):
    """Feb start: A 4900, B 9900 paying. Feb: A upgrades to 9900, B churns, C new 19900, D new 4900."""
    a, b, c, d = (factories.business(owner=factories.user(), name=n) for n in "ABCD")
    history(a, ("2027-01-05 15:00", R, 4900, "active", "subscribed"), ("2027-02-10 15:00", S, 9900, "active", "upgraded"))
    history(b, ("2027-01-06 15:00", S, 9900, "active", "subscribed"), ("2027-02-20 15:00", S, 9900, "cancelled", "cancelled"))
    history(c, ("2027-02-03 15:00", SUITE, 19900, "active", "subscribed"))
    history(d, ("2027-02-04 15:00", R, 4900, "active", "subscribed"))
    return a, b, c, d


def test_revenue_figures_by_hand(factories):
    _four_businesses(factories)
    timeline = mrr.build_timeline(months_between(date(2027, 1, 1), date(2027, 2, 1)))
    february = revenue.revenue_months(timeline)[1]
    # End of February: A 9900 + C 19900 + D 4900 = 34700 from 3 businesses.
    assert february.mrr == 34700 and february.customers == 3
    assert february.arpa == pytest.approx(34700 / 3)
    assert february.logo_churn == pytest.approx(1 / 2)  # B of {A, B}
    # (churn 9900 + contraction 0 - expansion 5000 - reactivation 0) / start 14800
    assert february.net_mrr_churn == pytest.approx(4900 / 14800)
    # Only A and B (paying at the start): gross min(9900,4900)+0 = 4900; net 9900 + 0.
    assert february.gross_retention == pytest.approx(4900 / 14800)
    assert february.net_retention == pytest.approx(9900 / 14800)
    january = revenue.revenue_months(timeline)[0]
    assert january.logo_churn is None and january.net_mrr_churn is None  # nobody paying at its start


def test_adoption_and_rates_by_hand(factories):
    _four_businesses(factories)
    factories.business(owner=factories.user(), name="E")  # claimed, never paying
    timeline = mrr.build_timeline(months_between(date(2027, 2, 1), date(2027, 2, 1)))
    (february,) = adoption.adoption_months(timeline.figures, date(2027, 1, 1))
    # The factories claim "now" (June), so for February use the June month too:
    assert february.months_since_launch == 1 and february.active == 3
    assert february.upgrade_rate == pytest.approx(1 / 2) and february.downgrade_rate == 0
    assert february.packages == {S: 1, SUITE: 1, R: 1}
    june = adoption.adoption_months(mrr.build_timeline([date(2027, 6, 1)]).figures, date(2027, 1, 1))[0]
    assert (june.claimed, june.active, june.adoption) == (5, 3, pytest.approx(3 / 5))


def test_time_from_claim_to_first_package(factories, clock):
    clock.set(at("2027-01-01 12:00"))
    a = factories.business(owner=factories.user(), name="Quick")
    b = factories.business(owner=factories.user(), name="Slow")
    clock.set(at("2027-06-15 12:00"))
    history(a, ("2027-01-04 12:00", R, 4900, "active", "subscribed"))  # 3 days
    history(b, ("2027-03-02 12:00", R, 4900, "active", "subscribed"))  # 60 days
    result = adoption.time_to_first_package(at("2027-07-01 00:00"))
    assert result.businesses == 2 and result.median_days == pytest.approx(31.5)
    assert dict(result.buckets) == {"within a week": 1, "8–30 days": 0, "31–90 days": 1, "over 90 days": 0}


def test_ltv_needs_six_complete_months_then_is_arpa_over_average_churn(factories, clock):
    # 10 businesses paying 10000 from Nov 2026; one churns in each of Jan and Mar 2027.
    businesses = [factories.business(owner=factories.user(), name=f"L{i}") for i in range(10)]
    for index, business in enumerate(businesses):
        rows = [("2026-11-10 15:00", R, 10000, "active", "subscribed")]
        if index == 0:
            rows.append(("2027-01-15 15:00", R, 10000, "cancelled", "cancelled"))
        if index == 1:
            rows.append(("2027-03-15 15:00", R, 10000, "cancelled", "cancelled"))
        history(business, *rows)
    short = mrr.build_timeline(months_between(date(2027, 1, 1), date(2027, 6, 1)))
    assert revenue.ltv(short.figures, date(2027, 6, 1)).value is None  # 5 complete months
    assert "Not enough data" in revenue.ltv(short.figures, date(2027, 6, 1)).reason
    timeline = mrr.build_timeline(months_between(date(2026, 12, 1), date(2027, 6, 1)))
    result = revenue.ltv(timeline.figures, date(2027, 6, 1))
    # Dec..May: churn rates 0, 1/10, 0, 1/9, 0, 0 -> average (0.1 + 0.1111) / 6; ARPA in May = 10000.
    average = (1 / 10 + 1 / 9) / 6
    assert result.average_churn == pytest.approx(average)
    assert result.value == pytest.approx(10000 / average)


def test_ltv_without_churn_is_not_enough_data(factories):
    for i in range(6):
        history(factories.business(owner=factories.user(), name=f"N{i}"), ("2026-11-10 15:00", R, 4900, "active", "subscribed"))
    timeline = mrr.build_timeline(months_between(date(2026, 12, 1), date(2027, 6, 1)))
    result = revenue.ltv(timeline.figures, date(2027, 6, 1))
    assert result.value is None and "Not enough data" in result.reason


def test_cohort_grid(factories):
    a, b = factories.business(owner=factories.user()), factories.business(owner=factories.user())
    history(a, ("2027-01-10 15:00", R, 4900, "active", "subscribed"), ("2027-02-20 15:00", R, 4900, "cancelled", "cancelled"))
    history(b, ("2027-01-12 15:00", S, 9900, "active", "subscribed"))
    grid = revenue.cohort_grid(mrr.build_timeline(months_between(date(2027, 1, 1), date(2027, 3, 1))))
    assert len(grid) == 1 and grid[0].month == date(2027, 1, 1) and grid[0].size == 2
    assert grid[0].retained == [1.0, 0.5, 0.5]


def test_empty_history_has_no_division_by_zero(app):
    timeline = mrr.build_timeline(months_between(date(2027, 1, 1), date(2027, 6, 1)))
    months = revenue.revenue_months(timeline)
    assert all(m.arpa is None and m.logo_churn is None and m.gross_retention is None for m in months)
    assert revenue.ltv(timeline.figures, date(2027, 6, 1)).value is None
    assert revenue.cohort_grid(timeline) == []
    assert adoption.adoption_months(timeline.figures, date(2027, 1, 1))[0].adoption is None


def _mixed_history(factories):
    a, b, c, d = (factories.business(owner=factories.user(), name=f"Snap {n}") for n in "ABCD")
    history(a, ("2027-01-05 15:00", R, 4900, "active", "subscribed"), ("2027-06-03 15:00", S, 9900, "active", "upgraded"))
    history(b, ("2027-02-06 15:00", S, 9900, "active", "subscribed"), ("2027-04-20 15:00", S, 9900, "cancelled", "cancelled"),
            ("2027-06-05 15:00", R, 4900, "active", "subscribed"))  # back in the live month: reactivation
    history(c, ("2027-03-01 03:00", SUITE, 19900, "active", "subscribed"),
            ("2027-06-10 15:00", SUITE, 19900, "past_due", "payment_failed"),
            ("2027-06-14 15:00", SUITE, 19900, "suspended", "grace_period_ended"))
    history(d, ("2027-06-02 15:00", R, 4900, "active", "subscribed"), ("2027-06-12 15:00", R, 4900, "cancelled", "cancelled"))


def _comparable(figure):
    return (figure.month, figure.mrr_start, figure.mrr_end, figure.customers_start, figure.customers_end,
            figure.amounts, figure.counts, dict(figure.packages_end))


@pytest.mark.parametrize("package", [None, R, SUITE])
def test_snapshots_plus_the_live_month_equal_the_full_computation(factories, run_jobs, package):
    from app.admin.jobs import rebuild_metric_snapshots
    from app.admin.metrics import snapshots
    from app.models import JobRun, MetricSnapshot

    _mixed_history(factories)
    months = months_between(date(2027, 1, 1), date(2027, 6, 1))
    full = [_comparable(f) for f in mrr.build_timeline(months, package).figures]
    assert [_comparable(f) for f in snapshots.figures_for(months, package)] == full  # no snapshot yet: full computation
    run_jobs()  # the rebuild the read queued
    rows = db.session.query(MetricSnapshot).count()
    assert rows == 5 * 5  # Jan..May (closed), all packages + each of four
    assert [_comparable(f) for f in snapshots.figures_for(months, package)] == full
    live = snapshots.live_month(date(2027, 6, 1), package)
    if package is None:
        assert live.amounts == {"new": 4900, "expansion": 5000, "reactivation": 4900, "contraction": 0, "churn": -24800}
    rebuild_metric_snapshots()  # idempotent: same rows, same figures
    assert db.session.query(MetricSnapshot).count() == rows
    assert [_comparable(f) for f in snapshots.figures_for(months, package)] == full
    assert db.session.query(JobRun).filter_by(kind="metric_snapshots", status="succeeded").count() >= 1
