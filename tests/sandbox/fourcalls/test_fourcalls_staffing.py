"""Advanced scheduling in the sandbox (issue 19): staff with their own hours
and types, buffers, minimum notice, horizon, daily caps and closures, for
real-time booking, the staff API and concurrent bookings. Every response is
checked against the contract."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from fourcalls_helpers import next_weekday

WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _local(day: date, clock: str) -> str:
    return f"{day}T{clock}:00"


def _staffed(api, **fields):
    staff = [{"id": "st-maria", "name": "Maria"},
             {"id": "st-jonas", "name": "Jonas", "appointment_types": ["Cut"],
              "hours": {d: ({"open": "12:00", "close": "18:00"} if d != "sunday" else None) for d in WEEK}}]
    return api.create_org(appointment_types=[{"name": "Cut", "duration_minutes": 30},
                                             {"name": "Colour", "duration_minutes": 60}],
                          staff=staff, **fields)


def test_two_staff_take_the_same_time_and_the_org_reports_them(api):
    org, client = _staffed(api)
    assert [s["id"] for s in client.get(f"/organizations/{org['id']}").json()["staff"]] == ["st-maria", "st-jonas"]
    day = next_weekday(1)
    slots = client.post("/real-time/availability", json={
        "date_from": str(day), "date_to": str(day), "appointment_type": "Cut"}).json()["slots"]
    by_start = {s["local_starts_at"][11:16]: s.get("staff_ids") for s in slots}
    assert by_start["09:00"] == ["st-maria"] and by_start["12:00"] == ["st-maria", "st-jonas"]
    first = client.post("/real-time/booking", json={"starts_at": _local(day, "12:00"), "appointment_type": "Cut",
                                                    "customer": {"name": "One"}})
    second = client.post("/real-time/booking", json={"starts_at": _local(day, "12:00"), "appointment_type": "Cut",
                                                     "customer": {"name": "Two"}})
    third = client.post("/real-time/booking", json={"starts_at": _local(day, "12:00"), "appointment_type": "Cut",
                                                    "customer": {"name": "Three"}})
    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 409)
    assert {first.json()["staff_id"], second.json()["staff_id"]} == {"st-maria", "st-jonas"}
    # Jonas does not do colour, and works from noon.
    refused = client.post("/real-time/booking", json={"starts_at": _local(day, "14:00"), "appointment_type": "Colour",
                                                      "staff_id": "st-jonas", "customer": {"name": "Four"}})
    assert refused.status_code == 422 and refused.json()["error"]["details"]["reason"] == "staff_not_serving"
    early = client.post("/real-time/booking", json={"starts_at": _local(day, "09:00"), "appointment_type": "Cut",
                                                    "staff_id": "st-jonas", "customer": {"name": "Five"}})
    assert early.status_code == 422


def test_buffers_notice_horizon_cap_and_closures(api):
    day = next_weekday(2)
    org, client = api.create_org(
        appointment_types=[{"name": "Exam", "duration_minutes": 30, "buffer_before_minutes": 10,
                            "buffer_after_minutes": 20, "price_cents": 4500, "daily_cap": 2}],
        closures=[{"first_day": str(day + timedelta(days=1)), "last_day": str(day + timedelta(days=1)),
                   "reason": "Holiday"}],
        booking_window={"min_notice_minutes": 60, "horizon_days": 30})
    booked = client.post("/real-time/booking", json={"starts_at": _local(day, "10:00"), "appointment_type": "Exam",
                                                     "customer": {"name": "A"}})
    assert booked.status_code == 201
    slots = {s["local_starts_at"][11:16] for s in client.post("/real-time/availability", json={
        "date_from": str(day), "date_to": str(day), "appointment_type": "Exam", "slot_interval_minutes": 10}).json()["slots"]}
    assert "10:40" not in slots and "11:00" in slots and "09:20" not in slots and "09:30" not in slots
    assert client.post("/real-time/booking", json={"starts_at": _local(day, "10:45"), "appointment_type": "Exam",
                                                   "customer": {"name": "B"}}).status_code == 409
    assert client.post("/real-time/booking", json={"starts_at": _local(day, "14:00"), "appointment_type": "Exam",
                                                   "customer": {"name": "C"}}).status_code == 201
    capped = client.post("/real-time/booking", json={"starts_at": _local(day, "16:00"), "appointment_type": "Exam",
                                                     "customer": {"name": "D"}})
    assert capped.status_code == 409 and capped.json()["error"]["details"]["reason"] == "daily_cap_reached"
    closed = client.post("/real-time/booking", json={"starts_at": _local(day + timedelta(days=1), "10:00"),
                                                     "appointment_type": "Exam", "customer": {"name": "E"}})
    assert closed.status_code == 422 and closed.json()["error"]["details"]["reason"] == "closed"
    far = client.post("/real-time/booking", json={"starts_at": _local(day + timedelta(days=60), "10:00"),
                                                  "appointment_type": "Exam", "customer": {"name": "F"}})
    assert far.status_code == 422 and far.json()["error"]["details"]["reason"] == "beyond_horizon"
    assert client.post("/real-time/availability", json={
        "date_from": str(day + timedelta(days=1)), "date_to": str(day + timedelta(days=1))}).json()["slots"] == []


def test_concurrent_bookings_of_one_staff_member_book_exactly_one(api):
    org, client = api.create_org(staff=[{"id": "st-only", "name": "Only"}])
    day = next_weekday(3)

    def attempt(n):
        return client.post("/real-time/booking", json={"starts_at": _local(day, "11:00"), "duration_minutes": 30,
                                                       "customer": {"name": f"Racer {n}"}}).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(attempt, range(20)))
    assert codes.count(201) == 1 and codes.count(409) == 19


def test_bad_staff_and_closures_are_field_errors(api):
    org, client = api.create_org()
    bad = client.put(f"/organizations/{org['id']}", json={
        "staff": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}],
        "closures": [{"first_day": "2030-01-05", "last_day": "2030-01-01"}]})
    assert bad.status_code == 422
    fields = bad.json()["error"]["details"]["fields"]
    assert "staff" in fields and "closures.0.last_day" in fields
    unknown = client.post("/real-time/availability", json={"date_from": "2030-01-07", "date_to": "2030-01-07",
                                                          "staff_id": "nobody"})
    assert unknown.status_code == 422
