"""Campaign and do-not-contact pages: gates, bad input, lifecycle refusals,
other owners, opt-outs from calls, consent capture."""
from __future__ import annotations

import io
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.do_not_contact.services import add as dnc_add
from app.extensions import db
from app.models import (Campaign, CampaignStatus, Contact, ContactConsent, DoNotContactEntry)
from app.crm_sync.upserts import apply_remote_calls
from tests.campaign_helpers import add_contacts, campaign_form
from tests.factories import make_coordinator, make_integration


def wire(business, package="ai_sales"):
    make_integration(business, package, organization_id=f"org_{uuid.uuid4().hex[:8]}")
    return make_coordinator(business)


@pytest.fixture
def shop(factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner, name="Campaign Cafe", timezone="America/Chicago")
    coordinator = wire(business)
    add_contacts(business, ["+15125550001", "+15125550002", "+15125550003"], tag="spring")
    return business, coordinator


def campaigns_count():
    return db.session.scalar(select(func.count()).select_from(Campaign))


def test_receptionist_package_sees_an_upgrade_offer(client, factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner)
    wire(business, package="ai_receptionist")
    page = client.get(f"/businesses/{business.slug}/campaigns")
    assert page.status_code == 200  # the offer is a page; only changes are refused
    text = page.get_data(as_text=True)
    assert "Compare packages and upgrade" in text and "AI Sales Assistant" in text
    assert client.post(f"/businesses/{business.slug}/campaigns/new", data={}).status_code == 403
    assert campaigns_count() == 0


@pytest.mark.parametrize("change, field", [
    ({"tags": "nobody-has-this"}, "No contact in this audience can be called."),
    ({"window_start": "07:00"}, "between 08:00 and 21:00"),
    ({"window_end": "22:00"}, "between 08:00 and 21:00"),
    ({"starts_at": "2027-03-05T10:00", "ends_at": "2027-03-04T10:00"}, "The end must be after the start."),
    ({"days": []}, "Choose at least one day"),
    ({"name": ""}, "Name the campaign."),
    ({"max_attempts": "0"}, "from 1 to 10"),
    ({"concurrency": "5"}, "from 1 to 1"),  # Sales: 2 lines, one kept free for inbound
])
def test_bad_input_gets_a_field_error_and_creates_nothing(client, shop, change, field):
    business, coordinator = shop
    response = client.post(f"/businesses/{business.slug}/campaigns/new",
                           data=campaign_form(coordinator, tag="spring", **{"concurrency": "1", **change}))
    assert response.status_code == 422
    assert field in response.get_data(as_text=True)
    assert campaigns_count() == 0


def test_coordinator_of_another_business_is_refused(client, shop, factories):
    business, _ = shop
    stranger = wire(factories.business(owner=factories.user()))
    response = client.post(f"/businesses/{business.slug}/campaigns/new",
                           data=campaign_form(stranger, tag="spring", concurrency="1"))
    assert response.status_code == 422 and "Choose one of this business" in response.get_data(as_text=True)
    assert campaigns_count() == 0


def test_preview_counts_and_explains_exclusions(client, shop):
    business, coordinator = shop
    add_contacts(business, ["+15125550009"], tag="spring")
    db.session.add(Contact(business_id=business.id, name="No Phone", phone=None, custom_fields={}))
    db.session.commit()
    no_phone = db.session.scalar(select(Contact).where(Contact.name == "No Phone"))
    from app.contacts.services import set_tags
    set_tags(no_phone, ["spring"])
    dnc_add(business, "phone", "+15125550009", source="manual", reason="asked")
    db.session.commit()
    html = client.post(f"/businesses/{business.slug}/campaigns/preview",
                       data=campaign_form(coordinator, tag="spring", concurrency="1")).get_data(as_text=True)
    assert ">3<" in html and "of 5 matching" in html
    assert "1 left out: no phone number" in html and "1 left out: on the do-not-call list" in html
    marketing = client.post(f"/businesses/{business.slug}/campaigns/preview", data=campaign_form(
        coordinator, tag="spring", concurrency="1", purpose="reactivation")).get_data(as_text=True)
    assert "3 left out: no marketing consent" in marketing


def test_draft_launch_then_editing_is_refused_with_a_reason(client, shop):
    business, coordinator = shop
    response = client.post(f"/businesses/{business.slug}/campaigns/new",
                           data=campaign_form(coordinator, tag="spring", concurrency="1"))
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    assert campaign.status == CampaignStatus.DRAFT
    assert client.post(f"/businesses/{business.slug}/campaigns/{campaign.id}/launch").status_code == 302
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.RUNNING
    refused = client.post(f"/businesses/{business.slug}/campaigns/{campaign.id}/edit",
                          data=campaign_form(coordinator, tag="other", concurrency="1"), follow_redirects=False)
    assert refused.status_code == 409
    page = client.get(f"/businesses/{business.slug}/campaigns/{campaign.id}").get_data(as_text=True)
    assert "cannot be edited" in page
    # Sales runs one campaign at a time.
    busy = client.post(f"/businesses/{business.slug}/campaigns/new",
                       data=campaign_form(coordinator, tag="spring", name="Busy", concurrency="1"))
    assert busy.status_code == 422  # everyone tagged "spring" is already in a running campaign
    add_contacts(business, ["+15125550021"], tag="later")
    client.post(f"/businesses/{business.slug}/campaigns/new", data=campaign_form(coordinator, tag="later", name="Second", concurrency="1"))
    second = db.session.scalar(select(Campaign).where(Campaign.name == "Second"))
    assert client.post(f"/businesses/{business.slug}/campaigns/{second.id}/launch").status_code == 409
    assert client.post(f"/businesses/{business.slug}/campaigns/{campaign.id}/pause").status_code == 302
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.PAUSED
    assert client.post(f"/businesses/{business.slug}/campaigns/{campaign.id}/resume").status_code == 302
    assert client.post(f"/businesses/{business.slug}/campaigns/{campaign.id}/cancel").status_code == 302
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.CANCELLED
    export = client.get(f"/businesses/{business.slug}/campaigns/{campaign.id}/export.csv").get_data(as_text=True)
    assert export.splitlines()[0].startswith("name,phone,time_zone,status") and export.count("skipped") == 3


def test_campaign_urls_answer_404_to_another_owner(client, auth, shop, factories):
    business, coordinator = shop
    client.post(f"/businesses/{business.slug}/campaigns/new", data=campaign_form(coordinator, tag="spring", concurrency="1"))
    campaign = db.session.scalar(select(Campaign))
    entry = dnc_add(business, "phone", "+15125550001", source="manual")
    contact = db.session.scalar(select(Contact))
    db.session.commit()
    auth.logout()
    other = factories.user()
    auth.login(other.email)
    base = f"/businesses/{business.slug}"
    for method, url in [("GET", f"{base}/campaigns/{campaign.id}"), ("GET", f"{base}/campaigns/{campaign.id}/live"),
                        ("GET", f"{base}/campaigns/{campaign.id}/edit"), ("POST", f"{base}/campaigns/{campaign.id}/edit"),
                        ("GET", f"{base}/campaigns/{campaign.id}/export.csv"),
                        ("POST", f"{base}/campaigns/{campaign.id}/launch"), ("POST", f"{base}/campaigns/{campaign.id}/pause"),
                        ("POST", f"{base}/campaigns/{campaign.id}/resume"), ("POST", f"{base}/campaigns/{campaign.id}/cancel"),
                        ("POST", f"{base}/campaigns/{campaign.id}/follow-up"),
                        ("POST", f"{base}/do-not-contact/{entry.id}/lift"),
                        ("POST", f"{base}/contacts/{contact.id}/consent"),
                        ("POST", f"{base}/contacts/{contact.id}/consent/revoke")]:
        assert client.open(url, method=method).status_code == 404, url


def test_do_not_contact_list_add_lift_and_import(client, shop):
    business, _ = shop
    url = f"/businesses/{business.slug}/do-not-contact"
    assert client.post(url, data={"channel": "phone", "value": "not a number"}).status_code == 422
    assert client.post(url, data={"channel": "phone", "value": "(512) 555-0100", "reason": "Asked in store"}).status_code == 302
    entry = db.session.scalar(select(DoNotContactEntry))
    assert (entry.value, entry.source, entry.reason) == ("+15125550100", "manual", "Asked in store")
    page = client.get(url).get_data(as_text=True)
    assert "+15125550100" in page and "Asked in store" in page and "Added by you" in page
    assert client.post(f"{url}/{entry.id}/lift", data={"reason": ""}).status_code == 422
    assert client.post(f"{url}/{entry.id}/lift", data={"reason": "Asked to hear about offers again"}).status_code == 302
    db.session.refresh(entry)
    assert entry.lifted_at is not None and entry.lifted_reason == "Asked to hear about offers again"
    bad = client.post(f"{url}/import", data={"file": (io.BytesIO(b"name,notes\nA,B\n"), "list.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "Phone or Email column" in bad.get_data(as_text=True)
    good = client.post(f"{url}/import", data={"file": (io.BytesIO(
        b"Phone,Reason\n512 555 0101,complaint\nnope,\n512 555 0101,dup\n"), "list.csv")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "Imported 1 new entry; 1 already listed." in good.get_data(as_text=True) and "row 3" in good.get_data(as_text=True)


def test_a_call_saying_stop_calling_lists_the_number(shop):
    business, _ = shop
    call = {"id": "call_optout", "direction": "outbound", "caller_number": "+15125550002", "status": "answered",
            "outcome": "not_interested", "started_at": "2027-03-03T18:00:00Z", "duration_seconds": 40,
            "transcript": [{"speaker": "assistant", "text": "Hi, this is Sam."},
                           {"speaker": "caller", "text": "Please stop calling me."}]}
    apply_remote_calls(business, [call])
    db.session.commit()
    entry = db.session.scalar(select(DoNotContactEntry))
    assert entry.value == "+15125550002" and entry.source == "call_opt_out"
    assert "Please stop calling me." in entry.reason
    # The assistant saying the words does not list anyone; a re-synced call is not re-added after a lift.
    apply_remote_calls(business, [{**call, "id": "call_2", "caller_number": "+15125550003",
                                   "transcript": [{"speaker": "assistant", "text": "We won't call again"}]}])
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(DoNotContactEntry)) == 1


def test_consent_is_captured_on_the_contact_page(client, shop):
    business, _ = shop
    contact = db.session.scalar(select(Contact))
    url = f"/businesses/{business.slug}/contacts/{contact.id}"
    assert "Marketing consent" in client.get(url).get_data(as_text=True)
    bad = client.post(f"{url}/consent", data={"method": ""})
    assert bad.status_code == 422 and "Choose how the consent was given." in bad.get_data(as_text=True)
    future = client.post(f"{url}/consent", data={"method": "written", "captured_at": "2999-01-01T10:00"})
    assert future.status_code == 422
    assert client.post(f"{url}/consent", data={"method": "web_form", "captured_at": "2026-01-05T10:00",
                                               "note": "Newsletter signup"}).status_code == 302
    consent = db.session.scalar(select(ContactConsent))
    assert (consent.method, consent.consent_type, consent.note) == ("web_form", "marketing", "Newsletter signup")
    assert consent.captured_at == datetime(2026, 1, 5, 16, 0, tzinfo=timezone.utc)  # 10:00 in Chicago
    assert "Web form" in client.get(url).get_data(as_text=True)


def test_import_column_records_marketing_consent(client, shop, run_jobs):
    business, _ = shop
    csv_text = ("Name,Phone,Marketing consent\n"
                "Yes Person,512 555 0201,yes\n"
                "Dated Person,512 555 0202,2026-01-05\n"
                "No Person,512 555 0203,no\n"
                "Bad Person,512 555 0204,maybe\n")
    response = client.post(f"/businesses/{business.slug}/contacts/import",
                           data={"file": (io.BytesIO(csv_text.encode()), "c.csv")}, content_type="multipart/form-data")
    review_url = response.headers["Location"]
    assert 'value="Marketing consent" selected' in client.get(review_url).get_data(as_text=True)
    client.post(review_url, data={"map_name": "Name", "map_phone": "Phone", "map_marketing_consent": "Marketing consent",
                                  "action": "start"})
    run_jobs()
    consents = {c.contact_id: c for c in db.session.scalars(select(ContactConsent))}
    by_name = {c.name: c.id for c in db.session.scalars(select(Contact))}
    assert set(consents) == {by_name["Yes Person"], by_name["Dated Person"]}
    assert consents[by_name["Dated Person"]].captured_at == datetime(2026, 1, 5, 6, 0, tzinfo=timezone.utc)
    assert consents[by_name["Yes Person"]].method == "import"
    assert "Bad Person" not in by_name  # the row with an unreadable consent is reported and skipped


def test_call_the_unreached_again_is_an_advanced_follow_up(client, factories, logged_in_owner):
    from app.models import CampaignTarget

    business = factories.business(owner=logged_in_owner, name="Suite Salon")
    coordinator = wire(business, package="ai_business_suite")
    add_contacts(business, ["+15125550301", "+15125550302", "+15125550303"], tag="winback")
    client.post(f"/businesses/{business.slug}/campaigns/new", data=campaign_form(coordinator, tag="winback", concurrency="2"))
    campaign = db.session.scalar(select(Campaign))
    client.post(f"/businesses/{business.slug}/campaigns/{campaign.id}/launch")
    targets = db.session.scalars(select(CampaignTarget).order_by(CampaignTarget.position)).all()
    targets[0].status, targets[1].status = "answered", "no_answer"
    targets[2].status, targets[2].opted_out = "answered", True
    db.session.commit()
    assert client.post(f"/businesses/{business.slug}/campaigns/{campaign.id}/follow-up").status_code == 409  # not finished
    client.post(f"/businesses/{business.slug}/campaigns/{campaign.id}/cancel")
    response = client.post(f"/businesses/{business.slug}/campaigns/{campaign.id}/follow-up")
    assert response.status_code == 302
    follow = db.session.scalar(select(Campaign).where(Campaign.follow_up_of_id == campaign.id))
    assert follow.status == "draft" and follow.audience_source == "follow_up"
    assert [t.phone for t in db.session.scalars(select(CampaignTarget).where(CampaignTarget.campaign_id == follow.id))] \
        == ["+15125550302"]
    assert client.post(f"/businesses/{business.slug}/campaigns/{follow.id}/launch").status_code == 302
    db.session.refresh(follow)
    assert follow.status == CampaignStatus.RUNNING


def test_an_audience_saved_as_a_segment_is_offered_again(client, shop):
    from app.models import ContactSegment

    business, coordinator = shop
    client.post(f"/businesses/{business.slug}/campaigns/new",
                data=campaign_form(coordinator, tag="spring", concurrency="1", segment_name="Spring regulars"))
    segment = db.session.scalar(select(ContactSegment).where(ContactSegment.name == "Spring regulars"))
    assert segment.rules["tags"] == ["spring"]
    assert "Spring regulars" in client.get(f"/businesses/{business.slug}/campaigns/new").get_data(as_text=True)
    preview = client.post(f"/businesses/{business.slug}/campaigns/preview", data=campaign_form(
        coordinator, tag="", concurrency="1", segment_id=str(segment.id))).get_data(as_text=True)
    assert "of 3 matching" in preview
