"""A campaign audience uploaded as a CSV on the campaign form: imported through
the contacts importer (merge by phone), exactly those contacts are called,
bad files get a field error and leave nothing behind, a draft keeps its list."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.do_not_contact.services import add as dnc_add
from app.extensions import db
from app.models import (Campaign, CampaignTarget, Contact, ContactImport, DoNotContactChannel, ImportedContact)
from tests.campaign_helpers import add_contacts, campaign_form
from tests.campaigns.test_campaigns_pages import wire

LIST = ("Name,Phone,Email\n"
        "Known Person,(512) 555-0001,\n"  # already a contact as +15125550001: matched, not added
        "Nina New,512 555 0201,nina@example.com\n"
        "Omar New,+1 512 555 0202,\n"
        "No Phone,,nophone@example.com\n"  # imported (the importer's rules) but left out: no phone
        "Blocked Bob,512 555 0203,\n"  # on the do-not-call list
        "Nina Again,5125550201,\n")  # the same person as row 3: merged


@pytest.fixture
def shop(factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner, name="List Bakery", timezone="America/Chicago")
    coordinator = wire(business)
    add_contacts(business, ["+15125550001", "+15125550002"], tag="spring")
    dnc_add(business, DoNotContactChannel.PHONE, "+15125550203", source="manual", reason="asked on a call")
    db.session.commit()
    return business, coordinator


def csv_form(coordinator, text=LIST, filename="list.csv", **overrides):
    data = campaign_form(coordinator, tag="", concurrency="1", audience_source="csv", **overrides)
    data["csv_file"] = (io.BytesIO(text.encode() if isinstance(text, str) else text), filename)
    return data


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def post_new(client, business, data):
    return client.post(f"/businesses/{business.slug}/campaigns/new", data=data, content_type="multipart/form-data")


def test_uploaded_list_becomes_the_audience_merging_known_numbers(client, shop):
    business, coordinator = shop
    response = post_new(client, business, csv_form(coordinator))
    assert response.status_code == 302, response.get_data(as_text=True)
    campaign = db.session.scalar(select(Campaign))
    assert campaign.audience_source == "csv" and campaign.segment_id is None
    phones = set(db.session.scalars(select(Contact.phone).where(Contact.business_id == business.id)))
    # Two existing + Nina, Omar, Bob and the no-phone row; Nina's second row merged, the known number matched.
    assert count(Contact) == 6 and {"+15125550201", "+15125550202", "+15125550203"} <= phones
    audience = set(db.session.scalars(select(ImportedContact.contact_id)
                                      .where(ImportedContact.import_id == campaign.contact_import_id)))
    known = db.session.scalar(select(Contact.id).where(Contact.phone == "+15125550001"))
    assert len(audience) == 5 and known in audience
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "uploaded list list.csv: 5 contacts (4 new, 1 already in your contacts)" in page
    assert "3</span>" in page and "of 5 matching" in page  # Known, Nina, Omar
    assert "1 left out: no phone number" in page and "1 left out: on the do-not-call list" in page

    # Launching calls exactly those people, not the other tagged contact.
    launched = client.post(f"/businesses/{business.slug}/campaigns/{campaign.id}/launch")
    assert launched.status_code == 302
    targets = set(db.session.scalars(select(CampaignTarget.phone).where(CampaignTarget.campaign_id == campaign.id)))
    assert targets == {"+15125550001", "+15125550201", "+15125550202"}


@pytest.mark.parametrize("text, message", [
    ("", "The file is empty."),
    ("Name,Email\nAnn,ann@example.com\n", "no phone number column"),
    ("Name,Phone\nAnn,not a number\nBen,12\n", "No row of the file has a valid phone number"),
    ("Name,Phone\nAnn,,\n", "No row of the file has a valid phone number"),
    ('Name,Phone\n"Ann,5125550301\n', "not valid CSV"),
    ("Name,Phone\nAnn,5125550301,extra,values\n", "unquoted comma"),
    (b"\x00\x01binary", "binary data"),
    ("Name,Phone\n", "no contacts below it"),
])
def test_a_bad_file_gets_a_field_error_and_nothing_is_created(client, shop, text, message):
    business, coordinator = shop
    before = count(Contact)
    response = post_new(client, business, csv_form(coordinator, text=text))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Campaign) == 0 and count(Contact) == before and count(ContactImport) == 0
    assert count(ImportedContact) == 0


def test_no_file_chosen_is_a_field_error(client, shop):
    business, coordinator = shop
    data = campaign_form(coordinator, tag="", concurrency="1", audience_source="csv")
    response = post_new(client, business, data)
    assert response.status_code == 422 and "Choose the CSV file" in response.get_data(as_text=True)
    assert count(Campaign) == 0


def test_another_field_error_rolls_back_the_imported_list(client, shop):
    business, coordinator = shop
    before = count(Contact)
    response = post_new(client, business, csv_form(coordinator, window_start="07:00"))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "between 08:00 and 21:00" in text and "choose it again" in text
    assert count(Campaign) == 0 and count(Contact) == before and count(ContactImport) == 0


def test_a_list_where_nobody_can_be_called_is_refused(client, shop):
    business, coordinator = shop
    response = post_new(client, business, csv_form(coordinator, text="Name,Phone\nBob,512 555 0203\n"))
    assert response.status_code == 422
    assert "No contact in this audience can be called." in response.get_data(as_text=True)
    assert count(Campaign) == 0 and count(ContactImport) == 0


def test_preview_reads_the_file_without_saving_anything(client, shop):
    business, coordinator = shop
    before = count(Contact)
    response = client.post(f"/businesses/{business.slug}/campaigns/preview", data=csv_form(coordinator),
                           content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "of 5 matching" in text and "1 left out: no phone number" in text
    assert "uploaded list list.csv" in text
    assert count(Contact) == before and count(ContactImport) == 0 and count(ImportedContact) == 0

    bad = client.post(f"/businesses/{business.slug}/campaigns/preview",
                      data=csv_form(coordinator, text="Name\nAnn\n"), content_type="multipart/form-data")
    assert bad.status_code == 200 and "no phone number column" in bad.get_data(as_text=True)


def test_a_draft_keeps_its_list_when_edited_and_can_replace_it(client, shop):
    business, coordinator = shop
    post_new(client, business, csv_form(coordinator))
    campaign = db.session.scalar(select(Campaign))
    first_list = campaign.contact_import_id
    edit_url = f"/businesses/{business.slug}/campaigns/{campaign.id}/edit"
    form = client.get(edit_url).get_data(as_text=True)
    assert 'value="csv" checked' in form and "Calling the list.csv list" in form

    # Contacts added or retagged later do not join an uploaded list.
    add_contacts(business, ["+15125550009"], tag="spring")
    data = campaign_form(coordinator, tag="", concurrency="1", audience_source="csv", name="Renamed")
    response = client.post(edit_url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    assert campaign.name == "Renamed" and campaign.contact_import_id == first_list
    assert "of 5 matching" in client.get(response.headers["Location"]).get_data(as_text=True)

    replaced = client.post(edit_url, data=csv_form(coordinator, text="Name,Phone\nZed,512 555 0299\n",
                                                   filename="second.csv"), content_type="multipart/form-data")
    assert replaced.status_code == 302
    db.session.expire_all()
    assert campaign.contact_import_id != first_list
    assert "uploaded list second.csv: 1 contact (1 new" in client.get(replaced.headers["Location"]).get_data(as_text=True)

    # Back to a segment: the tag decides again.
    segment = client.post(edit_url, data=campaign_form(coordinator, tag="spring", concurrency="1"),
                          content_type="multipart/form-data")
    assert segment.status_code == 302
    db.session.expire_all()
    assert campaign.audience_source == "segment" and campaign.contact_import_id is None
    assert campaign.segment.rules["tags"] == ["spring"]


def test_a_list_of_another_business_is_not_taken_from_the_form(client, shop, factories, logged_in_owner):
    business, coordinator = shop
    post_new(client, business, csv_form(coordinator))
    first_list = db.session.scalar(select(Campaign)).contact_import_id
    other = factories.business(owner=logged_in_owner, name="Second Shop")
    other_coordinator = wire(other)
    data = campaign_form(other_coordinator, tag="", concurrency="1", audience_source="csv",
                         contact_import_id=str(first_list))
    text = client.post(f"/businesses/{other.slug}/campaigns/preview", data=data,
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "Choose the CSV file" in text and "list.csv" not in text
    refused = post_new(client, other, data)
    assert refused.status_code == 422 and "Choose the CSV file" in refused.get_data(as_text=True)
