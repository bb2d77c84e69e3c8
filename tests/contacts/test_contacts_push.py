"""Pushing local contact changes to the 4calls sandbox, through outages."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.contacts.push import push_contact, sweep_pending_contacts
from app.extensions import db
from app.assistant.connection import organization_client
from app.models import Contact, SyncState
from tests.fourcalls_helpers import provision


@pytest.fixture
def business(use_fourcalls, factories, logged_in_owner):
    use_fourcalls(FOURCALLS_MAX_ATTEMPTS=1)
    business = factories.business(owner=logged_in_owner, name="Push Salon")
    provision(business)
    return business


def remote_contact(business, remote_id):
    org = organization_client(business)
    return org.get_contact(org.organization_id, remote_id)


def test_create_edit_tag_and_delete_reach_4calls(client, business, run_jobs):
    client.post(f"/businesses/{business.slug}/contacts/new",
                data={"name": "Ada Lovelace", "phone": "555 201 1001", "tags": "vip"})
    run_jobs()
    contact = db.session.scalar(select(Contact))
    assert contact.sync_state == SyncState.SYNCED and contact.remote_id
    remote = remote_contact(business, contact.remote_id)
    assert (remote["name"], remote["phone"], remote["tags"]) == ("Ada Lovelace", "+15552011001", ["vip"])

    client.post(f"/businesses/{business.slug}/contacts/{contact.id}/field/email", data={"value": "ada@example.com"})
    client.post(f"/businesses/{business.slug}/contacts/bulk-tag", data={"ids": [str(contact.id)], "tag": "newsletter"})
    run_jobs()
    remote = remote_contact(business, contact.remote_id)
    assert remote["email"] == "ada@example.com" and sorted(remote["tags"]) == ["newsletter", "vip"]

    client.post(f"/businesses/{business.slug}/contacts/{contact.id}/delete")
    run_jobs()
    org = organization_client(business)
    assert [c["id"] for c in org.list_contacts(org.organization_id)] == []


def test_edits_made_while_4calls_is_down_stay_pending_and_arrive_later(client, business, fourcalls, run_jobs):
    fourcalls.set_faults(error_rate=1.0)
    client.post(f"/businesses/{business.slug}/contacts/new", data={"name": "Grace Hopper", "phone": "555 201 1002"})
    run_jobs()  # every retry fails
    contact = db.session.scalar(select(Contact))
    assert contact.sync_state == SyncState.PENDING and contact.remote_id is None
    page = client.get(f"/businesses/{business.slug}/contacts").get_data(as_text=True)
    assert "Grace Hopper" in page and "pending" in page

    fourcalls.clear_faults()
    assert sweep_pending_contacts() == 1
    run_jobs()
    db.session.expire_all()
    contact = db.session.scalar(select(Contact))
    assert contact.sync_state == SyncState.SYNCED
    assert remote_contact(business, contact.remote_id)["name"] == "Grace Hopper"


def test_a_phone_4calls_already_knows_is_adopted_not_duplicated(business):
    org = organization_client(business)
    existing = org.create_contact(org.organization_id, {"name": "Caller", "phone": "+15552011003"})
    contact = Contact(business_id=business.id, name="Carla Caller", phone="+15552011003", sync_state=SyncState.PENDING)
    db.session.add(contact)
    db.session.commit()
    assert push_contact(contact.id) == "created"
    assert contact.remote_id == existing["id"]
    assert remote_contact(business, existing["id"])["name"] == "Carla Caller"


def test_an_import_is_pushed_in_a_batch(client, business, run_jobs):
    import io

    csv_data = b"Name,Phone\n" + b"".join(f"Person {i},555201{2000 + i}\n".encode() for i in range(30))
    response = client.post(f"/businesses/{business.slug}/contacts/import",
                           data={"file": (io.BytesIO(csv_data), "people.csv")}, content_type="multipart/form-data")
    client.post(response.headers["Location"], data={"map_name": "Name", "map_phone": "Phone", "action": "start"})
    run_jobs()
    states = set(db.session.scalars(select(Contact.sync_state)))
    assert states == {SyncState.SYNCED}
    org = organization_client(business)
    assert len(org.list_contacts(org.organization_id).all()) == 30


def test_a_contact_deleted_on_4calls_meanwhile_is_marked_not_synced(business):
    org = organization_client(business)
    remote = org.create_contact(org.organization_id, {"name": "Gone", "phone": "+15552011009"})
    org.delete_contact(org.organization_id, remote["id"])
    contact = Contact(business_id=business.id, name="Gone", remote_id=remote["id"], sync_state=SyncState.PENDING)
    db.session.add(contact)
    db.session.commit()
    assert push_contact(contact.id) == "refused"
    assert contact.sync_state == SyncState.ERROR and contact.sync_error
