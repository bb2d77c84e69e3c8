"""Availability, booking rules, reschedule/cancel, today's agenda and reminder messages."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from fourcalls_helpers import next_weekday, wait_until

CHICAGO = ZoneInfo("America/Chicago")


def _local(day: date, clock: str) -> str:
    return f"{day}T{clock}:00"


def test_availability_lists_free_slots_inside_business_hours(api):
    org, client = api.create_org(appointment_types=[{"name": "Exam", "duration_minutes": 45}])
    day = next_weekday(0)
    result = client.post("/real-time/availability", json={
        "date_from": str(day), "date_to": str(day + timedelta(days=6)), "appointment_type": "Exam"}).json()
    assert result["duration_minutes"] == 45 and result["timezone"] == "America/Chicago"
    for slot in result["slots"]:
        start = datetime.fromisoformat(slot["starts_at"].replace("Z", "+00:00")).astimezone(CHICAGO)
        end = datetime.fromisoformat(slot["ends_at"].replace("Z", "+00:00")).astimezone(CHICAGO)
        assert start.weekday() != 6, "Sunday is closed"
        assert (start.hour, start.minute) >= (8, 0) and (end.hour, end.minute) <= (18, 0)
        assert end - start == timedelta(minutes=45)
    assert result["slots"][0]["local_starts_at"].startswith(f"{day}T08:00:00")


def test_booked_time_disappears_from_availability(api):
    org, client = api.create_org()
    day = next_weekday(1)
    request = {"date_from": str(day), "date_to": str(day), "duration_minutes": 30}
    before = client.post("/real-time/availability", json=request).json()["slots"]
    booking = client.post("/real-time/booking", json={
        "starts_at": before[2]["starts_at"], "duration_minutes": 30,
        "customer": {"name": "Dana Cruz", "phone": "+15125550311"}})
    assert booking.status_code == 201
    after = client.post("/real-time/availability", json=request).json()["slots"]
    assert before[2]["starts_at"] not in {s["starts_at"] for s in after}
    assert len(after) == len(before) - 1


def test_double_booking_is_refused_with_409(api):
    org, client = api.create_org()
    day = next_weekday(2)
    first = client.post("/real-time/booking", json={
        "starts_at": _local(day, "10:00"), "duration_minutes": 60, "customer": {"name": "First Come"}})
    assert first.status_code == 201
    overlapping = client.post("/real-time/booking", json={
        "starts_at": _local(day, "10:30"), "duration_minutes": 30, "customer": {"name": "Second"}})
    assert overlapping.status_code == 409
    error = overlapping.json()["error"]
    assert error["type"] == "conflict" and error["details"]["conflicting_appointment_id"] == first.json()["id"]
    back_to_back = client.post("/real-time/booking", json={
        "starts_at": _local(day, "11:00"), "duration_minutes": 30, "customer": {"name": "Right After"}})
    assert back_to_back.status_code == 201


def test_booking_outside_business_hours_or_in_the_past_is_422(api):
    org, client = api.create_org()
    sunday = next_weekday(6)
    monday = next_weekday(0)
    for starts_at, reason in ((_local(sunday, "10:00"), "outside_business_hours"),
                              (_local(monday, "07:30"), "outside_business_hours"),
                              (_local(monday, "17:45"), "outside_business_hours"),  # ends after closing
                              ("2020-01-06T10:00:00", "in_past")):
        response = client.post("/real-time/booking", json={
            "starts_at": starts_at, "duration_minutes": 30, "customer": {"name": "Too Late"}})
        assert response.status_code == 422, starts_at
        assert response.json()["error"]["details"]["reason"] == reason


def test_booking_creates_or_reuses_the_contact(api):
    org, client = api.create_org()
    day = next_weekday(3)
    customer = {"name": "Omar Haddad", "phone": "+15125550322", "email": "omar@example.com"}
    one = client.post("/real-time/booking", json={"starts_at": _local(day, "09:00"), "customer": customer}).json()
    two = client.post("/real-time/booking", json={"starts_at": _local(day, "14:00"), "customer": customer}).json()
    assert one["contact_id"] == two["contact_id"] is not None
    lookup = client.post("/real-time/customer-lookup", json={"phone": "+15125550322"}).json()
    assert lookup["contact"]["name"] == "Omar Haddad"
    assert [a["id"] for a in lookup["upcoming_appointments"]] == [one["id"], two["id"]]
    assert client.post("/real-time/customer-lookup", json={"phone": "+15125550999"}).status_code == 404


def test_reschedule_and_cancel(api):
    org, client = api.create_org()
    day = next_weekday(4)
    base = f"/organizations/{org['id']}/appointments"
    blocker = client.post(base, json={"customer_name": "Blocker", "starts_at": _local(day, "15:00")}).json()
    appointment = client.post(base, json={"customer_name": "Mover", "starts_at": _local(day, "09:00"),
                                          "duration_minutes": 30}).json()
    clash = client.put(f"{base}/{appointment['id']}", json={"starts_at": _local(day, "15:15")})
    assert clash.status_code == 409
    moved = client.put(f"{base}/{appointment['id']}", json={"starts_at": _local(day, "12:00")}).json()
    assert moved["duration_minutes"] == 30 and moved["starts_at"] != appointment["starts_at"]
    cancelled = client.put(f"{base}/{blocker['id']}", json={"status": "cancelled",
                                                          "cancellation_reason": "Sick"}).json()
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    # The cancelled slot is free again, and cancelled appointments stay cancelled.
    assert client.put(f"{base}/{appointment['id']}", json={"starts_at": _local(day, "15:00")}).status_code == 200
    assert client.put(f"{base}/{blocker['id']}", json={"status": "scheduled"}).status_code == 409
    listed = client.get(base, params={"status": "cancelled"}).json()["data"]
    assert [a["id"] for a in listed] == [blocker["id"]]


def test_todays_appointments_use_the_organization_timezone(api):
    org, client = api.create_org(timezone="Pacific/Kiritimati",
                                 business_hours={d: {"open": "00:00", "close": "24:00"} for d in (
                                     "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")})
    zone = ZoneInfo("Pacific/Kiritimati")
    now_local = datetime.now(zone)
    later_today = (now_local + timedelta(minutes=5)).replace(second=0, microsecond=0)
    if later_today.date() != now_local.date():
        later_today = now_local.replace(second=0, microsecond=0)
    created = client.post(f"/organizations/{org['id']}/appointments", json={
        "customer_name": "Same Day", "starts_at": later_today.isoformat(), "duration_minutes": 5}).json()
    today = client.get(f"/organizations/{org['id']}/appointments/today").json()
    assert today["date"] == now_local.date().isoformat()
    assert created["id"] in [a["id"] for a in today["data"]]


def test_unknown_appointment_type_is_422(api):
    org, client = api.create_org()
    response = client.post("/real-time/availability", json={
        "date_from": "2030-01-07", "date_to": "2030-01-07", "appointment_type": "Massage"})
    assert response.status_code == 422 and "appointment_type" in response.json()["error"]["details"]["fields"]


def test_messages_progress_to_delivered_or_failed(api):
    org, client = api.create_org()
    base = f"/organizations/{org['id']}/messages"
    good = client.post(base, json={"channel": "sms", "to": "+15125550122", "body": "Reminder"}).json()  # ...2 never replies
    bad = client.post(base, json={"channel": "sms", "to": "+15125550000", "body": "Reminder"}).json()
    assert good["status"] == bad["status"] == "queued"
    wait_until(lambda: client.get(f"{base}/{good['id']}").json()["status"] == "delivered", timeout=5)
    failed = wait_until(lambda: (m := client.get(f"{base}/{bad['id']}").json())["status"] == "failed" and m)
    assert failed["error"]
    assert client.post(base, json={"channel": "sms", "to": "not-a-number", "body": "x"}).status_code == 422
    delta = client.get(base, params={"updated_since": good["created_at"]}).json()["data"]
    assert {m["status"] for m in delta} == {"delivered", "failed"}


def test_concurrent_bookings_of_one_slot_yield_exactly_one_appointment(api):
    org, _ = api.create_org()
    day = next_weekday(3)
    clients = [api.client(org["api_key"]) for _ in range(8)]

    def book(n):
        return clients[n].post("/real-time/booking", json={
            "starts_at": _local(day, "11:00"), "duration_minutes": 30,
            "customer": {"name": f"Racer {n}", "phone": f"+1512555{n + 700:04d}"}}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(book, range(8)))
    assert statuses == [201] + [409] * 7
