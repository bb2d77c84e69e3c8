"""Support: requests with screenshots, the thread by email and in the app,
the console queue (priority, age, overdue, targets, assignee, statuses),
and Enterprise account managers."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboundEmail, SupportMessage, SupportRequest, SupportStatus
from tests.integrations_helpers import give_package

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def staff(factories):
    return factories.user(email="agent@alphasite.test", name="Sam Agent", is_admin=True)


def open_request(client, business, subject="Calls missing", attachment=None, **extra):
    data = {"subject": subject, "category": "problem", "body": "Yesterday's calls are not listed.", **extra}
    if attachment is not None:
        data["attachment"] = attachment
    return client.post(f"/businesses/{business.slug}/help/requests/new", data=data,
                       content_type="multipart/form-data")


def login(client, auth, user):
    auth.logout()
    auth.login(user.email)


def test_owner_opens_a_request_with_a_screenshot(client, factories, logged_in_owner, run_jobs):
    business = give_package(factories.business(owner=logged_in_owner), "ai_sales")
    response = open_request(client, business, attachment=(io.BytesIO(PNG), "shot.png"))
    assert response.status_code == 302
    request = db.session.scalar(select(SupportRequest))
    assert request.status == SupportStatus.OPEN and request.package_slug == "ai_sales"
    assert request.first_response_due_at - request.created_at == timedelta(hours=24)
    message = request.messages[0]
    assert message.attachment_type == "image/png" and message.attachment_name == "shot.png"
    image = client.get(f"/businesses/{business.slug}/help/requests/{request.id}/messages/{message.id}/attachment")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == PNG
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    page = client.get(f"/businesses/{business.slug}/help/requests/{request.id}").get_data(as_text=True)
    assert "Calls missing" in page and "Yesterday" in page
    run_jobs()
    confirmation = db.session.scalar(select(OutboundEmail).where(OutboundEmail.template == "support/received"))
    assert confirmation.to_address == logged_in_owner.email and request.reference in confirmation.subject


@pytest.mark.parametrize("attachment, message", [
    ((io.BytesIO(b"<html><script>alert(1)</script>"), "shot.png"), "PNG, JPEG, GIF or WebP"),
    ((io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024)), "big.png"), "at most 2 MB"),
])
def test_bad_attachments_are_refused_and_nothing_is_written(client, factories, logged_in_owner, attachment, message):
    business = factories.business(owner=logged_in_owner)
    response = open_request(client, business, attachment=attachment)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SupportRequest)) == 0


def test_missing_fields_are_field_errors(client, factories, logged_in_owner):
    business = factories.business(owner=logged_in_owner)
    response = open_request(client, business, subject="", category="")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Say in a few words" in body and "Choose a category" in body


def test_queue_orders_by_package_priority_then_age_and_flags_overdue(client, auth, factories, staff, clock):
    clock.set(datetime(2027, 3, 3, 9, 0, tzinfo=timezone.utc))
    small_owner, big_owner = factories.user(), factories.user()
    small = give_package(factories.business(owner=small_owner, name="Small Shop"), "ai_receptionist")
    big = give_package(factories.business(owner=big_owner, name="Big Corp"), "ai_enterprise")
    login(client, auth, small_owner)
    open_request(client, small, subject="Older small request")
    clock.advance(minutes=30)
    login(client, auth, big_owner)
    open_request(client, big, subject="Newer enterprise request")
    login(client, auth, staff)
    page = client.get("/admin/support").get_data(as_text=True)
    assert page.index("Newer enterprise request") < page.index("Older small request")
    assert "Overdue" not in page
    clock.advance(hours=3)  # past the Enterprise 2-hour target, within the 24-hour one
    page = client.get("/admin/support").get_data(as_text=True)
    assert page.count(">Overdue<") == 1
    enterprise = db.session.scalar(select(SupportRequest).where(SupportRequest.business_id == big.id))
    assert enterprise.is_overdue(clock.now)


def test_staff_reply_emails_the_owner_and_the_thread_continues(client, auth, factories, staff, run_jobs):
    owner = factories.user(name="Olive Owner")
    business = give_package(factories.business(owner=owner), "ai_sales")
    login(client, auth, owner)
    open_request(client, business)
    request = db.session.scalar(select(SupportRequest))
    login(client, auth, staff)
    response = client.post(f"/admin/support/requests/{request.id}", data={"body": "We re-synced your calls.",
                                                                          "status": "waiting"},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    request = db.session.get(SupportRequest, request.id)
    assert request.status == SupportStatus.WAITING and request.first_responded_at is not None
    assert request.assignee_id == staff.id
    run_jobs()
    reply = db.session.scalar(select(OutboundEmail).where(OutboundEmail.template == "support/reply"))
    assert reply.to_address == owner.email and "We re-synced your calls." in reply.text_body
    login(client, auth, owner)
    page = client.get(f"/businesses/{business.slug}/help/requests/{request.id}").get_data(as_text=True)
    assert "We re-synced your calls." in page and "AlphaSite support" in page
    client.post(f"/businesses/{business.slug}/help/requests/{request.id}", data={"body": "Thanks, all there now."},
                content_type="multipart/form-data")
    db.session.expire_all()
    assert db.session.get(SupportRequest, request.id).status == SupportStatus.OPEN
    run_jobs()
    notices = db.session.scalars(select(OutboundEmail).where(OutboundEmail.template == "support/staff_notice")).all()
    assert any(n.to_address == staff.email and "Thanks, all there now." in n.text_body for n in notices)
    assert db.session.scalar(select(func.count()).select_from(SupportMessage)) == 3


def test_status_and_assignee_changes(client, auth, factories, staff):
    other_staff = factories.user(name="Kim Agent", is_admin=True)
    owner = factories.user()
    business = factories.business(owner=owner)
    login(client, auth, owner)
    open_request(client, business)
    request = db.session.scalar(select(SupportRequest))
    login(client, auth, staff)
    client.post(f"/admin/support/requests/{request.id}/assign", data={"assignee": str(other_staff.id)})
    client.post(f"/admin/support/requests/{request.id}/status", data={"status": "resolved"})
    db.session.expire_all()
    request = db.session.get(SupportRequest, request.id)
    assert request.assignee_id == other_staff.id and request.status == SupportStatus.RESOLVED
    assert client.post(f"/admin/support/requests/{request.id}/status", data={"status": "bogus"}).status_code == 302
    assert db.session.get(SupportRequest, request.id).status == SupportStatus.RESOLVED
    # Only staff can be assignees.
    client.post(f"/admin/support/requests/{request.id}/assign", data={"assignee": str(owner.id)})
    db.session.expire_all()
    assert db.session.get(SupportRequest, request.id).assignee_id == other_staff.id


def test_first_response_targets_are_configurable_with_enterprise_shortest(client, auth, factories, staff):
    from app.support.targets import all_targets

    defaults = {row["slug"]: row["minutes"] for row in all_targets()}
    assert defaults["ai_enterprise"] == min(defaults.values())
    login(client, auth, staff)
    form = {f"hours-{slug}": str(minutes / 60) for slug, minutes in defaults.items()}
    response = client.post("/admin/support/targets", data={**form, "hours-ai_sales": "abc"})
    assert response.status_code == 422 and "Enter a number of hours" in response.get_data(as_text=True)
    client.post("/admin/support/targets", data={**form, "hours-ai_sales": "4"})
    owner = factories.user()
    business = give_package(factories.business(owner=owner), "ai_sales")
    login(client, auth, owner)
    open_request(client, business)
    request = db.session.scalar(select(SupportRequest))
    assert request.first_response_due_at - request.created_at == timedelta(hours=4)


def test_enterprise_account_manager_is_shown_and_auto_assigned(client, auth, factories, staff):
    owner = factories.user()
    business = give_package(factories.business(owner=owner, name="Big Corp"), "ai_enterprise")
    smaller = give_package(factories.business(owner=factories.user(), name="Small Shop"), "ai_business_suite")
    login(client, auth, staff)
    page = client.get("/admin/support/account-managers").get_data(as_text=True)
    assert "Big Corp" in page and "Small Shop" not in page
    client.post("/admin/support/account-managers", data={"business_id": str(business.id), "manager_id": str(staff.id)})
    client.post("/admin/support/account-managers", data={"business_id": str(smaller.id), "manager_id": str(staff.id)})
    from app.models import AccountManagerAssignment

    assert db.session.get(AccountManagerAssignment, smaller.id) is None
    login(client, auth, owner)
    help_page = client.get(f"/businesses/{business.slug}/help").get_data(as_text=True)
    assert "Your account manager" in help_page and "Sam Agent" in help_page and staff.email in help_page
    open_request(client, business)
    assert db.session.scalar(select(SupportRequest)).assignee_id == staff.id


def test_console_is_for_staff_only(client, auth, factories, logged_in_owner):
    for url in ("/admin/support", "/admin/support/targets", "/admin/support/account-managers"):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("package, priority", [
    (None, False), ("ai_receptionist", False), ("ai_sales", False), ("ai_business_suite", False), ("ai_enterprise", True),
])
def test_help_page_for_every_package(client, factories, logged_in_owner, package, priority):
    business = factories.business(owner=logged_in_owner)
    if package:
        give_package(business, package)
    page = client.get(f"/businesses/{business.slug}/help").get_data(as_text=True)
    assert "New support request" in page and "Getting started" in page
    assert ("Priority support</span>" in page) is priority
    assert ('data-upsell="priority_support"' in page) is (not priority)
