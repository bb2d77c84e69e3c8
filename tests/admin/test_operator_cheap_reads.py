"""The console's cheap reads give what the full computations give, on hand-written histories:
the overview's margin card against the margin report, and the MRR drill-down for one month
against the full timeline.

Operator zone America/New_York; "now" is mid-June 2027 (June is the live month).
"""
from __future__ import annotations

from datetime import date

import pytest

from app.admin import margin
from app.admin.metrics import mrr
from app.admin.metrics.periods import add_months, month_start, months_between
from app.extensions import db
from app.models import Call, ChatConversation, ChatMessage
from app.models.base import utcnow
from tests.operator_helpers import at, history, new_york_mid_june  # noqa: F401  (fixture)

R, S, SUITE = "ai_receptionist", "ai_sales", "ai_business_suite"
MONTHS = months_between(date(2027, 1, 1), date(2027, 6, 1))

pytestmark = pytest.mark.usefixtures("new_york_mid_june")


def _calls(business, when: str, inbound_minutes: int, outbound_minutes: int = 0) -> None:
    for index, (direction, minutes) in enumerate((("inbound", inbound_minutes), ("outbound", outbound_minutes))):
        if minutes:
            db.session.add(Call(business_id=business.id, remote_id=f"{business.slug}-{when}-{index}",
                                direction=direction, started_at=at(when), duration_seconds=minutes * 60,
                                status="answered"))


def _messages(business, when: str, count: int) -> None:
    conversation = ChatConversation(business_id=business.id, visitor_id=f"v-{business.slug}-{when}")
    db.session.add(conversation)
    db.session.flush()
    for position in range(count):
        db.session.add(ChatMessage(conversation_id=conversation.id, position=position, role="assistant", text="hi",
                                   created_at=at(when)))


def _histories(factories):
    """Every shape the margin's revenue rule and the movements distinguish, in closed months and the live one."""
    b = {name: factories.business(owner=factories.user(), name=name) for name in (
        "steady", "upgrader", "canceller", "same-month", "past-due", "suspended", "comeback", "zero-then-new",
        "usage-only", "chat-only", "boundary")}
    history(b["steady"], ("2027-01-05 15:00", R, 4900, "active", "subscribed"))
    history(b["upgrader"], ("2027-01-06 15:00", R, 4900, "active", "subscribed"),
            ("2027-03-03 15:00", SUITE, 19900, "active", "upgraded"),
            ("2027-03-25 15:00", S, 9900, "active", "downgraded"),
            ("2027-06-03 15:00", SUITE, 19900, "active", "upgraded"))
    history(b["canceller"], ("2027-02-06 15:00", S, 9900, "active", "subscribed"),
            ("2027-04-10 15:00", S, 9900, "active", "cancellation_scheduled"),
            ("2027-05-20 15:00", S, 9900, "cancelled", "cancelled"))
    history(b["same-month"], ("2027-06-02 15:00", R, 4900, "active", "subscribed"),
            ("2027-06-12 15:00", R, 4900, "cancelled", "cancelled"))
    history(b["past-due"], ("2027-02-10 15:00", SUITE, 19900, "active", "subscribed"),
            ("2027-06-10 15:00", SUITE, 19900, "past_due", "payment_failed"))
    history(b["suspended"], ("2027-01-10 15:00", SUITE, 19900, "active", "subscribed"),
            ("2027-05-10 15:00", SUITE, 19900, "past_due", "payment_failed"),
            ("2027-05-17 15:00", SUITE, 19900, "suspended", "grace_period_ended"))
    history(b["comeback"], ("2027-01-10 15:00", S, 9900, "active", "subscribed"),
            ("2027-02-15 15:00", S, 9900, "cancelled", "cancelled"),
            ("2027-04-02 15:00", R, 4900, "active", "subscribed"),
            ("2027-06-05 15:00", R, 4900, "cancelled", "cancelled"),
            ("2027-06-11 15:00", S, 9900, "active", "subscribed"))
    history(b["zero-then-new"], ("2027-03-02 15:00", R, 0, "active", "trial"),
            ("2027-05-04 15:00", R, 4900, "active", "subscribed"))
    history(b["boundary"], ("2027-03-01 03:00", R, 4900, "active", "subscribed"))  # Feb 28th in New York
    # Usage: some businesses cheap to serve, some not, one with no revenue at all.
    _calls(b["steady"], "2027-06-02 15:00", 10, 5)
    _calls(b["upgrader"], "2027-06-04 15:00", 700, 200)  # costs more than it pays
    _calls(b["suspended"], "2027-05-12 15:00", 30)  # usage in the month it stopped paying
    _calls(b["canceller"], "2027-05-03 15:00", 120, 40)
    _calls(b["usage-only"], "2027-06-06 15:00", 3)
    _calls(b["usage-only"], "2027-05-06 15:00", 0, 2)
    _messages(b["chat-only"], "2027-06-07 15:00", 4)
    _messages(b["comeback"], "2027-06-08 15:00", 300)
    _messages(b["past-due"], "2027-05-28 15:00", 12)
    db.session.commit()
    return b


@pytest.mark.parametrize("floor", ["0", "40", "75", "95"])
def test_the_overview_margin_card_counts_what_the_margin_report_counts(app, factories, floor):
    _histories(factories)
    app.config["MARGIN_FLOOR_PERCENT"] = floor
    for month in MONTHS:
        report = margin.margin_report(month)
        assert margin.floor_count(month) == margin.FloorCount(report.below_floor, len(report.rows)), month
    june = margin.margin_report(date(2027, 6, 1))
    assert len(june.rows) == 9 and june.below_floor > 0  # the fixtures do reach both sides of the floor


def test_the_cards_revenue_per_business_is_the_reports(factories):
    _histories(factories)
    for month in MONTHS:
        start, end = month_start(month), min(month_start(add_months(month, 1)), utcnow())
        in_sql = {business_id: cents for business_id, cents in db.session.execute(
            margin._revenue_by_business(start, end)) if cents}
        assert in_sql == {business_id: cents for business_id, (cents, _package)
                          in margin.revenue_in_month(month).items()}, month
    # June by hand: steady, same-month (paid before cancelling), zero-then-new, boundary at 4900; comeback back
    # on 9900; upgrader on 19900 and past-due still counting 19900. Suspended and canceller stopped in May.
    june = margin.revenue_in_month(date(2027, 6, 1))
    assert sorted(cents for cents, _package in june.values()) == [4900, 4900, 4900, 4900, 9900, 19900, 19900]


@pytest.mark.parametrize("package", [None, R, S, SUITE])
def test_the_drilldown_reads_the_movements_the_full_timeline_finds(factories, package):
    _histories(factories)
    full = mrr.build_timeline(MONTHS, package).by_month()
    seen = 0
    for month in MONTHS:
        for kind in mrr.KINDS:
            expected = sorted(full[month].movements[kind], key=lambda m: m.at)
            assert mrr.month_movements(month, kind, package) == expected, (month, kind)
            seen += len(expected)
    assert seen >= (14 if package is None else 1)


def test_the_drilldown_tells_new_from_reactivation_with_a_partial_history(factories):
    b = _histories(factories)
    june = {kind: {m.business_id for m in mrr.month_movements(date(2027, 6, 1), kind)} for kind in mrr.KINDS}
    assert june["new"] == {b["same-month"].id}
    assert june["reactivation"] == {b["comeback"].id}
    assert june["churn"] == {b["same-month"].id, b["comeback"].id}
    assert june["expansion"] == {b["upgrader"].id}
    # 03:00 UTC on March 1st is February 28th in New York: February's new business, not March's.
    assert b["boundary"].id in {m.business_id for m in mrr.month_movements(date(2027, 2, 1), "new")}
    assert b["boundary"].id not in {m.business_id for m in mrr.month_movements(date(2027, 3, 1), "new")}


def test_the_drilldown_page_lists_the_businesses_behind_a_bar(client, auth, factories):
    _histories(factories)
    auth.login(factories.user(email="ops@example.com", is_admin=True).email)
    page = client.get("/admin/metrics/mrr/businesses?month=2027-06&kind=reactivation").get_data(as_text=True)
    assert "comeback" in page and "same-month" not in page
