"""The admin activation page and the owner's AI assistant page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.assistant import provisioning
from app.models import Coordinator, FourCallsIntegration

pytestmark = pytest.mark.integration

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin(factories):
    return factories.user(email="staff@example.com", is_admin=True)


def integration_of(business) -> FourCallsIntegration:
    db.session.expire_all()
    return db.session.scalar(select(FourCallsIntegration).where(FourCallsIntegration.business_id == business.id))


def coordinators_of(business) -> list[Coordinator]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(Coordinator).where(Coordinator.business_id == business.id, Coordinator.status == "active")
        .order_by(Coordinator.position)
    ))


def provisioned(business, run_jobs, package="ai_receptionist"):
    provisioning.activate_package(business, package, "test")
    run_jobs()
    assert integration_of(business).status == "active"
    return coordinators_of(business)


# ---------------------------------------------------------------- admin


@pytest.mark.parametrize("path", ["/admin/", "/admin/businesses/00000000-0000-0000-0000-000000000000/activate"])
def test_admin_pages_are_404_to_everyone_else(client, auth, factories, path):
    method = client.post if path.endswith("activate") else client.get
    assert method(path).status_code == 404  # anonymous
    owner = factories.user()
    auth.login(owner.email)
    assert method(path).status_code == 404


def test_admin_activates_a_package_and_provisioning_runs(client, auth, admin, factories, fourcalls, run_jobs):
    owner = factories.user()
    business = factories.business(owner=owner, name="Admin Granted Grill")
    auth.login(admin.email)
    page = client.get("/admin/businesses?q=Granted")
    assert page.status_code == 200 and b"Admin Granted Grill" in page.data and b"Activate package" in page.data

    response = client.post(f"/admin/businesses/{business.id}/activate", data={"package": "ai_business_suite"})
    assert response.status_code == 303
    assert integration_of(business).status == "provisioning"
    run_jobs()
    assert integration_of(business).status == "active"
    assert [c.role for c in coordinators_of(business)] == ["receptionist", "sales"]

    # Activating another package on an active business changes it.
    client.post(f"/admin/businesses/{business.id}/activate", data={"package": "ai_receptionist"})
    run_jobs()
    assert [c.role for c in coordinators_of(business)] == ["receptionist"]

    client.post(f"/admin/businesses/{business.id}/suspend", data={"reason": "Card declined"})
    assert integration_of(business).status == "suspended"
    client.post(f"/admin/businesses/{business.id}/resume", data={"reason": "Card updated"})
    run_jobs()
    assert integration_of(business).status == "active"
    client.post(f"/admin/businesses/{business.id}/cancel", data={})
    run_jobs()
    assert integration_of(business).status == "cancelled"
    assert "Cancelled by staff@example.com" == integration_of(business).status_reason


def test_admin_activation_needs_a_csrf_token(csrf_client, admin, factories):
    business = factories.business(owner=factories.user(), name="Token Taverna")
    csrf_client.post("/login", data={"email": admin.email, "password": "correct-horse-battery",
                                      "csrf_token": _token(csrf_client.get("/login").data)})
    refused = csrf_client.post(f"/admin/businesses/{business.id}/activate", data={"package": "ai_sales"})
    assert refused.status_code == 400 and integration_of(business) is None
    token = _token(csrf_client.get("/admin/").data)
    accepted = csrf_client.post(f"/admin/businesses/{business.id}/activate", data={"package": "ai_sales", "csrf_token": token})
    assert accepted.status_code == 303 and integration_of(business).service_package == "ai_sales"


def _token(html: bytes) -> str:
    return re.search(rb'<meta name="csrf-token" content="([^"]+)"', html).group(1).decode()


def test_admin_refuses_an_unknown_package(client, auth, admin, factories):
    business = factories.business(owner=factories.user())
    auth.login(admin.email)
    client.post(f"/admin/businesses/{business.id}/activate", data={"package": "ai_everything"})
    assert integration_of(business) is None


# ---------------------------------------------------------------- owner's page


def test_page_without_a_package_points_to_the_packages(client, logged_in_owner, factories):
    business = factories.business(owner=logged_in_owner, name="Plain Pantry")
    page = client.get(f"/businesses/{business.slug}/assistant")
    assert page.status_code == 200 and b"No AI assistant yet" in page.data
    retried = client.post(f"/businesses/{business.slug}/assistant/retry")
    assert retried.status_code == 302 and integration_of(business) is None


def test_progress_polls_while_provisioning_and_stops_when_done(client, logged_in_owner, factories, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Polling Pizzeria")
    provisioning.activate_package(business, "ai_business_suite", "test")

    page = client.get(f"/businesses/{business.slug}/assistant")
    assert b"Setting up" in page.data and b'hx-trigger="every 1s"' in page.data

    fragment = client.get(f"/businesses/{business.slug}/assistant/status", headers=HTMX)
    assert fragment.status_code == 200 and b"<html" not in fragment.data
    assert b'id="assistant-panel"' in fragment.data and b'hx-trigger="every 1s"' in fragment.data
    assert "HX-Request" in fragment.headers["Vary"]

    run_jobs()
    done = client.get(f"/businesses/{business.slug}/assistant/status", headers=HTMX)
    assert b"every 1s" not in done.data and b"Active" in done.data
    assert done.data.count(b'class="card coordinator-card"') == 2
    for coordinator in coordinators_of(business):
        assert coordinator.greeting.encode() in done.data
    # Without htmx the same URL is a whole page.
    assert b"<html" in client.get(f"/businesses/{business.slug}/assistant/status").data


def test_click_to_edit_saves_and_pushes_the_greeting(client, logged_in_owner, factories, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Editable Eatery")
    [coordinator] = provisioned(business, run_jobs)
    base = f"/businesses/{business.slug}/assistant/coordinators/{coordinator.id}"

    form = client.get(f"{base}/edit", headers=HTMX)
    assert form.status_code == 200 and b"<form" in form.data and b"<html" not in form.data

    saved = client.post(base, headers=HTMX, data={
        "name": coordinator.name, "greeting": "Ciao! Editable Eatery, how can I help?",
        "persona": coordinator.persona, "script": coordinator.script,
    })
    assert saved.status_code == 200 and b"Pending sync" in saved.data and b'hx-trigger="every 2s"' in saved.data
    assert coordinators_of(business)[0].pending_sync

    run_jobs()
    db.session.expire_all()  # the test shares its session with the requests it makes
    card = client.get(base, headers=HTMX)
    assert b"Synced" in card.data and b"every 2s" not in card.data
    remote = fourcalls.client().get(f"/coordinators/{coordinator.fourcalls_id}").json()
    assert remote["greeting"] == "Ciao! Editable Eatery, how can I help?"


def test_invalid_edits_answer_422_and_keep_what_was_typed(client, logged_in_owner, factories, fourcalls, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Strict Studio")
    [coordinator] = provisioned(business, run_jobs)
    base = f"/businesses/{business.slug}/assistant/coordinators/{coordinator.id}"
    response = client.post(base, headers=HTMX, data={"name": "", "greeting": "x" * 1001, "persona": "kept persona"})
    assert response.status_code == 422
    assert b"Give the assistant a name." in response.data and b"kept persona" in response.data
    assert coordinators_of(business)[0].version == coordinator.version


def test_an_edit_made_while_4calls_is_down_is_kept_and_retried(client, logged_in_owner, factories, fourcalls, run_jobs, app):
    business = factories.business(owner=logged_in_owner, name="Offline Optician")
    [coordinator] = provisioned(business, run_jobs)
    app.config["FOURCALLS_API_URL"] = "http://127.0.0.1:9"

    response = client.post(f"/businesses/{business.slug}/assistant/coordinators/{coordinator.id}",
                           data={"name": "Ava", "greeting": "Sorry, we're testing.", "persona": "", "script": ""})
    assert response.status_code == 302
    run_jobs()
    [kept] = coordinators_of(business)
    assert kept.greeting == "Sorry, we're testing." and kept.pending_sync
    integration = integration_of(business)
    assert integration.status == "active"  # the assistant keeps working with its previous texts
    page = client.get(f"/businesses/{business.slug}/assistant")
    assert b"Pending sync" in page.data and b"Retry" in page.data and b"4calls.ai did not respond" in page.data

    app.config["FOURCALLS_API_URL"] = fourcalls.url
    retried = client.post(f"/businesses/{business.slug}/assistant/retry", headers=HTMX)
    assert retried.status_code == 200 and b'id="assistant-panel"' in retried.data
    run_jobs()
    [synced] = coordinators_of(business)
    assert not synced.pending_sync and integration_of(business).last_error is None
    remote = fourcalls.client().get(f"/coordinators/{synced.fourcalls_id}").json()
    assert remote["greeting"] == "Sorry, we're testing." and remote["persona"] is None


def test_failed_setup_shows_the_reason_and_a_retry_button(client, logged_in_owner, factories, app, run_jobs):
    business = factories.business(owner=logged_in_owner, name="Unlucky Upholstery")
    provisioning.activate_package(business, "ai_receptionist", "test")  # 4calls unreachable in tests
    run_jobs()
    page = client.get(f"/businesses/{business.slug}/assistant")
    assert b"Needs attention" in page.data and b"Setup did not finish." in page.data
    assert b"4calls.ai did not respond in time" in page.data
    assert b"/assistant/retry" in page.data and b"every 1s" not in page.data


def test_coordinator_urls_are_404_for_other_owners_and_other_businesses(client, auth, factories, fourcalls, run_jobs):
    owner = factories.user()
    business = factories.business(owner=owner, name="Guarded Gallery")
    [coordinator] = provisioned(business, run_jobs)
    own_other = factories.business(owner=owner, name="Second Shop")
    intruder = factories.user()

    urls = [("GET", f"/businesses/{{slug}}/assistant/coordinators/{coordinator.id}"),
            ("GET", f"/businesses/{{slug}}/assistant/coordinators/{coordinator.id}/edit"),
            ("POST", f"/businesses/{{slug}}/assistant/coordinators/{coordinator.id}")]
    auth.login(intruder.email)
    for method, url in urls:
        assert client.open(url.format(slug=business.slug), method=method, data={"name": "x"}).status_code == 404
    auth.logout()
    auth.login(owner.email)
    for method, url in urls:  # the right owner, but through another of their businesses
        assert client.open(url.format(slug=own_other.slug), method=method, data={"name": "x"}).status_code == 404
    assert client.get(urls[0][1].format(slug=business.slug)).status_code == 200
    assert coordinators_of(business)[0].name == coordinator.name
