"""The time helpers: local days (23/25 hours on DST change days), conversions, filters, phone zones."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from app import timezones as tz

ZONES = ["America/Los_Angeles", "Asia/Kolkata", "Pacific/Auckland", "UTC"]


@pytest.mark.parametrize("name", ZONES)
def test_local_day_bounds_start_at_local_midnight(name):
    start, end = tz.local_day_bounds(name, date(2027, 6, 15))
    assert start.tzinfo == timezone.utc
    local = tz.to_local(start, name)
    assert (local.hour, local.minute) == (0, 0) and local.date() == date(2027, 6, 15)
    assert end - start == timedelta(hours=24)


def test_dst_change_days_in_los_angeles_are_23_and_25_hours():
    spring = tz.local_day_bounds("America/Los_Angeles", date(2027, 3, 14))
    autumn = tz.local_day_bounds("America/Los_Angeles", date(2027, 11, 7))
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert autumn[1] - autumn[0] == timedelta(hours=25)
    # Consecutive days tile the timeline: nothing falls between or in two days.
    week = [tz.local_day_bounds("America/Los_Angeles", date(2027, 3, 10) + timedelta(days=i)) for i in range(7)]
    assert all(a[1] == b[0] for a, b in zip(week, week[1:]))


@pytest.mark.parametrize("name", ZONES)
def test_a_call_at_2330_local_belongs_to_that_local_day(name):
    moment = tz.local_wall_time(name, date(2027, 1, 20), time(23, 30))
    assert tz.local_today(name, now=moment) == date(2027, 1, 20)
    start, end = tz.local_day_bounds(name, date(2027, 1, 20))
    assert start <= moment < end


def test_today_is_the_business_day_not_the_servers(clock):
    # 02:00 UTC on the 4th is still the evening of the 3rd in Los Angeles.
    clock.set(datetime(2027, 3, 4, 2, 0, tzinfo=timezone.utc))
    assert tz.local_today("America/Los_Angeles") == date(2027, 3, 3)
    assert tz.local_today("Asia/Kolkata") == date(2027, 3, 4)


def test_unknown_or_empty_zones_are_invalid_and_fall_back_to_utc():
    for bad in ["", None, "Mars/Olympus", "x" * 200, "../etc/passwd", 5]:
        assert not tz.is_valid_zone(bad)
    assert tz.zone_of("Mars/Olympus").key == "UTC"
    assert tz.is_valid_zone("America/Los_Angeles")
    assert "America/Los_Angeles" in tz.all_zone_names()


def test_phone_numbers_map_to_their_zone():
    assert tz.zone_for_phone("+14155550100") == "America/Los_Angeles"
    assert tz.zone_for_phone("+12125550100") == "America/New_York"
    assert tz.zone_for_phone("+919876543210") in {"Asia/Calcutta", "Asia/Kolkata"}
    assert tz.zone_for_phone("not a number") is None
    assert tz.zone_for_phone(None) is None


def test_filters_render_in_the_business_zone(app):
    class Biz:
        timezone = "America/Los_Angeles"

    moment = datetime(2027, 3, 3, 17, 0, tzinfo=timezone.utc)
    render = app.jinja_env.from_string(
        "{{ m|localtime(b) }}|{{ m|localclock(b) }}|{{ m|localdate(b) }}|{{ m|localrange(e, b) }}"
    ).render
    out = render(m=moment, e=moment + timedelta(minutes=30), b=Biz())
    assert out == "Mar 3, 2027 09:00|09:00|Mar 3, 2027|Mar 3, 2027 09:00–09:30"


def test_recipient_zone_prefers_the_contacts_own_then_the_number_then_the_business():
    class Biz:
        timezone = "America/Chicago"

    class Person:
        def __init__(self, timezone=None, phone=None):
            self.timezone, self.phone = timezone, phone

    assert tz.recipient_zone(Person("Asia/Kolkata", "+14155550100"), Biz()).key == "Asia/Kolkata"
    assert tz.recipient_zone(Person(None, "+14155550100"), Biz()).key == "America/Los_Angeles"
    assert tz.recipient_zone(Person("Nowhere/Land", None), Biz()).key == "America/Chicago"
