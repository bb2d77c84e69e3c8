"""Duplicates and merge, bulk edit and import templates (issue 19, advanced CRM)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.contacts.duplicates import find_duplicates
from app.contacts.fields import add_field_definition
from app.extensions import db
from app.assistant.connection import organization_client
from app.models import (Appointment, Call, Contact, ContactConsent, ContactImport, ContactInsight, ContactMessage, ContactSegment,
                        ContactTag, ImportMappingTemplate, Lead, SyncState)
from sandbox.fourcalls.testing import running_fourcalls
from tests.fourcalls_helpers import provision
from tests.contacts.test_contacts import add_contact, give_package

NOW = datetime(2027, 3, 10, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def business(factories, logged_in_owner):
    business = give_package(factories.business(owner=logged_in_owner, name="Merge Salon"), "ai_business_suite")
    add_field_definition(business, "Stylist", "text")
    return business


def test_duplicates_are_found_by_phone_email_and_similar_name(business):
    a = add_contact(business, "Ada Lovelace", phone="+15552011001")
    b = add_contact(business, "Augusta Byron", phone="+15552011001")
    c = add_contact(business, "Grace Hopper", email="grace@navy.example")
    d = add_contact(business, "G Hopper", email="GRACE@navy.example")
    e = add_contact(business, "Jon Smith")
    f = add_contact(business, "John Smith")
    g = add_contact(business, "Smith John")
    add_contact(business, "Joan Smythe-Williams")
    add_contact(business, "Unrelated Person", phone="+15552011009")
    gone = add_contact(business, "Ada Lovelace", phone="+15552011001")
    gone.deleted_at = NOW
    db.session.commit()
    groups = {frozenset(x.id for x in grp.contacts): grp.reason_text for grp in find_duplicates(business)}
    assert groups[frozenset({a.id, b.id})] == "same phone"
    assert groups[frozenset({c.id, d.id})] == "same email"
    assert groups[frozenset({e.id, f.id, g.id})] == "similar name"
    assert len(groups) == 3


@pytest.fixture(scope="module")
def fourcalls(tmp_path_factory):
    with running_fourcalls(tmp_path_factory.mktemp("fourcalls-merge")) as sandbox:
        yield sandbox


@pytest.fixture
def synced(app, fourcalls, factories, logged_in_owner):
    previous = app.config["FOURCALLS_API_URL"]
    app.config["FOURCALLS_API_URL"] = fourcalls.url
    app.config["FOURCALLS_MAX_ATTEMPTS"] = 1
    business = factories.business(owner=logged_in_owner, name="Synced Salon")
    provision(business, package="ai_business_suite")
    add_field_definition(business, "Stylist", "text")
    yield business
    fourcalls.clear_faults()
    app.config["FOURCALLS_API_URL"] = previous
    app.config.pop("FOURCALLS_MAX_ATTEMPTS", None)


def _new(client, business, **data):
    client.post(f"/businesses/{business.slug}/contacts/new", data=data)
    return db.session.scalar(select(Contact).where(Contact.name == data["name"]))


def test_merge_previews_then_moves_everything_and_updates_4calls(client, synced, run_jobs):
    business = synced
    kept = _new(client, business, name="Ada Lovelace", phone="555 201 1001", tags="vip")
    dup = _new(client, business, name="Ada L.", email="ada@example.com", tags="newsletter", notes="Prefers mornings")
    run_jobs()
    db.session.refresh(kept), db.session.refresh(dup)
    assert kept.remote_id and dup.remote_id
    dup_remote = dup.remote_id
    dup.custom_fields = {"stylist": "Mia"}
    call = Call(business_id=business.id, remote_id="call-1", direction="inbound", contact_id=dup.id,
                contact_remote_id=dup_remote, started_at=NOW, status="answered")
    appointment = Appointment(business_id=business.id, contact_id=dup.id, starts_at=NOW, ends_at=NOW + timedelta(hours=1))
    lead = Lead(business_id=business.id, contact_id=dup.id, status="new", source="manual", name="Ada L.")
    message = ContactMessage(business_id=business.id, contact_id=dup.id, direction="outbound", channel="sms",
                             body="Hi", status="sent")
    consent = ContactConsent(business_id=business.id, contact_id=dup.id, consent_type="marketing", method="verbal",
                             captured_at=NOW)
    db.session.add_all([call, appointment, lead, message, consent])
    db.session.commit()

    url = f"/businesses/{business.slug}/contacts/merge"
    preview = client.get(url, query_string={"ids": [str(kept.id), str(dup.id)], "pick_name": str(kept.id)})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "1 call, 1 appointment, 1 lead, 1 message, 1 consent record" in page
    assert "ada@example.com" in page and "Prefers mornings" in page and "Mia" in page
    assert db.session.get(Contact, dup.id).deleted_at is None  # the preview changes nothing

    response = client.post(url, data={"ids": [str(kept.id), str(dup.id)], "kept": str(kept.id),
                                      "pick_name": str(kept.id)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/contacts/{kept.id}")
    db.session.expire_all()
    kept, dup = db.session.get(Contact, kept.id), db.session.get(Contact, dup.id)
    assert (kept.name, kept.phone, kept.email) == ("Ada Lovelace", "+15552011001", "ada@example.com")
    assert kept.tag_names == ["newsletter", "vip"] and kept.custom_fields == {"stylist": "Mia"}
    assert "Prefers mornings" in kept.notes
    assert dup.deleted_at is not None and dup.merged_into_id == kept.id
    for model in (Call, Appointment, Lead, ContactMessage, ContactConsent):
        assert db.session.scalar(select(model.contact_id)) == kept.id, model
    run_jobs()
    org = organization_client(business)
    remote = org.get_contact(org.organization_id, kept.remote_id)
    assert remote["email"] == "ada@example.com" and sorted(remote["tags"]) == ["newsletter", "vip"]
    assert dup_remote not in [c["id"] for c in org.list_contacts(org.organization_id) if not c.get("deleted")]
    db.session.expire_all()
    assert db.session.get(Contact, kept.id).sync_state == SyncState.SYNCED
    # 4calls may still file a call under the duplicate's id: it lands on the kept contact.
    from app.crm_sync.upserts import apply_remote_calls
    from tests.sync_helpers import remote_call

    apply_remote_calls(business, [remote_call(2, contact_id=dup_remote)])
    db.session.commit()
    assert db.session.scalar(select(Call.contact_id).where(Call.remote_id != "call-1")) == kept.id


def test_merge_takes_over_the_4calls_record_when_the_kept_contact_has_none(business):
    from app.contacts.merge import load_group, merge, merge_plan

    kept = add_contact(business, "Ada")
    dup = add_contact(business, "Ada", remote_id="remote-ada")
    plan = merge_plan(business, load_group(business, [kept.id, dup.id]))
    merge(business, plan)
    db.session.expire_all()
    assert db.session.get(Contact, kept.id).remote_id == "remote-ada"
    assert db.session.get(Contact, dup.id).remote_id is None


def test_bad_merge_requests_are_refused_and_change_nothing(client, business, factories):
    a, b = add_contact(business, "Ada", phone="+15552011001"), add_contact(business, "Ada", phone="+15552011002")
    url = f"/businesses/{business.slug}/contacts/merge"
    other = give_package(factories.business(owner=factories.user(), name="Other Biz"), "ai_business_suite")
    stranger = add_contact(other, "Ada")
    for data in ({"ids": [str(a.id)]}, {"ids": [str(a.id), "nope"]}, {"ids": [str(a.id), str(stranger.id)]},
                 {"ids": [str(a.id), str(b.id)], "pick_phone": str(stranger.id)}):
        response = client.post(url, data=data)
        assert response.status_code == 302 and response.headers["Location"].endswith("/contacts/duplicates")
    assert db.session.scalar(select(func.count()).select_from(Contact).where(Contact.deleted_at.is_not(None))) == 0


def test_a_failing_merge_leaves_nothing_half_written(business, monkeypatch):
    from app.contacts import merge as merging

    kept, dup = add_contact(business, "Ada"), add_contact(business, "Ada", tags=["vip"])
    db.session.add(Call(business_id=business.id, remote_id="c1", direction="inbound", contact_id=dup.id,
                        started_at=NOW, status="answered"))
    db.session.commit()
    plan = merging.merge_plan(business, merging.load_group(business, [kept.id, dup.id]))
    monkeypatch.setattr(merging, "_move_campaign_targets", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        merging.merge(business, plan)
    db.session.expire_all()
    assert db.session.get(Contact, dup.id).deleted_at is None
    assert db.session.scalar(select(Call.contact_id)) == dup.id
    assert db.session.get(Contact, kept.id).tag_names == []


def test_bulk_edit_sets_a_field_on_selected_contacts_or_a_segment(client, business):
    a, b, c = add_contact(business, "Ada", tags=["vip"]), add_contact(business, "Bob", tags=["vip"]), add_contact(business, "Cy")
    url = f"/businesses/{business.slug}/contacts/bulk-edit"
    chosen = client.post(url, data={"ids": [str(a.id), str(c.id)], "step": "choose"})
    assert chosen.status_code == 200 and "2 selected contacts" in chosen.get_data(as_text=True)
    done = client.post(url, data={"ids": [str(a.id), str(c.id)], "step": "apply", "action": "set_field",
                                  "field": "stylist", "value": "Mia"})
    assert done.status_code == 302
    db.session.expire_all()
    assert [x.custom_fields for x in (db.session.get(Contact, i) for i in (a.id, b.id, c.id))] == [
        {"stylist": "Mia"}, {}, {"stylist": "Mia"}]
    assert db.session.get(Contact, a.id).sync_state == SyncState.PENDING
    segment = ContactSegment(business_id=business.id, name="VIP", rules={
        "match": "all", "groups": [{"match": "all", "conditions": [{"subject": "tag", "op": "has", "value": "vip"}]}]})
    db.session.add(segment)
    db.session.commit()
    assert "2 contacts in this segment" in client.get(url, query_string={"saved": str(segment.id)}).get_data(as_text=True)
    client.post(url, data={"saved": str(segment.id), "step": "apply", "action": "add_tag", "value": "Spring Promo"})
    db.session.expire_all()
    assert sorted(t.contact_id for t in db.session.scalars(select(ContactTag).where(ContactTag.tag == "spring promo"))) == sorted([a.id, b.id])


@pytest.mark.parametrize("data, words", [
    ({"action": "set_field", "field": "nope", "value": "x"}, "Choose one of your custom fields"),
    ({"action": "explode", "value": "x"}, "Choose what to change"),
    ({"action": "add_tag", "value": "   "}, "Type the tag"),
])
def test_bad_bulk_edits_are_field_errors_and_change_nothing(client, business, data, words):
    a = add_contact(business, "Ada")
    response = client.post(f"/businesses/{business.slug}/contacts/bulk-edit",
                           data={"ids": [str(a.id)], "step": "apply", **data})
    assert response.status_code == 422 and words in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, a.id).custom_fields == {} and db.session.get(Contact, a.id).tag_names == []


def test_bulk_edit_validates_the_value_for_the_field_type(client, business):
    add_field_definition(business, "Visits", "number")
    a = add_contact(business, "Ada")
    response = client.post(f"/businesses/{business.slug}/contacts/bulk-edit",
                           data={"ids": [str(a.id)], "step": "apply", "action": "set_field", "field": "visits",
                                 "value": "lots"})
    assert response.status_code == 422 and "not a number" in response.get_data(as_text=True)
    empty = client.post(f"/businesses/{business.slug}/contacts/bulk-edit", data={"step": "apply", "action": "add_tag",
                                                                                  "value": "x"})
    assert empty.status_code == 422 and "Select at least one contact" in empty.get_data(as_text=True)


def _upload(client, business, content: bytes):
    from io import BytesIO

    return client.post(f"/businesses/{business.slug}/contacts/import",
                       data={"file": (BytesIO(content), "contacts.csv")}, content_type="multipart/form-data")


def test_import_mapping_templates_are_remembered_per_business(client, business, factories):
    first = _upload(client, business, b"Client,Mobile,Chair\nAda,555 201 1001,Mia\n")
    review = first.headers["Location"]
    saved = client.post(review, data={"map_name": "Client", "map_phone": "Mobile", "map_cf_stylist": "Chair",
                                      "template_name": "Salon export", "action": "save_template"})
    assert saved.status_code == 302
    template = db.session.scalar(select(ImportMappingTemplate))
    assert template.mapping == {"name": "Client", "phone": "Mobile", "cf_stylist": "Chair"}
    # The next file with those columns starts from the template, not a guess.
    second = _upload(client, business, b"Chair,Client,Mobile,Extra\nZoe,Bob,555 201 1002,x\n")
    imp = db.session.scalar(select(ContactImport).order_by(ContactImport.created_at.desc()))
    assert second.status_code == 302 and imp.mapping == {"name": "Client", "phone": "Mobile", "cf_stylist": "Chair"}
    unnamed = client.post(second.headers["Location"], data={"map_name": "Client", "action": "save_template"})
    assert unnamed.status_code == 422 and "Name the template" in unnamed.get_data(as_text=True)
    # Another business does not see it.
    other = give_package(factories.business(owner=factories.user(), name="Other Salon"), "ai_business_suite")
    assert client.post(f"/businesses/{other.slug}/contacts/import-templates/{template.id}/delete").status_code == 404
    listing = client.get(f"/businesses/{business.slug}/contacts/import-templates").get_data(as_text=True)
    assert "Salon export" in listing
    assert client.post(f"/businesses/{business.slug}/contacts/import-templates/{template.id}/delete").status_code == 302
    assert db.session.scalar(select(ImportMappingTemplate)) is None


def test_import_templates_need_advanced_crm(client, factories, logged_in_owner):
    business = give_package(factories.business(owner=logged_in_owner, name="Sales Shop"), "ai_sales")
    review = _upload(client, business, b"Name\nAda\n").headers["Location"]
    page = client.get(review).get_data(as_text=True)
    assert 'data-upsell="advanced_crm"' in page and "Save mapping as template" not in page
    refused = client.post(review, data={"map_name": "Name", "template_name": "T", "action": "save_template"})
    assert refused.status_code == 403 and db.session.scalar(select(ImportMappingTemplate)) is None


def test_4calls_records_filed_under_a_merged_away_contact_reach_the_kept_one(business):
    """4calls keeps both records after a merge and may go on sending the
    duplicate's id: a text, a chat lead and an insight all land on the kept contact."""
    from app.analytics.insights import apply_insights
    from app.chat.records import contact_for_lead
    from app.contacts.merge import load_group, merge, merge_plan
    from app.messaging.inbound import apply_inbound

    kept = add_contact(business, "Ada", phone="+15552017001", remote_id="remote-kept")
    dup = add_contact(business, "Ada L.", phone="+15552017002", remote_id="remote-dup")
    merge(business, merge_plan(business, load_group(business, [kept.id, dup.id]), kept_id=kept.id))

    assert apply_inbound(business, {"id": "msg-1", "channel": "sms", "from": "+15552017002", "to": "+15550000000",
                                    "body": "See you Friday", "contact_id": "remote-dup"}) == "applied"
    message = db.session.scalar(select(ContactMessage).where(ContactMessage.remote_id == "msg-1"))
    assert message.contact_id == kept.id
    assert contact_for_lead(business, {"contact_id": "remote-dup", "name": "Ada L."}).id == kept.id
    apply_insights(business, [{"contact_id": "remote-dup", "purposes": ["haircut"]}])
    db.session.commit()
    insight = db.session.scalar(select(ContactInsight).where(ContactInsight.contact_remote_id == "remote-dup"))
    assert insight.contact_id == kept.id
    assert db.session.scalar(select(func.count()).select_from(Contact).where(
        Contact.business_id == business.id, Contact.deleted_at.is_(None))) == 1  # no twin was made
