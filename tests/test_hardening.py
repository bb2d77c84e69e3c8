"""Hostile input never produces a 500 (regression tests for each class found), and
the security headers are on every page."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, Business, Contact


@pytest.fixture
def owned(client, auth, factories):
    owner = factories.user()
    business = factories.business(owner=owner)
    auth.login(owner.email)
    return business


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "10000-01-01", "2027-02-30"])
def test_far_out_dates_in_calendar_calls_and_exports(client, owned, day):
    slug = owned.slug
    urls = [f"/businesses/{slug}/appointments?view={view}&date={day}" for view in ("day", "week", "month")]
    urls += [f"/businesses/{slug}/calls?from={day}&to={day}", f"/businesses/{slug}/calls?from={day}",
             f"/businesses/{slug}/calls?to={day}", f"/businesses/{slug}/calls/export.csv?from={day}&to={day}",
             f"/businesses/{slug}/calls/export.csv?to={day}",
             f"/businesses/{slug}/appointments/slots?day={day}&appointment_type=Haircut",
             f"/businesses/{slug}/appointments/new?day={day}"]
    for url in urls:
        response = client.get(url)
        response.get_data()
        assert response.status_code < 500, url


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_far_out_dates_in_booking_and_reschedule(client, owned, day):
    from app.models.base import utcnow

    start = utcnow() + timedelta(days=2)
    appointment = Appointment(business_id=owned.id, customer_name="Ann", starts_at=start, ends_at=start + timedelta(hours=1))
    db.session.add(appointment)
    db.session.commit()
    for time_value in (f"{day}T10:00", f"{day}T23:59:59+14:00", f"{day}T00:00:00-12:00", f"{day} 10:00"):
        booking = client.post(f"/businesses/{owned.slug}/appointments/new",
                              data={"day": day, "starts_at": time_value, "contact_name": "Ann",
                                    "contact_phone": "+15555550100", "appointment_type": "Haircut"})
        assert booking.status_code < 500, time_value
        moved = client.post(f"/businesses/{owned.slug}/appointments/{appointment.id}/reschedule",
                            data={"day": day, "starts_at": time_value})
        assert moved.status_code < 500, time_value
        detail = client.get(f"/businesses/{owned.slug}/appointments/{appointment.id}?day={day}")
        assert detail.status_code < 500
    assert db.session.scalar(select(func.count(Appointment.id))) == 1
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).starts_at == start


def test_directory_page_past_64_bits(client, factories):
    factories.business(name="Listed")
    for page in ("99999999999999999999999", "-99999999999999999999", "1e309", "NaN", "٣"):
        response = client.get(f"/directory?page={page}")
        assert response.status_code < 500, page


def test_json_bodies_with_non_string_values_on_form_endpoints(client, owned):
    bodies = [{"name": 5, "email": ["x"], "password": {"a": 1}}, [1, 2], "text", None, {"monday_open": None}]
    for url in ("/signup", "/login", "/forgot-password", f"/businesses/{owned.slug}/edit",
                f"/businesses/{owned.slug}/contacts/new", f"/businesses/{owned.slug}/appointments/settings",
                f"/businesses/{owned.slug}/team/invite", f"/businesses/{owned.slug}/chat/widget"):
        for body in bodies:
            response = client.post(url, data=json.dumps(body), content_type="application/json")
            assert response.status_code < 500, (url, body)


def test_control_and_non_ascii_request_keys_never_reach_a_header(client, owned):
    for key in ("na\u00efve", "bad\r\nX-Injected: 1", "\x00", "caf\u00e9\x7f"):
        for url in (f"/businesses/{owned.slug}/contacts", f"/businesses/{owned.slug}/calls",
                    f"/businesses/{owned.slug}/calls/export.csv", f"/businesses/{owned.slug}/contacts/export.csv",
                    "/directory", f"/businesses/{owned.slug}/audit"):
            response = client.get(url, query_string={key: "1", "q": key, "tag": key, "segment": key})
            response.get_data()
            assert response.status_code < 500, (url, key)
            assert "X-Injected" not in response.headers


def test_emptied_opening_hours_time_is_a_field_error(client, owned):
    data = {"name": owned.name, "category": owned.category, "city": owned.city, "phone": owned.phone}
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
        data.update({f"{day}-opens": "09:00", f"{day}-closes": "17:00"})
    for emptied in ({"monday-closes": ""}, {"monday-opens": ""}, {"monday-opens": "", "monday-closes": ""}):
        response = client.post(f"/businesses/{owned.slug}/edit", data={**data, **emptied})
        assert response.status_code == 422, emptied
        assert b"Give opening and closing times" in response.data
    db.session.expire_all()
    assert db.session.get(Business, owned.id).opening_hours == owned.opening_hours


@pytest.mark.parametrize("value", ["Ann\x00", "Ann\x1b[31m", "Ann\x7f"])
def test_control_characters_are_refused_with_a_field_error(client, owned, value):
    response = client.post(f"/businesses/{owned.slug}/contacts/new", data={"name": value, "phone": "+15555550100"})
    assert response.status_code == 422
    assert b"control characters" in response.data
    assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_contacts_and_calls_exports_neutralise_formulas(client, owned):
    from app.models import Call
    from app.models.base import utcnow

    for name in ("=HYPERLINK(\"http://evil\")", "+1+2", "-3", "@SUM(A1)", "\tTab", "\rCR"):
        db.session.add(Contact(business_id=owned.id, name=name, notes="=cmd"))
    db.session.add(Call(business_id=owned.id, remote_id="c1", caller_name="=1+1", started_at=utcnow(),
                        direction="inbound", status="completed"))
    db.session.commit()
    contacts = client.get(f"/businesses/{owned.slug}/contacts/export.csv").get_data(as_text=True)
    for line in contacts.splitlines()[1:]:
        assert line[:1] not in ("=", "+", "-", "@", "\t", "\r"), line
    assert "'=HYPERLINK" in contacts and "'=cmd" in contacts
    calls = client.get(f"/businesses/{owned.slug}/calls/export.csv").get_data(as_text=True)
    assert "'=1+1" in calls


def test_security_headers_on_every_page(client, owned):
    for url in ("/", "/login", "/directory", f"/businesses/{owned.slug}/calls", "/nope-404"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in response.headers  # plain-HTTP development


def test_hsts_in_production_settings(app, client):
    app.config["HSTS_SECONDS"] = 63072000
    try:
        assert "max-age=63072000" in client.get("/").headers["Strict-Transport-Security"]
    finally:
        app.config["HSTS_SECONDS"] = 0


def test_no_inline_script_or_handlers_in_templates():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1] / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        text = path.read_text()
        if re.search(r"\son[a-z]+\s*=", text) or re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) \
                or "javascript:" in text or "hx-on" in text:
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_server_header_names_no_versions(app):
    from werkzeug.serving import WSGIRequestHandler

    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    assert handler.version_string() == "AlphaSite"


def test_hostile_request_keys_never_reach_an_http_header():
    import httpx

    from app.appointments.routes import _request_key
    from app.fourcalls.transport import header_safe

    for key in ("ключ", "a\r\nX-Injected: 1", "\x00", "x" * 500):
        safe = header_safe(f"booking:1:{key}")
        httpx.Headers({"Idempotency-Key": safe})  # raises on anything a header cannot carry
        assert safe.isascii() and safe.isprintable() and safe == header_safe(f"booking:1:{key}")
        assert _request_key(key) != key and len(_request_key(key)) == 32
    assert _request_key("0123abcd") == "0123abcd"


def test_json_and_widget_paths_refuse_control_characters_too():
    from app.chat.leads import clean_lead_fields
    from app.chat.turns import ChatInputError
    from app.contacts.services import ContactError, clean_contact_fields

    with pytest.raises(ContactError):
        clean_contact_fields({"name": "Ann\x00"})
    with pytest.raises(ChatInputError):
        clean_lead_fields("Ann", "+15555550100", None, "hi\x00")


def test_our_export_imports_back_unchanged():
    from app.csv_safety import safe_cell, unneutralise

    for value in ("+15555550100", "=1+1", "-3", "plain"):
        assert unneutralise(safe_cell(value)) == value


def test_nul_never_reaches_the_database(client, owned):
    # PostgreSQL refuses NUL in any text parameter, a search included (a 500 there).
    search = client.get(f"/businesses/{owned.slug}/contacts", query_string={"q": "a\x00", "tag": "\x00"})
    assert search.status_code == 422 and b"NUL" in search.data
    settings = client.post(f"/businesses/{owned.slug}/appointments/settings", data={"appointment_types": "Cut\x00, 30"})
    assert settings.status_code == 422
    widget = client.post("/widget/nope/messages", json={"text": ["ok", {"deep": "x\x00"}]})
    assert widget.status_code == 422


def test_a_refusal_quoting_a_field_name_with_braces_is_shown_as_sent(client, owned):
    # The refusal names the fields; a name with "{" was read as a format template (a 500).
    url = f"/businesses/{owned.slug}/appointments/settings"
    page = client.post(url, data={"{": "\x00", "{limit}": "x\x00"})
    assert page.status_code == 422 and "{, {limit}" in page.get_data(as_text=True)
    api = client.post("/api/v1/contacts", json={"}{0": "\x00"})
    assert api.status_code == 422 and "}{0" in api.get_json()["error"]["message"]


@pytest.mark.parametrize("path", ["/businesses/a%00b/calls", "/businesses/{slug}/contacts/%00", "/b/%00"])
def test_a_nul_in_the_urls_path_names_nothing(client, owned, path):
    # Before the user loader too: on a business page it reads the business by the URL's slug.
    assert client.get(path.format(slug=owned.slug)).status_code == 404
