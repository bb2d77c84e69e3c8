"""Every time an owner (or a customer) reads is in the business's own zone,
and every "day" is the business's local day, with a frozen clock.

Parametrized over four zones: one behind UTC with DST, one at a half-hour
offset, one ahead of UTC across the date line with DST, and UTC itself."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from app.appointments.reminders import reminder_text
from app.chat.turns import render_card
from app.dashboard import services as dashboard
from app.extensions import db
from app.models import Appointment, Call, Contact
from app.crm_sync.upserts import apply_remote_appointments, apply_remote_calls, apply_remote_contacts
from app.timezones import local_wall_time
from tests.sync_helpers import activate, remote_appointment, remote_call, remote_contact

ZONES = ["America/Los_Angeles", "Asia/Kolkata", "Pacific/Auckland", "UTC"]
DAY = date(2027, 1, 20)  # a Wednesday, away from any DST change in these zones


@pytest.fixture
def owner_client(client, auth, factories):
    def _make(zone: str):
        owner = factories.user()
        business = factories.business(owner=owner, name="Zone Salon", timezone=zone)
        activate(business, activated_at=datetime(2026, 12, 1, tzinfo=timezone.utc))
        auth.login(owner.email)
        return business

    return _make


def _late_call(business) -> Call:
    """A call at 23:30 on DAY, business time, from a known contact."""
    started = local_wall_time(business, DAY, time(23, 30))
    apply_remote_contacts(business, [remote_contact(9001, name="Nora Late", phone="+15550009001")])
    apply_remote_calls(business, [remote_call(9001, started_at=started, contact_id="con_009001",
                                              caller_name="Nora Late")])
    db.session.commit()
    return db.session.scalar(select(Call).where(Call.business_id == business.id))


@pytest.mark.parametrize("zone", ZONES)
def test_a_call_at_2330_local_reads_2330_on_its_local_day_everywhere(zone, owner_client, client, clock):
    business = owner_client(zone)
    call = _late_call(business)
    clock.set(local_wall_time(business, DAY, time(23, 50)))  # 20 minutes later, still DAY locally

    page = client.get(f"/businesses/{business.slug}/dashboard").get_data(as_text=True)
    assert "Jan 20, 23:30" in page  # recent calls
    assert "Times in " + zone in page  # the zone, stated once in the business header
    assert page.count("Times in ") == 1 and " UTC." not in page

    stats, chart = dashboard.call_statistics(business)
    assert stats["today"].total == 1 and stats["week"].total == 1
    assert chart.bars[-1].day == DAY and chart.bars[-1].total == 1
    assert sum(bar.total for bar in chart.bars) == 1
    assert "Jan 20: 1 call," in page  # the bar's title, singular

    log = client.get(f"/businesses/{business.slug}/calls").get_data(as_text=True)
    assert "Jan 20, 2027 23:30" in log
    detail = client.get(f"/businesses/{business.slug}/calls/{call.id}").get_data(as_text=True)
    assert "Wednesday Jan 20, 2027 at 23:30" in detail and "23:30 UTC" not in detail

    contact = db.session.scalar(select(Contact).where(Contact.business_id == business.id))
    timeline = client.get(f"/businesses/{business.slug}/contacts/{contact.id}").get_data(as_text=True)
    assert "Jan 20, 2027 23:30" in timeline

    exported = client.get(f"/businesses/{business.slug}/calls/export.csv").get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(exported)))
    assert row["started_at_local"].startswith("2027-01-20 23:30:00")
    assert row["started_at_utc"] == call.started_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")

    # The call log's From/To are local days too.
    def count(**dates):
        html = client.get(f"/businesses/{business.slug}/calls", query_string=dates).get_data(as_text=True)
        return html.count('href="/businesses/%s/calls/%s"' % (business.slug, call.id))

    assert count(**{"from": "2027-01-20", "to": "2027-01-20"}) == 1
    assert count(**{"from": "2027-01-21"}) == 0 and count(to="2027-01-19") == 0

    # A minute past local midnight it is yesterday's call: Today is empty, 7 days still counts it.
    clock.set(local_wall_time(business, DAY + timedelta(days=1), time(0, 1)))
    stats, chart = dashboard.call_statistics(business)
    assert stats["today"].total == 0 and stats["week"].total == 1
    assert chart.bars[-2].day == DAY and chart.bars[-2].total == 1


@pytest.mark.parametrize("zone", ZONES)
def test_an_appointment_at_0900_local_reads_0900_everywhere(zone, owner_client, client, clock):
    business = owner_client(zone)
    starts = local_wall_time(business, DAY, time(9, 0))
    clock.set(local_wall_time(business, DAY, time(7, 0)))  # the morning of the appointment, locally
    apply_remote_appointments(business, [remote_appointment(
        501, starts_at=starts, customer_name="Mia Stone", appointment_type="Haircut")])
    apply_remote_calls(business, [remote_call(501, started_at=starts - timedelta(days=2),
                                              appointment_id="appt_000501", outcome="booked")])
    db.session.commit()
    appointment = db.session.scalar(select(Appointment).where(Appointment.business_id == business.id))
    call = db.session.scalar(select(Call).where(Call.business_id == business.id))

    calendar = client.get(f"/businesses/{business.slug}/appointments",
                          query_string={"view": "day", "date": DAY.isoformat()}).get_data(as_text=True)
    assert "09:00–09:30" in calendar

    page = client.get(f"/businesses/{business.slug}/dashboard").get_data(as_text=True)
    assert "09:00–09:30" in page and "Mia Stone" in page  # today's appointments, local today
    assert [a.id for a in dashboard.todays_appointments(business)] == [appointment.id]

    detail = client.get(f"/businesses/{business.slug}/calls/{call.id}").get_data(as_text=True)
    assert "Wed Jan 20, 09:00" in detail

    text = reminder_text(business, appointment)
    assert "Wednesday January 20 at 9:00 AM" in text

    card = render_card({"type": "offer_slots", "slots": [
        {"starts_at": starts.strftime("%Y-%m-%dT%H:%M:%S.000000Z"), "label": "ignored"}]}, None, business)
    assert "Wed Jan 20, 9:00 AM" in card and zone in card


@pytest.mark.parametrize("day, hours", [(date(2027, 3, 14), 23), (date(2027, 11, 7), 25)])
def test_dst_change_days_in_los_angeles_count_every_call_once(day, hours, owner_client, clock):
    business = owner_client("America/Los_Angeles")
    # One call every hour on the hour (UTC) from two days before to two days after.
    first = local_wall_time(business, day - timedelta(days=2), time(0, 0))
    last = local_wall_time(business, day + timedelta(days=3), time(0, 0))
    calls, moment = [], first
    while moment < last:
        calls.append(remote_call(started_at=moment + timedelta(minutes=10)))
        moment += timedelta(hours=1)
    apply_remote_calls(business, calls)
    db.session.commit()
    clock.set(last - timedelta(minutes=1))

    _, chart = dashboard.call_statistics(business)
    by_day = {bar.day: bar.total for bar in chart.bars}
    assert by_day[day] == hours
    assert by_day[day - timedelta(days=1)] == 24 and by_day[day + timedelta(days=1)] == 24
    assert sum(by_day.values()) == len(calls)  # none lost, none doubled
