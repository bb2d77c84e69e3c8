"""Usage metering: constant-time limit checks, periods, thresholds, gates."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AIServiceUsage, Contact
from app.usage import notices
from app.usage import services as usage
from tests.sql_helpers import statements_during
from tests.sync_helpers import activate


def test_no_package_means_no_allowance(app, factories):
    business = factories.business(owner=factories.user())
    assert usage.check_usage_limit(business, "contacts") is False
    assert usage.record_usage(business, "inbound_minutes", 5) is None
    assert usage.usage_summary(business) == []
    assert "need an active AI package" in usage.limit_message(business, "contacts")


def test_501st_contact_on_receptionist_is_refused_with_upgrade(app, factories):
    business = factories.business(owner=factories.user())
    activate(business, "ai_receptionist")
    db.session.add_all(Contact(business_id=business.id, name=f"C{i}") for i in range(499))
    db.session.commit()
    assert usage.check_usage_limit(business, "contacts") is True  # the gauge starts from the real count
    usage.record_usage(business, "contacts", 1)
    db.session.commit()
    assert usage.check_usage_limit(business, "contacts") is False
    message = usage.limit_message(business, "contacts")
    assert "500 contacts" in message and "Upgrade to AI Sales Assistant" in message


def test_check_is_one_query(app, factories):
    business = factories.business(owner=factories.user())
    activate(business, "ai_sales")
    usage.check_usage_limit(business, "inbound_minutes")
    db.session.commit()
    business.id  # loaded before counting: the test's own commit expired it
    allowed, statements = statements_during(lambda: usage.check_usage_limit(business, "inbound_minutes"))
    assert allowed is True
    assert len(statements) == 1 and "count(" not in statements[0].lower()


def test_thresholds_raise_one_notice_each_and_dismiss(app, factories):
    business = factories.business(owner=factories.user())
    activate(business, "ai_receptionist")  # 500 inbound minutes
    usage.record_usage(business, "inbound_minutes", 399)
    assert notices.open_notices(business) == []
    usage.record_usage(business, "inbound_minutes", 1)  # 400 = 80 %
    usage.record_usage(business, "inbound_minutes", 10)
    db.session.commit()
    shown = notices.open_notices(business)
    assert [(n.service_type, n.threshold) for n in shown] == [("inbound_minutes", 80)]
    assert "80 %" in notices.notice_text(business, shown[0])
    usage.record_usage(business, "inbound_minutes", 100)  # 510 > 100 %
    db.session.commit()
    [full] = notices.open_notices(business)
    assert full.threshold == 100
    meter = {m.service_type: m for m in usage.usage_summary(business)}["inbound_minutes"]
    assert meter.level == "over" and usage.check_usage_limit(business, "inbound_minutes") is False
    assert notices.dismiss_notice(business, full.id)
    assert notices.open_notices(business) == []


def test_meter_levels():
    assert usage.Meter("contacts", "Contacts", 79, 100).level == "ok"
    assert usage.Meter("contacts", "Contacts", 80, 100).level == "warning"
    assert usage.Meter("contacts", "Contacts", 100, 100).level == "full"  # all used is not an overage
    assert usage.Meter("contacts", "Contacts", 101, 100).level == "over"
    assert usage.Meter("contacts", "Contacts", 10**6, usage.UNLIMITED).level == "ok"
    # Having every assistant of the package is the package working.
    assert usage.Meter("coordinators", "AI assistants", 2, 2).level == "ok"
    assert usage.Meter("coordinators", "AI assistants", 3, 2).level == "over"


def test_periods_derive_monthly_from_activation_then_follow_billing(app, factories):
    business = factories.business(owner=factories.user())
    now = datetime.now(timezone.utc)
    activate(business, "ai_sales", activated_at=now - timedelta(days=75))
    period = usage.current_period(business)
    assert period.start <= now < period.end
    assert 28 <= (period.end - period.start).days <= 31
    usage.record_usage(business, "inbound_minutes", 50)
    db.session.add_all(Contact(business_id=business.id, name=f"C{i}") for i in range(7))
    usage.refresh_contact_usage(business)
    db.session.commit()
    renewal = now - timedelta(minutes=1)
    usage.start_new_period(business, renewal, renewal + timedelta(days=30))
    db.session.commit()
    meters = {m.service_type: m.used for m in usage.usage_summary(business)}
    assert meters["inbound_minutes"] == 0 and meters["contacts"] == 7  # counters restart, gauges carry
    earlier = db.session.scalars(select(AIServiceUsage).where(AIServiceUsage.period_start == period.start)).all()
    assert all(row.period_end == renewal for row in earlier)
    usage.start_new_period(business, renewal, renewal + timedelta(days=30))  # idempotent
    db.session.commit()
    assert len(usage.usage_summary(business)) == len(usage.SERVICE_TYPES)


def test_expired_period_rolls_over_on_its_own(app, factories):
    business = factories.business(owner=factories.user())
    activate(business, "ai_sales")
    start = datetime.now(timezone.utc) - timedelta(days=40)
    usage.start_new_period(business, start, start + timedelta(days=30))
    usage.record_usage(business, "outbound_minutes", 5)  # lands in the current, derived period
    db.session.commit()
    period = usage.current_period(business)
    assert period.start == start + timedelta(days=30)
    assert {m.service_type: m.used for m in usage.usage_summary(business)}["outbound_minutes"] == 5


def test_package_change_updates_limits_and_features(app, factories):
    business = factories.business(owner=factories.user())
    integration = activate(business, "ai_receptionist")
    assert not usage.has_feature(business, "campaigns")
    assert {m.service_type: m.limit for m in usage.usage_summary(business)}["contacts"] == 500
    integration.service_package = "ai_sales"
    usage.apply_package_limits(business)
    db.session.commit()
    assert usage.has_feature(business, "campaigns")
    limits = {m.service_type: m.limit for m in usage.usage_summary(business)}
    assert limits["contacts"] == usage.UNLIMITED and limits["outbound_minutes"] == 500


def test_unknown_service_type_is_an_error(app, factories):
    business = factories.business(owner=factories.user())
    with pytest.raises(ValueError):
        usage.check_usage_limit(business, "pizzas")


def test_billing_period_absorbs_the_period_derived_before_it_was_known(app, factories):
    """Activation a few seconds after Stripe's period start: usage counted in
    between moves into the billing period instead of being split off."""
    business = factories.business(owner=factories.user())
    now = datetime.now(timezone.utc)
    activate(business, "ai_sales", activated_at=now)
    usage.record_usage(business, "inbound_minutes", 12)
    db.session.commit()
    billing_start = now - timedelta(seconds=30)
    usage.start_new_period(business, billing_start, billing_start + timedelta(days=30))
    db.session.commit()
    period = usage.current_period(business)
    assert period.start == billing_start
    assert {m.service_type: m.used for m in usage.usage_summary(business)}["inbound_minutes"] == 12
    starts = set(db.session.scalars(select(AIServiceUsage.period_start).where(AIServiceUsage.business_id == business.id)))
    assert starts == {billing_start}


def test_having_every_assistant_is_no_notice_and_upgrading_says_nothing(app, factories):
    """Right after buying, 1 of 1 assistants is the package working: no red
    notice, and none after upgrading to 2 of 2 either. Consumables still get theirs."""
    from app.assistant import provisioning

    business = factories.business(owner=factories.user())
    activate(business, "ai_receptionist")
    usage.set_usage(business, "coordinators", 1)
    usage.record_usage(business, "contacts", 500)  # all 500 contacts: 80 % and 100 %
    db.session.commit()
    assert [(n.service_type, n.threshold) for n in notices.open_notices(business)] == [("contacts", 100)]
    provisioning.change_package(business, "ai_business_suite")
    usage.apply_package_limits(business)
    usage.set_usage(business, "coordinators", 2)
    db.session.commit()
    assert all(n.service_type != "coordinators" for n in notices.open_notices(business))
    meter = {m.service_type: m for m in usage.usage_summary(business)}["coordinators"]
    assert (meter.used, meter.limit, meter.level) == (2, 2, "ok")


def test_a_refused_assistant_is_noticed_with_the_upgrade(app, factories):
    business = factories.business(owner=factories.user())
    activate(business, "ai_receptionist")
    usage.set_usage(business, "coordinators", 1)
    assert usage.check_usage_limit(business, "coordinators") is False
    db.session.commit()
    [notice] = notices.open_notices(business)
    text = notices.notice_text(business, notice)
    assert notice.service_type == "coordinators"
    assert "includes 1 AI assistant," in text and "that change was not made" in text and "Upgrade to" in text


def test_notice_wording_counts_and_names_the_local_period_end(app, factories, clock):
    from datetime import datetime, timezone

    clock.set(datetime(2027, 3, 3, 18, 0, tzinfo=timezone.utc))
    business = factories.business(owner=factories.user(), timezone="Pacific/Auckland")
    activate(business, "ai_receptionist", activated_at=datetime(2027, 2, 28, 12, 30, tzinfo=timezone.utc))
    usage.record_usage(business, "inbound_minutes", 400)
    db.session.commit()
    [notice] = notices.open_notices(business)
    # The period ends at 12:30 UTC on Mar 28: already Mar 29 in Auckland.
    assert notices.notice_text(business, notice) == (
        "You have used 80 % of your 500 inbound minutes this period (until March 29).")
