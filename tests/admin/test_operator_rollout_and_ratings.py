"""Rollout stages and the waitlist (owner and console sides), the monthly
satisfaction rating, usage, margin and the KPI cards, on hand-computed data."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.admin import margin
from app.admin.metrics import kpis, mrr, usage
from app.admin.metrics.periods import months_between
from app.extensions import db
from app.models import (AuditEntry, BillingAccount, Call, ChatConversation, ChatMessage, SatisfactionRating,
                        SubscriptionHistory, WaitlistEntry)
from app.models import Appointment
from tests.operator_helpers import at, history

R, S = "ai_receptionist", "ai_sales"


@pytest.fixture
def ops(factories, clock):
    clock.set(at("2027-06-15 12:00"))
    return factories.user(email="ops@example.com", is_admin=True)


@pytest.fixture(params=["read on each view", "kept under the change mark"])
def owner_prompts_kept(request):
    """The dashboard's owner prompts without Redis (read on every view), and
    kept under the business's change mark (app/satisfaction/routes.py)."""
    if request.param == "kept under the change mark":
        request.getfixturevalue("marks")


def _as(client, auth, user):
    auth.logout()
    auth.login(user.email)


def test_beta_stage_offers_the_waitlist_then_an_invitation_opens_checkout(client, auth, factories, ops,
                                                                         owner_prompts_kept):
    owner = factories.user()
    shop = factories.business(owner=owner, name="Waiting Room Cafe")
    allowed = factories.business(owner=factories.user(), name="Beta Bakery")
    _as(client, auth, ops)
    refused = client.post("/admin/rollout", data={"stage": "beta", "cap": "0", "allow_list": "nobody-such"})
    assert refused.status_code == 422 and "No business with the address" in refused.get_data(as_text=True)
    saved = client.post("/admin/rollout", data={"stage": "beta", "cap": "50", "allow_list": allowed.slug,
                                                "reason": "Beta with five shops"})
    assert saved.status_code == 303
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "rollout.stage_changed"))
    assert entry.after["stage"] == "beta" and entry.reason == "Beta with five shops"

    _as(client, auth, owner)
    picker = client.get(f"/businesses/{shop.slug}/packages").get_data(as_text=True)
    assert "Join the waitlist" in picker and "Choose AI Receptionist" not in picker
    checkout = client.post(f"/businesses/{shop.slug}/billing/checkout", data={"package": R})
    assert checkout.status_code in (303, 422) and db.session.scalar(select(BillingAccount)) is None
    client.post(f"/businesses/{shop.slug}/waitlist", data={"package": S})
    assert "On the waitlist" in client.get(f"/businesses/{shop.slug}/packages").get_data(as_text=True)
    assert client.post(f"/businesses/{shop.slug}/waitlist", data={"package": "ai_everything"}).status_code == 303
    assert db.session.scalar(select(WaitlistEntry)).package_slug == S  # bad package changed nothing

    _as(client, auth, ops)
    listed = client.get("/admin/rollout").get_data(as_text=True)
    assert "Waiting Room Cafe" in listed and "AI Sales Assistant" in listed
    waiting = db.session.scalar(select(WaitlistEntry))
    client.post(f"/admin/rollout/waitlist/{waiting.id}/invite")
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "rollout.invited")) is not None
    from app.models import OutboundEmail

    email = db.session.scalar(select(OutboundEmail))
    assert email.to_address == owner.email and "Waiting Room Cafe" in email.subject
    assert f"/businesses/{shop.slug}/packages" in email.text_body
    client.post(f"/admin/rollout/waitlist/{waiting.id}/invite")  # again: no second mail
    assert db.session.query(OutboundEmail).count() == 1

    _as(client, auth, owner)
    dashboard = client.get(f"/businesses/{shop.slug}/dashboard").get_data(as_text=True)
    assert "You're invited" in dashboard
    picker = client.get(f"/businesses/{shop.slug}/packages").get_data(as_text=True)
    assert "Join the waitlist" not in picker and "Choose AI Sales Assistant" in picker
    assert "You're invited" not in client.get(f"/businesses/{shop.slug}/dashboard").get_data(as_text=True)


def test_limited_stage_caps_active_packages_and_never_affects_subscribers(client, auth, factories, ops):
    from app.rollout.services import may_subscribe

    subscribed = factories.business(owner=factories.user(), name="Subscribed")
    newcomer = factories.business(owner=factories.user(), name="Newcomer")
    db.session.add(BillingAccount(business_id=subscribed.id, status="active", package_slug=R, unit_amount=4900))
    db.session.commit()
    _as(client, auth, ops)
    client.post("/admin/rollout", data={"stage": "limited", "cap": "2", "allow_list": ""})
    assert may_subscribe(newcomer) and may_subscribe(subscribed)
    client.post("/admin/rollout", data={"stage": "limited", "cap": "1", "allow_list": ""})
    assert not may_subscribe(newcomer) and may_subscribe(subscribed)
    client.post("/admin/rollout", data={"stage": "general", "cap": "1", "allow_list": ""})
    assert may_subscribe(newcomer)


def test_satisfaction_is_asked_once_a_month_after_thirty_days_and_averaged(client, auth, factories, clock, ops,
                                                                           owner_prompts_kept):
    owner = factories.user()
    shop = factories.business(owner=owner, name="Rated Salon")
    newer = factories.business(owner=owner, name="Newer Salon")
    history(shop, ("2027-05-25 12:00", R, 4900, "active", "subscribed"))
    history(newer, ("2027-06-01 12:00", R, 4900, "active", "subscribed"))
    _as(client, auth, owner)
    assert "How happy are you" not in client.get(f"/businesses/{shop.slug}/dashboard").get_data(as_text=True)
    clock.set(at("2027-06-25 12:00"))  # 31 days of use for the first, 24 for the second
    assert "How happy are you" in client.get(f"/businesses/{shop.slug}/dashboard").get_data(as_text=True)
    assert "How happy are you" not in client.get(f"/businesses/{newer.slug}/dashboard").get_data(as_text=True)
    # Its history rewritten the same day (an earlier start, from Stripe): due at once, not a minute later.
    db.session.execute(SubscriptionHistory.__table__.update().where(SubscriptionHistory.business_id == newer.id)
                       .values(started_at=at("2027-05-20 12:00")))
    db.session.commit()
    assert "How happy are you" in client.get(f"/businesses/{newer.slug}/dashboard").get_data(as_text=True)
    bad = client.post(f"/businesses/{shop.slug}/satisfaction", data={"rating": "9"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and db.session.scalar(select(SatisfactionRating)) is None
    ok = client.post(f"/businesses/{shop.slug}/satisfaction", data={"rating": "4"}, headers={"HX-Request": "true"})
    assert ok.status_code == 200 and "Thank you" in ok.get_data(as_text=True)
    assert "How happy are you" not in client.get(f"/businesses/{shop.slug}/dashboard").get_data(as_text=True)
    client.post(f"/businesses/{shop.slug}/satisfaction", data={"rating": "1"})  # same month: ignored
    clock.set(at("2027-07-02 12:00"))
    assert "How happy are you" in client.get(f"/businesses/{shop.slug}/dashboard").get_data(as_text=True)
    client.post(f"/businesses/{shop.slug}/satisfaction", data={"rating": "5"})
    assert kpis.satisfaction() == (4.5, 2)
    _as(client, auth, ops)
    overview = client.get("/admin/").get_data(as_text=True)
    assert "4.50 ★" in overview and "2 ratings" in overview


def test_usage_by_package_and_month(app, factories, clock):
    clock.set(at("2027-06-15 12:00"))
    a = factories.business(owner=factories.user(), name="Usage A")
    b = factories.business(owner=factories.user(), name="Usage B")
    history(a, ("2027-04-01 15:00", R, 4900, "active", "subscribed"))
    history(b, ("2027-04-01 15:00", S, 9900, "active", "subscribed"))
    calls = [(a, "inbound", 600, "answered"), (a, "inbound", 300, "answered"), (a, "outbound", 120, "missed"),
             (b, "outbound", 900, "answered")]
    for index, (business, direction, seconds, status) in enumerate(calls):
        db.session.add(Call(business_id=business.id, remote_id=f"u{index}", direction=direction,
                            started_at=at("2027-05-10 15:00"), duration_seconds=seconds, status=status))
    from datetime import timedelta
    for source in ("call", "manual"):
        db.session.add(Appointment(business_id=a.id, customer_name="X", starts_at=at("2027-05-20 15:00"),
                                   ends_at=at("2027-05-20 15:00") + timedelta(minutes=30), source=source))
    db.session.commit()
    # Created in May: the appointments were made "now" (June) by default, so pin their creation.
    for appointment in db.session.scalars(select(Appointment)):
        appointment.created_at = at("2027-05-11 15:00")
    db.session.commit()
    from app.models import Contact

    for index in range(3):
        db.session.add(Contact(business_id=a.id, name=f"C{index}", created_at=at("2027-05-12 15:00")))
    db.session.add(Contact(business_id=b.id, name="Other month", created_at=at("2027-04-12 15:00")))
    db.session.add(ChatConversation(business_id=b.id, visitor_id="v-may", created_at=at("2027-05-13 15:00")))
    db.session.commit()
    months = months_between(date(2027, 5, 1), date(2027, 5, 1))
    table = usage.usage_months(mrr.build_timeline(months))
    (total,) = usage.totals_by_month(table, months)
    assert total.paying_businesses == 2 and total.calls == 4
    assert total.inbound_minutes == pytest.approx(15) and total.outbound_minutes == pytest.approx(17)
    assert total.calls_per_business == 2 and total.booking_rate == pytest.approx(1 / 3)  # 1 AI booking / 3 answered
    assert total.contacts_created == 3 and total.contacts_per_business == 1.5 and total.chat_conversations == 1
    (sales,) = usage.totals_by_month(table, months, S)
    assert (sales.calls, sales.chat_conversations, sales.contacts_created, sales.booking_rate) == (1, 1, 0, 0)
    (receptionist,) = usage.totals_by_month(table, months, R)
    assert receptionist.calls == 3 and receptionist.inbound_minutes == pytest.approx(15) and receptionist.ai_bookings == 1


def test_margin_per_business_with_costs_and_floor(client, auth, factories, ops):
    shop = factories.business(owner=factories.user(), name="Margin Motors")
    history(shop, ("2027-04-01 15:00", R, 4900, "active", "subscribed"))
    db.session.add(Call(business_id=shop.id, remote_id="m1", direction="inbound", started_at=at("2027-06-02 15:00"),
                        duration_seconds=100 * 60, status="answered"))
    db.session.add(Call(business_id=shop.id, remote_id="m2", direction="outbound", started_at=at("2027-06-03 15:00"),
                        duration_seconds=50 * 60, status="answered"))
    conversation = ChatConversation(business_id=shop.id, visitor_id="v1")
    db.session.add(conversation)
    db.session.flush()
    for position in range(10):
        db.session.add(ChatMessage(conversation_id=conversation.id, position=position, role="assistant", text="hi",
                                   created_at=at("2027-06-04 15:00")))
    db.session.commit()
    report = margin.margin_report(date(2027, 6, 1))
    (row,) = report.rows
    # 100 × 0.06 + 50 × 0.09 + 10 × 0.01 = 6.00 + 4.50 + 0.10 = 10.60 of 49.00 -> 78.4 %
    assert row.revenue == Decimal("49.00") and row.cost == Decimal("10.60")
    assert row.margin == Decimal("38.40") and row.margin_percent == Decimal("78.4") and not row.below_floor
    _as(client, auth, ops)
    bad = client.post("/admin/settings/costs", data={"inbound_minute": "abc", "outbound_minute": "0.09",
                                                     "message": "0.01", "margin_floor_percent": "150"})
    assert bad.status_code == 422 and "enter a number" in bad.get_data(as_text=True)
    client.post("/admin/settings/costs", data={"inbound_minute": "0.30", "outbound_minute": "0.09", "message": "0.01",
                                               "margin_floor_percent": "40", "reason": "4calls raised prices"})
    (row,) = margin.margin_report(date(2027, 6, 1)).rows
    # 100 × 0.30 + 4.50 + 0.10 = 34.60 -> margin 14.40 = 29.4 % < 40 %
    assert row.cost == Decimal("34.60") and row.margin_percent == Decimal("29.4") and row.below_floor
    change = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.costs_changed"))
    assert change.after == {"inbound_minute": "0.3000"} and change.reason == "4calls raised prices"
    assert "Margin Motors" in client.get("/admin/margin").get_data(as_text=True)
    assert "data-below-floor>1<" in client.get("/admin/overview/margin-floor").get_data(as_text=True)
    assert 'hx-get="/admin/overview/margin-floor"' in client.get("/admin/").get_data(as_text=True)


def test_kpis_against_the_plan_targets(app, factories, clock):
    clock.set(at("2027-06-15 12:00"))
    app.config["METRICS_LAUNCH_DATE"] = "2027-01-10"
    try:
        paying = [factories.business(owner=factories.user(), name=f"K{i}") for i in range(2)]
        for _ in range(8):
            factories.business(owner=factories.user())
        history(paying[0], ("2027-02-01 15:00", "ai_enterprise", 39900, "active", "subscribed"))
        history(paying[1], ("2027-02-01 15:00", S, 9900, "active", "subscribed"))
        for index in range(150):
            db.session.add(Call(business_id=paying[0].id, remote_id=f"k{index}", direction="inbound",
                                started_at=at("2027-05-10 15:00"), duration_seconds=60, status="answered"))
        db.session.commit()
        items = {k.key: k for k in kpis.kpis(49800, 2, 2, date(2027, 6, 15))}
        assert items["adoption"].value == pytest.approx(0.2) and items["adoption"].status == "met"
        assert items["adoption"].due == date(2027, 4, 10)
        assert items["mrr"].value == 498 and items["mrr"].due == date(2027, 7, 10) and items["mrr"].status == "on_track"
        assert items["mrr"].progress == pytest.approx(0.0498)
        assert items["calls"].value == 75 and items["calls"].status == "behind"  # 150 calls / 2 businesses in May
        assert items["satisfaction"].status == "no_data"
        items = {k.key: k for k in kpis.kpis(49800, 2, 2, date(2027, 7, 11))}
        assert items["mrr"].status == "missed"
    finally:
        app.config["METRICS_LAUNCH_DATE"] = ""
