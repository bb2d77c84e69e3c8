import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Business


def test_directory_lists_and_searches(client, factories):
    factories.business(name="Bright Smile Dental", category="Dental")
    factories.business(name="QuickFix Plumbing", category="Plumbing")
    page = client.get("/directory")
    assert b"Bright Smile Dental" in page.data and b"QuickFix Plumbing" in page.data
    assert b"<html" in page.data

    partial = client.get("/directory?q=dental", headers={"HX-Request": "true"})
    assert b"Bright Smile Dental" in partial.data and b"QuickFix Plumbing" not in partial.data
    assert b"<html" not in partial.data
    assert "HX-Request" in partial.headers["Vary"]


def test_claim_unclaimed_business(client, logged_in_owner, factories):
    business = factories.business(name="Unclaimed Cafe")
    response = client.post(f"/directory/{business.slug}/claim", data={"timezone": "America/Los_Angeles"})
    assert response.status_code == 302
    db.session.refresh(business)
    assert business.owner_id == logged_in_owner.id and business.claimed_at is not None
    assert business.timezone == "America/Los_Angeles"


@pytest.mark.parametrize("zone, message", [
    ("", "Choose the time zone"),
    ("Mars/Olympus_Mons", "is not a time zone we know"),
])
def test_claim_with_an_unknown_or_empty_zone_is_a_field_error(client, logged_in_owner, factories, zone, message):
    business = factories.business(name="Unclaimed Cafe", timezone="America/Chicago")
    response = client.post(f"/directory/{business.slug}/claim", data={"timezone": zone})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(business)
    assert business.owner_id is None and business.timezone == "America/Chicago"


def test_zone_pickers_offer_the_list_and_the_browser_default_script(client, logged_in_owner, factories):
    business = factories.business(name="Unclaimed Cafe")
    for url in (f"/directory/{business.slug}", "/businesses/new"):
        page = client.get(url).get_data(as_text=True)
        assert 'list="zone-names"' in page and 'data-browser-zone' in page
        assert '<option value="Asia/Kolkata">' in page and "js/browser-zone.js" in page
        assert "<script>" not in page  # no inline script: the default comes from the static file


def test_claim_requires_login(client, factories):
    business = factories.business(name="Unclaimed Cafe")
    assert client.post(f"/directory/{business.slug}/claim").status_code == 302
    db.session.refresh(business)
    assert business.owner_id is None


def test_cannot_claim_an_already_claimed_business(client, logged_in_owner, factories):
    first_owner = factories.user()
    business = factories.business(owner=first_owner, name="Taken Salon")
    response = client.post(f"/directory/{business.slug}/claim")
    assert response.status_code == 409
    assert b"already been claimed" in response.data
    db.session.refresh(business)
    assert business.owner_id == first_owner.id


def test_unknown_slug_is_404(client, logged_in_owner):
    assert client.get("/directory/no-such-business").status_code == 404
    assert client.post("/directory/no-such-business/claim").status_code == 404


def test_owner_adds_a_business(client, logged_in_owner):
    response = client.post(
        "/businesses/new", data={"name": "New Place", "category": "Cafe", "city": "Springfield", "phone": "+1 555 222 3333",
                                 "timezone": "Pacific/Auckland"}
    )
    assert response.status_code == 302
    business = db.session.scalar(select(Business).where(Business.name == "New Place"))
    assert business.owner_id == logged_in_owner.id
    assert business.timezone == "Pacific/Auckland"
    assert business.slug == "new-place-springfield"


def test_new_business_bad_phone_writes_nothing(client, logged_in_owner):
    response = client.post("/businesses/new", data={"name": "Bad", "category": "Cafe", "city": "X", "phone": "call me",
                                                    "timezone": "Nowhere/Land"})
    assert response.status_code == 422
    assert b"Enter a phone number" in response.data and "is not a time zone we know" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Business.id))) == 0


def profile_data(**overrides):
    data = {
        "name": "Studio Shear",
        "category": "Salon",
        "phone": "+1 555 123 4567",
        "address": "1 Main St",
        "city": "Springfield",
        "website": "https://studio.example.com",
        "timezone": "Asia/Kolkata",
        "description": "Friendly neighbourhood salon.",
        "services": "Haircut\nColouring\n\n",
        "faq-0-question": "Do you take walk-ins?",
        "faq-0-answer": "Yes, when a chair is free.",
    }
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday"):
        data[f"{day}-opens"] = "09:00"
        data[f"{day}-closes"] = "18:00"
    data["saturday-closed"] = "y"
    data["sunday-closed"] = "y"
    data.update(overrides)
    return data


def test_owner_edits_profile(client, logged_in_owner, factories):
    business = factories.business(owner=logged_in_owner, name="Studio Shear")
    response = client.post(f"/businesses/{business.slug}/edit", data=profile_data())
    assert response.status_code == 302
    db.session.refresh(business)
    assert business.services == ["Haircut", "Colouring"]
    assert business.timezone == "Asia/Kolkata"
    assert business.opening_hours["monday"] == {"open": "09:00", "close": "18:00"}
    assert business.opening_hours["sunday"] is None
    assert business.faq == [{"question": "Do you take walk-ins?", "answer": "Yes, when a chair is free."}]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"monday-closes": "08:00"}, b"Closing time must be after opening time"),
        ({"website": "not a url"}, b"Enter a full address"),
        ({"phone": "12"}, b"Enter a phone number"),
        ({"faq-0-answer": ""}, b"Give both a question and its answer"),
        ({"name": ""}, b"This field is required"),
        ({"timezone": ""}, "Choose the time zone".encode()),
        ({"timezone": "America/Atlantis"}, "is not a time zone we know".encode()),
    ],
)
def test_profile_errors_change_nothing(client, logged_in_owner, factories, overrides, message):
    business = factories.business(owner=logged_in_owner, name="Studio Shear", description="Before")
    response = client.post(f"/businesses/{business.slug}/edit", data=profile_data(**overrides))
    assert response.status_code == 422
    assert message in response.data
    db.session.refresh(business)
    assert business.description == "Before"


def test_business_switcher_only_reaches_own_businesses(client, logged_in_owner, factories):
    mine = factories.business(owner=logged_in_owner, name="Mine")
    theirs = factories.business(owner=factories.user(), name="Theirs")
    assert client.get(f"/businesses/switch?slug={mine.slug}").status_code == 302
    assert client.get(f"/businesses/switch?slug={theirs.slug}").status_code == 404


def _switcher_names(html: bytes) -> list[str]:
    import re

    select_html = re.search(rb'<select id="business-switcher".*?</select>', html, re.S)
    return [name.decode() for name in re.findall(rb"<option [^>]*>([^<]*)</option>", select_html.group(0))] \
        if select_html else []


def test_the_switcher_comes_with_the_user_and_lists_owned_and_member_businesses_by_name(
        client, logged_in_owner, factories):
    """The user loader reads the switcher's rows in its own statement: a page
    runs no statement of its own for them, and still lists every business the
    user owns or is a member of (and no other), by name."""
    from app.models import Membership, Role
    from tests.sql_helpers import statements_during

    zulu = factories.business(owner=logged_in_owner, name="Zulu Plumbing")
    zulu_slug = zulu.slug
    factories.business(owner=logged_in_owner, name="alpha Bakery")
    colleague_owned = factories.business(owner=factories.user(), name="Middle Dental")
    db.session.add(Membership(business_id=colleague_owned.id, user_id=logged_in_owner.id, role=Role.STAFF))
    factories.business(owner=factories.user(), name="Not Mine")
    db.session.commit()
    expected = [row[0] for row in db.session.execute(
        select(Business.name).where(Business.name != "Not Mine").order_by(Business.name))]  # the database's collation
    db.session.remove()

    response, statements = statements_during(lambda: client.get(f"/businesses/{zulu_slug}/calls"))
    assert response.status_code == 200
    assert _switcher_names(response.data) == expected
    assert sum("FROM businesses" in statement and "ORDER BY businesses.name" in statement
               and "user_sessions" not in statement for statement in statements) == 0
    assert f'<option value="{zulu_slug}" selected>'.encode() in response.data


def test_the_switcher_is_read_afresh_after_a_commit_in_the_same_request(app, client, logged_in_owner, factories):
    """Rows read with the user serve the request only until its session commits,
    or flushes a change to a business or membership."""
    from flask import g

    from app.auth import sessions
    from app.teams.access import business_choices_for

    first = factories.business(owner=logged_in_owner, name="First")
    db.session.commit()
    with app.test_request_context():
        from app.models import UserSession

        row = db.session.scalar(select(UserSession).where(UserSession.user_id == logged_in_owner.id))
        user = sessions.load(f"{logged_in_owner.id}:{row.id}")
        assert [choice.name for choice in business_choices_for(user)] == ["First"]
        assert g._business_choices[0] == user.id
        factories.business(owner=user, name="Second")
        db.session.commit()
        assert "_business_choices" not in g
        assert [choice.name for choice in business_choices_for(user)] == ["First", "Second"]

    with app.test_request_context():  # a flush of a business, before any commit
        user = sessions.load(f"{logged_in_owner.id}:{row.id}")
        assert [choice.name for choice in business_choices_for(user)] == ["First", "Second"]
        db.session.get(Business, first.id).name = "Renamed"
        db.session.flush()
        assert [choice.name for choice in business_choices_for(user)] == ["Renamed", "Second"]
        db.session.rollback()
