"""The dashboard's combined reads give what the separate reads gave: the leads
panel's figures in one statement, the current period with its meters, and the
past-due banner from the account loaded with the business."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.extensions import db
from app.leads.services import panel_figures
from app.models import Lead
from app.models.leads import LeadSource, LeadStatus
from app.models.messaging import ContactMessage, MessageDirection, MessageState, TextBack
from app.timezones import local_today
from app.usage import services as usage
from tests.sql_helpers import statements_during

NOW = datetime(2027, 3, 3, 18, 0, tzinfo=timezone.utc)


def _lead(business, status=LeadStatus.NEW, **fields):
    lead = Lead(business_id=business.id, source=LeadSource.MANUAL, status=status, name="Lee", **fields)
    db.session.add(lead)
    return lead


_phones = iter(range(10_000))


def _text_back(business, status="sent", days_ago=1, **fields):
    created = NOW - timedelta(days=days_ago)
    text_back = TextBack(business_id=business.id, phone=f"+1555123{next(_phones):04d}", local_day=created.date(), status=status,
                         send_at=created, created_at=created, **fields)
    db.session.add(text_back)
    return text_back


def _message(business, status, direction=MessageDirection.OUTBOUND):
    db.session.add(ContactMessage(business_id=business.id, direction=direction, channel="sms",
                                  to_address="+15551230000", body="Hello", status=status))


def test_leads_panel_figures_are_read_in_one_statement(app, factories, clock):
    clock.set(NOW)
    business = factories.business(timezone="America/Los_Angeles")
    other = factories.business()
    today = local_today(business)
    _lead(business)  # new, open
    _lead(business, LeadStatus.CONTACTED, follow_up_due=today)  # due today
    _lead(business, LeadStatus.QUALIFIED, follow_up_due=today - timedelta(days=2))  # overdue
    _lead(business, LeadStatus.CONTACTED, last_activity_at=NOW - timedelta(days=3))  # stale: no follow-up, quiet 72 h
    _lead(business, LeadStatus.WON, follow_up_due=today - timedelta(days=2))  # closed: counted nowhere
    won = _lead(business, LeadStatus.LOST, lost_reason="Price")
    db.session.flush()
    _text_back(business, "sent")
    _text_back(business, "replied", replied_at=NOW - timedelta(hours=20), lead_id=won.id)
    _text_back(business, "sent", days_ago=31)  # outside the 30 days
    _text_back(business, "scheduled")  # not sent yet
    _message(business, MessageState.HELD)
    _message(business, MessageState.HELD)
    _message(business, MessageState.SENT)
    for _ in range(3):  # another business's rows count nowhere here
        _lead(other)
        _text_back(other, "sent")
        _message(other, MessageState.HELD)
    db.session.commit()
    assert business.timezone  # loaded, as a page's business is

    panel, statements = statements_during(lambda: panel_figures(business))

    assert len(statements) == 1
    figures = panel.figures
    assert (figures.open, figures.new, figures.due_today, figures.overdue, figures.stale) == (4, 1, 1, 1, 1)
    assert panel.text_back == {"sent": 2, "replies": 1, "leads": 1, "days": 30}
    assert panel.held == 2


def test_the_current_period_and_its_meters_come_in_one_statement(app, factories, clock):
    clock.set(NOW)
    business = factories.business()
    factories.integration(business, activated_at=NOW - timedelta(days=3))
    usage.record_usage(business, "inbound_minutes", 7)
    db.session.commit()
    assert business.integration is not None  # loaded, as a page's business is

    (period, meters), statements = statements_during(lambda: usage.current_usage(business))
    assert len(statements) == 1
    assert period == usage.current_period(business)
    assert meters == usage.usage_summary(business, period)
    assert {meter.service_type: meter.used for meter in meters}["inbound_minutes"] == 7

    # The stored period has ended: the next one is worked out and its meters
    # start (counters from zero), as usage_summary always did.
    clock.set(period.end + timedelta(days=2))
    next_period, next_meters = usage.current_usage(business)
    assert next_period == usage.current_period(business) and next_period.start == period.end
    assert {meter.service_type: meter.used for meter in next_meters}["inbound_minutes"] == 0
    assert len(next_meters) == len(usage.SERVICE_TYPES)


def test_a_business_without_a_package_has_no_period_and_no_meters(app, factories):
    assert usage.current_usage(factories.business()) == (None, [])


def test_the_past_due_banner_reads_the_account_loaded_with_the_business(client, factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner)
    factories.integration(business)
    account = factories.billing_account(business, status="past_due",
                                        past_due_since=datetime.now(timezone.utc) - timedelta(days=1))

    response, statements = statements_during(lambda: client.get(f"/businesses/{business.slug}/calls"))
    assert "Your last payment failed" in response.get_data(as_text=True)
    flat = [" ".join(statement.split()) for statement in statements]
    own_reads = [s for s in flat if s.startswith("SELECT") and " FROM billing_accounts " in s]
    assert own_reads == [], "the account comes with the business's statement, not one of its own"

    account.status, account.past_due_since = "active", None
    db.session.commit()
    assert "Your last payment failed" not in client.get(f"/businesses/{business.slug}/calls").get_data(as_text=True)


def test_the_chart_draws_the_business_local_days(client, factories, logged_in_owner, clock):
    clock.set(NOW)  # 10:00 on March 3 in Los Angeles
    business = factories.business(owner=logged_in_owner, timezone="America/Los_Angeles")
    factories.integration(business)
    # 05:00 UTC on March 3 is 21:00 on March 2 in Los Angeles: both calls are March 2's.
    factories.call(business, status="answered", started_at=datetime(2027, 3, 3, 5, 0, tzinfo=timezone.utc))
    factories.call(business, status="missed", started_at=datetime(2027, 3, 2, 17, 0, tzinfo=timezone.utc))
    factories.call(business, status="answered", started_at=datetime(2027, 3, 3, 17, 0, tzinfo=timezone.utc))

    page = client.get(f"/businesses/{business.slug}/dashboard").get_data(as_text=True)
    chart = page[page.index('id="call-chart"'):]
    chart = chart[:chart.index("</section>")]
    assert 'title="Mar 2: 2 calls, 1 answered, 1 missed"' in chart
    assert 'title="Mar 3: 1 call, 1 answered, 0 missed"' in chart
    assert chart.count('class="bar"') == 30
    # Mar 2 is the busiest day: its bar is full height, half of it answered.
    assert ('title="Mar 2: 2 calls, 1 answered, 1 missed">\n      <span class="answered" style="height: 50%"></span>\n'
            '      <span class="missed" style="height: 50%"></span>') in chart
    assert "<span>Mar 3</span>" in chart
