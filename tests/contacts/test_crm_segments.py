"""Saved segments with AND/OR groups (issue 19): evaluated in SQL over tags,
custom fields, dates, lead status and appointment history; the builder's field
errors; used by campaigns, the contact list and CSV export."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.contacts.fields import add_field_definition
from app.contacts.segments import SegmentError, clean_segment, count_matching, segment_contacts
from app.extensions import db
from app.models import Appointment, ContactSegment, Lead
from tests.contacts.test_contacts import add_contact, give_package

NOW = datetime(2027, 3, 10, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def business(factories, logged_in_owner, clock):
    clock.set(NOW)
    business = give_package(factories.business(owner=logged_in_owner, name="Segment Salon"), "ai_business_suite")
    add_field_definition(business, "City", "text")
    add_field_definition(business, "Visits", "number")
    add_field_definition(business, "Member", "boolean")
    add_field_definition(business, "Renewal", "date")
    return business


def names(business, rules) -> list[str]:
    return sorted(c.name for c in db.session.scalars(segment_contacts(business, rules)))


def group(match, *conditions):
    return {"match": match, "conditions": [dict(zip(("subject", "op", "value"), c)) for c in conditions]}


@pytest.fixture
def people(business):
    ada = add_contact(business, "Ada", tags=["vip"], custom_fields={"city": "Austin", "visits": 12, "member": True,
                                                                    "renewal": "2027-04-01"},
                      last_interaction_at=NOW - timedelta(days=3))
    bob = add_contact(business, "Bob", tags=["vip", "late"], custom_fields={"city": "Boston", "visits": 2, "member": False},
                      last_interaction_at=NOW - timedelta(days=90))
    cy = add_contact(business, "Cy", custom_fields={"city": "austin", "visits": 5})
    dee = add_contact(business, "Dee", tags=["late"])
    db.session.add(Lead(business_id=business.id, contact_id=bob.id, status="qualified", source="manual", name="Bob"))
    db.session.add(Appointment(business_id=business.id, contact_id=cy.id, starts_at=NOW + timedelta(days=2),
                               ends_at=NOW + timedelta(days=2, hours=1), status="scheduled"))
    db.session.add(Appointment(business_id=business.id, contact_id=dee.id, starts_at=NOW - timedelta(days=10),
                               ends_at=NOW - timedelta(days=10) + timedelta(hours=1), status="completed"))
    db.session.commit()
    return ada, bob, cy, dee


@pytest.mark.parametrize("rules, expected", [
    ({"match": "all", "groups": [group("all", ("tag", "has", "vip"))]}, ["Ada", "Bob"]),
    ({"match": "all", "groups": [group("all", ("tag", "lacks", "vip"))]}, ["Cy", "Dee"]),
    ({"match": "all", "groups": [group("all", ("field:city", "is", "AUSTIN"))]}, ["Ada", "Cy"]),
    ({"match": "all", "groups": [group("all", ("field:city", "contains", "os"))]}, ["Bob"]),
    ({"match": "all", "groups": [group("all", ("field:city", "empty", ""))]}, ["Dee"]),
    ({"match": "all", "groups": [group("all", ("field:visits", "gt", "4"))]}, ["Ada", "Cy"]),
    ({"match": "all", "groups": [group("all", ("field:member", "is", "yes"))]}, ["Ada"]),
    ({"match": "all", "groups": [group("all", ("field:member", "is_not", "yes"))]}, ["Bob", "Cy", "Dee"]),
    ({"match": "all", "groups": [group("all", ("field:renewal", "lt", "2027-05-01"))]}, ["Ada"]),
    ({"match": "all", "groups": [group("all", ("last_interaction", "within_days", "7"))]}, ["Ada"]),
    ({"match": "all", "groups": [group("all", ("last_interaction", "not_within_days", "30"))]}, ["Bob", "Cy", "Dee"]),
    ({"match": "all", "groups": [group("all", ("lead_status", "is", "qualified"))]}, ["Bob"]),
    ({"match": "all", "groups": [group("all", ("appointment", "upcoming", ""))]}, ["Cy"]),
    ({"match": "all", "groups": [group("all", ("appointment", "within_days", "30"))]}, ["Dee"]),
    ({"match": "all", "groups": [group("all", ("appointment", "never", ""))]}, ["Ada", "Bob"]),
    # AND inside a group, OR between groups: (vip and Austin) or (late and had an appointment)
    ({"match": "any", "groups": [group("all", ("tag", "has", "vip"), ("field:city", "is", "austin")),
                                 group("all", ("tag", "has", "late"), ("appointment", "within_days", "30"))]},
     ["Ada", "Dee"]),
    # OR inside a group, AND between groups: (qualified lead or upcoming appointment) and not vip
    ({"match": "all", "groups": [group("any", ("lead_status", "is", "qualified"), ("appointment", "upcoming", "")),
                                 group("all", ("tag", "lacks", "vip"))]},
     ["Cy"]),
])
def test_groups_combine_with_and_or(business, people, rules, expected):
    cleaned = clean_segment(business, rules)
    assert names(business, cleaned) == expected
    assert count_matching(business, cleaned) == len(expected)


def test_simple_campaign_rules_and_groups_combine(business, people):
    rules = clean_segment(business, {"tags": "vip", "match": "all",
                                     "groups": [group("all", ("field:visits", "lt", "10"))]})
    assert names(business, rules) == ["Bob"]


def test_a_segment_is_one_sql_statement(business, people):
    statement = str(segment_contacts(business, clean_segment(business, {
        "match": "any", "groups": [group("all", ("tag", "has", "vip")), group("all", ("lead_status", "is", "won"))]})))
    assert statement.count("EXISTS") == 2 and "FROM contacts" in statement


@pytest.mark.parametrize("condition, words", [
    (("tag", "gt", "1"), "For this condition choose one of"),
    (("field:nope", "is", "x"), "Choose one of your custom fields"),
    (("field:visits", "is", "many"), "not a number"),
    (("field:city", "gt", "a"), "is text"),
    (("field:visits", "contains", "1"), "is not text"),
    (("created", "before", "31/01/2027"), "Use a date like"),
    (("last_interaction", "within_days", "-3"), "number of days"),
    (("lead_status", "is", "maybe"), "Choose one of: new"),
    (("tag", "has", "   "), "Type the tag"),
])
def test_bad_conditions_are_field_errors(business, condition, words):
    with pytest.raises(SegmentError) as caught:
        clean_segment(business, {"match": "all", "groups": [group("all", condition)]})
    assert words in caught.value.errors["g0c0"]


def builder_form(name, match, groups, action="save"):
    data = {"name": name, "match": match, "action": action}
    for i, g in enumerate(groups):
        data[f"g{i}_match"] = g["match"]
        for j, c in enumerate(g["conditions"]):
            data.update({f"g{i}c{j}_{k}": c[k] for k in ("subject", "op", "value")})
    return data


def test_builder_saves_previews_and_reports_errors_without_saving(client, business, people):
    url = f"/businesses/{business.slug}/contacts/segments/new"
    groups = [group("all", ("tag", "has", "vip")), group("all", ("field:city", "is", "austin"))]
    preview = client.post(url, data=builder_form("VIP or Austin", "any", groups, action="preview"))
    assert preview.status_code == 200 and "3 contacts match" in preview.get_data(as_text=True)
    assert db.session.scalar(select(ContactSegment)) is None
    added = client.post(url, data=builder_form("", "all", groups, action="add_condition:1"))
    assert added.get_data(as_text=True).count('name="g1c1_subject"') == 1
    bad = client.post(url, data=builder_form("Broken", "any", [group("all", ("field:visits", "gt", "lots"))]))
    assert bad.status_code == 422 and "not a number" in bad.get_data(as_text=True)
    unnamed = client.post(url, data=builder_form("", "any", groups))
    assert unnamed.status_code == 422 and "Name the segment" in unnamed.get_data(as_text=True)
    assert db.session.scalar(select(ContactSegment)) is None
    saved = client.post(url, data=builder_form("VIP or Austin", "any", groups))
    assert saved.status_code == 302
    segment = db.session.scalar(select(ContactSegment))
    assert segment.rules["match"] == "any" and len(segment.rules["groups"]) == 2
    clash = client.post(url, data=builder_form("VIP or Austin", "any", groups))
    assert clash.status_code == 422 and "already have a segment" in clash.get_data(as_text=True)
    listing = client.get(f"/businesses/{business.slug}/contacts/segments").get_data(as_text=True)
    assert "VIP or Austin" in listing and "tagged vip or City is austin" in listing
    edit = client.get(f"/businesses/{business.slug}/contacts/segments/{segment.id}").get_data(as_text=True)
    assert 'value="field:city" selected' in edit


def test_the_list_and_the_csv_export_use_a_saved_segment(client, business, people):
    rules = clean_segment(business, {"match": "any", "groups": [group("all", ("lead_status", "is", "qualified")),
                                                                group("all", ("appointment", "upcoming", ""))]})
    segment = ContactSegment(business_id=business.id, name="Warm", rules=rules)
    db.session.add(segment)
    db.session.commit()
    listing = client.get(f"/businesses/{business.slug}/contacts?saved={segment.id}").get_data(as_text=True)
    assert "2 contacts" in listing and "Bob" in listing and "Cy" in listing and "Ada" not in listing
    export = client.get(f"/businesses/{business.slug}/contacts/export.csv?saved={segment.id}").get_data(as_text=True)
    rows = [line.split(",")[0].lstrip("\ufeff") for line in export.strip().splitlines()]
    assert rows == ["Name", "Bob", "Cy"]


def _coordinator(business):
    from app.models import Coordinator, CoordinatorStatus

    coordinator = Coordinator(business_id=business.id, fourcalls_id="coord-1", role="sales", name="Sam",
                              status=CoordinatorStatus.ACTIVE, synced_version=1)
    db.session.add(coordinator)
    db.session.commit()
    return coordinator


def test_campaigns_call_a_saved_and_or_segment(client, business, people):
    from app.campaigns import audience
    from app.campaigns.services import rules_of
    from tests.campaign_helpers import new_campaign

    for contact, phone in zip(people, ("+15552011001", "+15552011002", "+15552011003", "+15552011004")):
        contact.phone = phone
    rules = clean_segment(business, {"match": "any", "groups": [group("all", ("tag", "has", "late")),
                                                                group("all", ("field:city", "is", "austin"))]})
    segment = ContactSegment(business_id=business.id, name="Late or Austin", rules=rules)
    db.session.add(segment)
    db.session.commit()
    campaign = new_campaign(business, _coordinator(business), segment_id=str(segment.id), tags="", concurrency="1",
                            purpose="lead_follow_up")
    assert campaign.segment_id == segment.id and rules_of(campaign)["groups"] == rules["groups"]
    assert audience.preview(business, rules_of(campaign), campaign.purpose).matching == 4
    only_late = clean_segment(business, {"match": "all", "groups": [group("all", ("tag", "has", "late"))]})
    assert [c.name for c, _ in audience.classify(business, only_late, "lead_follow_up")] == ["Bob", "Dee"]
    # A segment a campaign uses is kept.
    response = client.post(f"/businesses/{business.slug}/contacts/segments/{segment.id}/delete")
    assert response.status_code == 302 and db.session.get(ContactSegment, segment.id) is not None
