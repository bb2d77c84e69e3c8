"""Contacts: list and search, create, click-to-edit, tags, custom fields, delete, limits."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.contacts.phone import InvalidPhone, normalise_phone
from app.extensions import db
from app.models import Contact, ContactTag, SyncState
from tests.factories import make_integration


def give_package(business, package="ai_sales"):
    make_integration(business, package)
    return business


@pytest.fixture
def business(factories, logged_in_owner):
    return give_package(factories.business(owner=logged_in_owner, name="Studio Shear"))


def add_contact(business, name, phone=None, email=None, tags=(), **fields):
    contact = Contact(business_id=business.id, name=name, phone=phone, email=email, **fields)
    db.session.add(contact)
    db.session.flush()
    for tag in tags:
        db.session.add(ContactTag(contact_id=contact.id, tag=tag, business_id=business.id))
    db.session.commit()
    return contact


@pytest.mark.parametrize("raw, expected", [
    ("(555) 201-1001", "+15552011001"),
    ("1-555-201-1001", "+15552011001"),
    ("+44 20 7946 0958", "+442079460958"),
    ("0044 20 7946 0958", "+442079460958"),
    ("", None),
])
def test_phone_numbers_become_e164(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw, words", [
    ("555-CALL-NOW", "letters"),
    ("12345", "5 digits"),
    ("(155) 201-1001", "area code"),
    ("+0 555 2011", "international"),
])
def test_invalid_phone_numbers_say_why(raw, words):
    with pytest.raises(InvalidPhone, match=words):
        normalise_phone(raw)


def test_list_searches_by_name_phone_and_email(client, business):
    add_contact(business, "Ada Lovelace", phone="+15552011001", email="ada@example.com")
    add_contact(business, "Grace Hopper", phone="+15552011002", email="grace@navy.example")
    url = f"/businesses/{business.slug}/contacts"
    assert b"Grace Hopper" in client.get(url).data
    by_name = client.get(url, query_string={"q": "ada"}).get_data(as_text=True)
    assert "Ada Lovelace" in by_name and "Grace Hopper" not in by_name
    by_phone = client.get(url, query_string={"q": "201-1002"}).get_data(as_text=True)
    assert "Grace Hopper" in by_phone and "Ada Lovelace" not in by_phone
    by_email = client.get(url, query_string={"q": "navy"}).get_data(as_text=True)
    assert "Grace Hopper" in by_email and "Ada Lovelace" not in by_email


def test_htmx_search_returns_only_the_results_fragment(client, business):
    add_contact(business, "Ada Lovelace")
    response = client.get(f"/businesses/{business.slug}/contacts?q=ada", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in response.get_data(as_text=True) and "Ada Lovelace" in response.get_data(as_text=True)


def test_filter_by_tag_and_segment_and_paginate(client, business):
    for i in range(30):
        add_contact(business, f"Person {i:02d}", tags=["vip"] if i < 3 else [], source="import" if i % 2 else "manual")
    url = f"/businesses/{business.slug}/contacts"
    vip = client.get(url, query_string={"tag": "vip"}).get_data(as_text=True)
    assert "3 contacts" in vip and "Person 00" in vip and "Person 05" not in vip
    imported = client.get(url, query_string={"segment": "import"}).get_data(as_text=True)
    assert "15 contacts" in imported and "Person 01" in imported and "Person 02" not in imported
    page2 = client.get(url, query_string={"page": 2}).get_data(as_text=True)
    assert "Person 29" in page2 and "Person 00" not in page2 and "Page 2 of 2" in page2
    desc = client.get(url, query_string={"sort": "-name"}).get_data(as_text=True)
    assert desc.index("Person 29") < desc.index("Person 28")


def test_create_contact_normalises_and_marks_pending(client, business, app):
    response = client.post(f"/businesses/{business.slug}/contacts/new", data={
        "name": "Ada Lovelace", "phone": "(555) 201-1001", "email": "ADA@Example.com", "tags": "vip, Newsletter ,vip"})
    assert response.status_code == 302
    contact = db.session.scalar(select(Contact))
    assert (contact.phone, contact.email, contact.sync_state) == ("+15552011001", "ada@example.com", SyncState.PENDING)
    assert contact.tag_names == ["newsletter", "vip"]
    queue = app.extensions["job_queue"]
    if hasattr(queue, "pending"):
        assert f"contact-push:{contact.id}" in [job.job_id for job in queue.pending]
    else:
        from app.jobs.queue import rq_job_id

        assert rq_job_id(f"contact-push:{contact.id}") in queue.queue.job_ids


def test_invalid_phone_is_refused_and_the_form_keeps_the_input(client, business):
    response = client.post(f"/businesses/{business.slug}/contacts/new",
                           data={"name": "Ada Lovelace", "phone": "555-CALL-NOW"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "contains letters" in page and 'value="Ada Lovelace"' in page
    assert db.session.scalar(select(Contact)) is None


def test_duplicate_phone_is_refused(client, business):
    add_contact(business, "Ada", phone="+15552011001")
    response = client.post(f"/businesses/{business.slug}/contacts/new", data={"name": "Other", "phone": "555 201 1001"})
    assert response.status_code == 422 and "already belongs to Ada" in response.get_data(as_text=True)


def test_empty_contact_is_refused(client, business):
    response = client.post(f"/businesses/{business.slug}/contacts/new", data={"notes": "just a note"})
    assert response.status_code == 422 and "at least a name" in response.get_data(as_text=True)


def test_contact_limit_refuses_the_501st_on_ai_receptionist(client, factories, logged_in_owner):
    business = give_package(factories.business(owner=logged_in_owner), "ai_receptionist")
    db.session.add_all([Contact(business_id=business.id, name=f"C{i}") for i in range(500)])
    db.session.commit()
    response = client.post(f"/businesses/{business.slug}/contacts/new", data={"name": "One too many"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "up to 500 contacts" in page and "Upgrade to AI Sales Assistant" in page
    assert db.session.scalar(select(Contact).where(Contact.name == "One too many")) is None


def test_click_to_edit_round_trip(client, business):
    contact = add_contact(business, "Ada", phone="+15552011001")
    base = f"/businesses/{business.slug}/contacts/{contact.id}/field/phone"
    editor = client.get(base + "?edit=1").get_data(as_text=True)
    assert 'name="value"' in editor and "+15552011001" in editor
    saved = client.post(base, data={"value": "555 201 9999"})
    assert saved.status_code == 200 and "+1 555 201 9999" in saved.get_data(as_text=True)
    db.session.refresh(contact)
    assert contact.phone == "+15552019999" and contact.sync_state == SyncState.PENDING


def test_click_to_edit_rejects_bad_value_and_changes_nothing(client, business):
    contact = add_contact(business, "Ada", email="ada@example.com")
    response = client.post(f"/businesses/{business.slug}/contacts/{contact.id}/field/email", data={"value": "not-an-email"})
    assert response.status_code == 422
    assert "not a valid email" in response.get_data(as_text=True) and 'value="not-an-email"' in response.get_data(as_text=True)
    db.session.refresh(contact)
    assert contact.email == "ada@example.com"


def test_custom_fields_are_defined_typed_and_edited(client, factories, logged_in_owner):
    # Custom fields are Advanced CRM (AI Business Suite and up); the gate: tests/contacts/test_crm_gating.py
    business = give_package(factories.business(owner=logged_in_owner, name="Suite Salon"), "ai_business_suite")
    url = f"/businesses/{business.slug}/contacts/fields"
    assert client.post(url, data={"label": "Visits", "field_type": "number"}).status_code == 302
    assert client.post(url, data={"label": "visits", "field_type": "text"}).status_code == 422
    contact = add_contact(business, "Ada")
    field_url = f"/businesses/{business.slug}/contacts/{contact.id}/field/cf_visits"
    assert client.post(field_url, data={"value": "many"}).status_code == 422
    assert client.post(field_url, data={"value": "12"}).status_code == 200
    db.session.refresh(contact)
    assert contact.custom_fields == {"visits": 12}
    assert "Visits" in client.get(f"/businesses/{business.slug}/contacts/{contact.id}").get_data(as_text=True)


def test_bulk_tag_and_untag(client, business):
    a, b, c = (add_contact(business, n) for n in ("A", "B", "C"))
    url = f"/businesses/{business.slug}/contacts/bulk-tag"
    client.post(url, data={"ids": [str(a.id), str(b.id)], "tag": "VIP", "action": "add"})
    assert sorted(db.session.scalars(select(ContactTag.contact_id).where(ContactTag.tag == "vip"))) == sorted([a.id, b.id])
    client.post(url, data={"ids": [str(a.id), str(c.id)], "tag": "vip", "action": "remove"})
    assert list(db.session.scalars(select(ContactTag.contact_id).where(ContactTag.tag == "vip"))) == [b.id]


def test_bulk_tag_does_not_touch_other_businesses(client, business, factories):
    stranger = add_contact(factories.business(owner=factories.user()), "Not yours")
    client.post(f"/businesses/{business.slug}/contacts/bulk-tag", data={"ids": [str(stranger.id)], "tag": "x"})
    assert db.session.scalar(select(ContactTag)) is None


def test_delete_hides_the_contact_and_keeps_a_tombstone_to_push(client, business):
    contact = add_contact(business, "Ada")
    assert client.post(f"/businesses/{business.slug}/contacts/{contact.id}/delete").status_code == 302
    db.session.refresh(contact)
    assert contact.deleted_at is not None and contact.sync_state == SyncState.PENDING
    assert client.get(f"/businesses/{business.slug}/contacts/{contact.id}").status_code == 404
    assert "Ada" not in client.get(f"/businesses/{business.slug}/contacts").get_data(as_text=True)


def test_export_csv_follows_the_filters(client, business):
    add_contact(business, "Zoë Ünal", phone="+15552011001", tags=["vip"])
    add_contact(business, "Bob", phone="+15552011002")
    response = client.get(f"/businesses/{business.slug}/contacts/export.csv?tag=vip")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and text.startswith("\ufeffName,Phone,Email,Tags")
    assert "Zoë Ünal,'+15552011001,,vip" in text  # formula-safe: spreadsheets run cells starting with + and "Bob" not in text


def test_other_owners_cannot_reach_a_contact(client, auth, business, factories):
    contact = add_contact(business, "Ada")
    intruder = factories.user()
    auth.logout()
    auth.login(intruder.email)
    base = f"/businesses/{business.slug}/contacts/{contact.id}"
    for method, url in [("GET", base), ("GET", base + "/field/name?edit=1"), ("POST", base + "/field/name"),
                        ("POST", base + "/tags"), ("POST", base + "/delete")]:
        assert client.open(url, method=method, data={"value": "x"}).status_code == 404, url
    db.session.refresh(contact)
    assert contact.name == "Ada" and contact.deleted_at is None


def test_timeline_collects_calls_chats_appointments_and_campaigns_newest_first(client, business):
    from datetime import datetime, timedelta, timezone

    from app.models import Appointment, Call
    from app.models.chat import ChatConversation

    contact = add_contact(business, "Ada", phone="+15552011001")
    now = datetime.now(timezone.utc)
    db.session.add_all([
        Call(business_id=business.id, remote_id="call_1", direction="inbound", contact_id=contact.id,
             started_at=now - timedelta(days=3), status="answered", duration_seconds=95, summary="Asked about prices"),
        Call(business_id=business.id, remote_id="call_2", direction="outbound", contact_id=contact.id,
             started_at=now - timedelta(days=1), status="answered", campaign_remote_id="camp_1", outcome="not_interested"),
        Appointment(business_id=business.id, remote_id="appt_1", contact_id=contact.id, customer_name="Ada",
                    appointment_type="Haircut", starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=2),
                    status="completed", source="call"),
        ChatConversation(business_id=business.id, visitor_id="v1", contact_id=contact.id, message_count=4,
                         last_message_at=now - timedelta(hours=2)),
    ])
    db.session.commit()
    page = client.get(f"/businesses/{business.slug}/contacts/{contact.id}").get_data(as_text=True)
    order = [page.index(text) for text in ("Website chat", "Campaign call", "Haircut · completed", "Inbound call")]
    assert order == sorted(order)
    assert "Asked about prices" in page and "Not interested" in page and "4 messages" in page


def test_other_owners_cannot_remove_a_custom_field(client, auth, business):
    from app.contacts.fields import add_field_definition, field_definitions

    definition = add_field_definition(business, "Birthday", "date")
    auth.logout()
    from app.models import User

    intruder = User(email="intruder@example.com", name="Intruder")
    intruder.set_password("correct-horse-battery")
    db.session.add(intruder)
    db.session.commit()
    auth.login(intruder.email)
    assert client.post(f"/businesses/{business.slug}/contacts/fields/{definition.id}/delete").status_code == 404
    assert [d.label for d in field_definitions(business)] == ["Birthday"]
