"""Provisioning against the 4calls sandbox over real HTTP: faults, crashes,
package changes, suspend/cancel/resume, profile pushes and key handling."""
from __future__ import annotations

import itertools
import logging

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from app.businesses.services import profile_changed
from app.encryption import decrypt
from app.extensions import db
from app.assistant import provisioning
from app.fourcalls.client import FourCallsClient
from app.assistant.keys import organization_key
from app.models import Coordinator, CoordinatorStatus, FourCallsIntegration, JobRun
from app.packages.catalog import get_package

pytestmark = pytest.mark.integration


def remote_organizations(fourcalls) -> list[dict]:
    with fourcalls.client() as http:
        organizations, cursor = [], None
        while True:
            page = http.get("/organizations", params={"limit": 500, **({"cursor": cursor} if cursor else {})}).json()
            organizations += page["data"]
            if not page["has_more"]:
                return organizations
            cursor = page["next_cursor"]


def remote_coordinators(fourcalls, organization_id: str, status: str | None = None) -> list[dict]:
    params = {"limit": 500, **({"status": status} if status else {})}
    with fourcalls.client() as http:
        return http.get(f"/organizations/{organization_id}/coordinators", params=params).json()["data"]


def integration_of(business) -> FourCallsIntegration:
    db.session.expire_all()
    return db.session.scalar(select(FourCallsIntegration).where(FourCallsIntegration.business_id == business.id))


def live_rows(business) -> list[Coordinator]:
    return list(db.session.scalars(
        select(Coordinator).where(Coordinator.business_id == business.id,
                                  Coordinator.status.in_(CoordinatorStatus.LIVE)).order_by(Coordinator.position)
    ))


def assert_matches_package(fourcalls, business, package_slug: str) -> FourCallsIntegration:
    """Everything the app recorded as done exists in 4calls, and nothing more."""
    package = get_package(package_slug)
    integration = integration_of(business)
    assert integration.status == "active", (integration.status, integration.status_reason, integration.last_error)
    assert integration.service_package == package_slug
    organization = fourcalls.state(integration.organization_id)["organization"]
    assert organization["external_id"] == str(business.id) and organization["status"] == "active"
    rows = live_rows(business)
    assert [row.role for row in rows] == list(package.coordinator_roles)
    assert all(row.status == CoordinatorStatus.ACTIVE and not row.pending_sync for row in rows)
    remote_active = {c["id"]: c for c in remote_coordinators(fourcalls, integration.organization_id, "active")}
    assert set(remote_active) == {row.fourcalls_id for row in rows}
    for row in rows:
        assert remote_active[row.fourcalls_id]["greeting"] == row.greeting
        assert remote_active[row.fourcalls_id]["role"] == row.role
    assert integration.coordinator_id == rows[0].fourcalls_id
    # The stored key is the organization's working key.
    with fourcalls.client(organization_key(integration)) as http:
        assert http.get(f"/organizations/{integration.organization_id}").status_code == 200
    return integration


@pytest.mark.slow
def test_twenty_businesses_provisioned_through_errors_429s_latency_and_drops(
    app, fourcalls, factories, worker_pool, caplog
):
    caplog.set_level(logging.DEBUG)
    owner = factories.user()
    slugs = itertools.cycle(["ai_receptionist", "ai_sales", "ai_business_suite", "ai_enterprise"])
    businesses = [(factories.business(owner=owner, name=f"Faulty Shop {n}"), next(slugs)) for n in range(20)]
    organizations_before = len(remote_organizations(fourcalls))

    # "after": 4calls does the work, then the answer is lost, so every retry
    # must rely on Idempotency-Keys and lookups to avoid duplicates.
    fourcalls.set_faults(error_rate=0.3, latency_ms=10, drop_rate=0.03, phase="after",
                         rate_limit_burst={"every": 40, "length": 4, "retry_after": 1})
    for business, slug in businesses:
        provisioning.activate_package(business, slug, "Granted for the fault test")
    worker_pool()
    fourcalls.clear_faults()

    organizations = remote_organizations(fourcalls)
    ours = [o for o in organizations if o["external_id"] in {str(b.id) for b, _ in businesses}]
    assert len(ours) == 20 and len(organizations) - organizations_before == 20
    for business, slug in businesses:
        assert_matches_package(fourcalls, business, slug)

    # Faults really struck: the client logged its retries.
    assert "retry" in caplog.text
    # Keys stay out of the logs and out of recorded job errors.
    keys = [organization_key(integration_of(b)) for b, _ in businesses] + [fourcalls.platform_key]
    errors = " ".join(filter(None, db.session.scalars(select(JobRun.error))))
    for key in keys:
        assert key not in caplog.text and key not in errors


def test_a_crash_after_creating_the_organization_adopts_it_with_a_new_key(app, fourcalls, factories, run_jobs):
    business = factories.business(owner=factories.user(), name="Crashed Bakery")
    # A previous run created the organization, then died before storing its key.
    with fourcalls.client() as http:
        lost = http.post("/organizations", json={"name": business.name, "external_id": str(business.id)}).json()

    provisioning.activate_package(business, "ai_receptionist", "test")
    run_jobs()

    integration = assert_matches_package(fourcalls, business, "ai_receptionist")
    assert integration.organization_id == lost["id"]
    assert organization_key(integration) != lost["api_key"]
    keys = fourcalls.state(lost["id"])["api_keys"]
    assert [k["revoked_at"] is not None for k in keys] == [True, False]
    assert [o["external_id"] for o in remote_organizations(fourcalls)].count(str(business.id)) == 1


def test_a_crash_after_creating_a_coordinator_does_not_duplicate_it(app, fourcalls, factories, run_jobs, monkeypatch):
    business = factories.business(owner=factories.user(), name="Twice Told Tales")
    real_create = FourCallsClient.create_coordinator
    crashes = []

    def create_then_crash(self, *args, **kwargs):
        created = real_create(self, *args, **kwargs)
        if not crashes:
            crashes.append(created["id"])
            raise RuntimeError("worker killed before recording the coordinator")
        return created

    monkeypatch.setattr(FourCallsClient, "create_coordinator", create_then_crash)
    provisioning.activate_package(business, "ai_business_suite", "test")
    run_jobs()

    integration = assert_matches_package(fourcalls, business, "ai_business_suite")
    assert crashes and crashes[0] in {row.fourcalls_id for row in live_rows(business)}
    assert len(remote_coordinators(fourcalls, integration.organization_id)) == 2
    run = db.session.scalar(select(JobRun).where(JobRun.business_id == business.id))
    assert run.status == "succeeded" and run.attempts == 2


def test_package_changes_add_and_retire_coordinators(app, fourcalls, factories, run_jobs):
    business = factories.business(owner=factories.user(), name="Growing Garage")
    provisioning.activate_package(business, "ai_receptionist", "test")
    run_jobs()
    first = assert_matches_package(fourcalls, business, "ai_receptionist")

    for slug in ("ai_enterprise", "ai_business_suite", "ai_sales"):
        provisioning.change_package(business, slug)
        assert integration_of(business).status == "provisioning"
        run_jobs()
        integration = assert_matches_package(fourcalls, business, slug)
        assert integration.organization_id == first.organization_id

    remote = remote_coordinators(fourcalls, first.organization_id)
    assert len(remote) == 5  # one receptionist, then four more; all but the sales one retired
    assert sorted(c["status"] for c in remote) == ["active", "retired", "retired", "retired", "retired"]


def test_suspend_resume_cancel_and_buy_again(app, fourcalls, factories, run_jobs):
    business = factories.business(owner=factories.user(), name="Seasonal Spa")
    provisioning.activate_package(business, "ai_business_suite", "test")
    run_jobs()
    integration = assert_matches_package(fourcalls, business, "ai_business_suite")
    organization_id = integration.organization_id
    receptionist = live_rows(business)[0]
    receptionist.greeting = "Welcome to the spa, darling."
    receptionist.version += 1
    db.session.commit()

    provisioning.suspend(business, "Payment failed")
    assert integration_of(business).status == "suspended"
    run_jobs()
    assert fourcalls.state(organization_id)["organization"]["status"] == "suspended"
    assert integration_of(business).status_reason == "Payment failed"
    assert len(remote_coordinators(fourcalls, organization_id, "active")) == 2  # kept while paused
    assert not live_rows(business)[0].pending_sync  # the edit still went through

    provisioning.resume(business)
    run_jobs()
    assert_matches_package(fourcalls, business, "ai_business_suite")

    provisioning.cancel(business, "Owner cancelled")
    run_jobs()
    cancelled = integration_of(business)
    assert cancelled.status == "cancelled" and cancelled.coordinator_id is None
    assert fourcalls.state(organization_id)["organization"]["status"] == "suspended"
    assert remote_coordinators(fourcalls, organization_id, "active") == []
    assert live_rows(business) == []

    provisioning.activate_package(business, "ai_receptionist", "Bought again")
    run_jobs()
    again = assert_matches_package(fourcalls, business, "ai_receptionist")
    assert again.organization_id == organization_id  # the same organization, data kept
    assert live_rows(business)[0].greeting == "Welcome to the spa, darling."  # the owner's words came back


def test_profile_edits_are_pushed_to_the_organization(app, fourcalls, factories, run_jobs):
    business = factories.business(owner=factories.user(), name="Old Name Diner", category="Restaurant")
    provisioning.activate_package(business, "ai_receptionist", "test")
    run_jobs()
    business.name = "New Name Diner"
    business.phone = "(512) 555-0142"
    business.services = ["Brunch", "Catering"]
    business.faq = [{"question": "Parking?", "answer": "Free behind the building."}]
    business.opening_hours = {**business.opening_hours, "saturday": {"open": "10:00", "close": "14:00"}}
    db.session.commit()
    profile_changed.send(business)
    run_jobs()

    organization = fourcalls.state(integration_of(business).organization_id)["organization"]
    assert organization["name"] == "New Name Diner"
    assert organization["phone"] == "+15125550142"
    assert organization["profile"]["services"] == ["Brunch", "Catering"]
    assert organization["profile"]["faq"] == [{"question": "Parking?", "answer": "Free behind the building."}]
    assert organization["business_hours"]["saturday"] == {"open": "10:00", "close": "14:00"}
    assert organization["webhook_url"] == "http://localhost/webhooks/fourcalls"
    assert integration_of(business).synced_version == integration_of(business).desired_version


def test_unreachable_4calls_ends_in_error_then_retry_succeeds(app, fourcalls, factories, run_jobs):
    business = factories.business(owner=factories.user(), name="Patient Plumbers")
    app.config["FOURCALLS_API_URL"] = "http://127.0.0.1:9"
    provisioning.activate_package(business, "ai_receptionist", "test")
    run_jobs()
    failed = integration_of(business)
    assert failed.status == "error"
    assert "4calls.ai did not respond" in failed.status_reason
    assert "keep trying" not in failed.status_reason  # the last attempt says so plainly
    run = db.session.scalar(select(JobRun).where(JobRun.business_id == business.id))
    assert run.status == "failed" and run.attempts == 1 + len(app.config["JOB_RETRY_INTERVALS"])

    app.config["FOURCALLS_API_URL"] = fourcalls.url
    provisioning.retry(business)
    run_jobs()
    recovered = assert_matches_package(fourcalls, business, "ai_receptionist")
    assert recovered.last_error is None and recovered.status_reason is None


def test_details_4calls_refuses_fail_once_without_retrying(app, fourcalls, factories, run_jobs):
    business = factories.business(owner=factories.user(), name="Odd Hours Cafe",
                                  opening_hours={"monday": {"open": "9am", "close": "5pm"}})
    provisioning.activate_package(business, "ai_receptionist", "test")
    run_jobs()
    integration = integration_of(business)
    assert integration.status == "error"
    assert "could not accept some details" in integration.status_reason
    assert "business hours.monday" in integration.status_reason
    run = db.session.scalar(select(JobRun).where(JobRun.business_id == business.id))
    assert run.status == "failed" and run.attempts == 1


def test_stored_key_is_never_plaintext_and_rotate_keys_reencrypts(app, fourcalls, factories, run_jobs):
    business = factories.business(owner=factories.user(), name="Vault Locksmiths")
    provisioning.activate_package(business, "ai_receptionist", "test")
    run_jobs()
    integration = integration_of(business)
    plaintext = organization_key(integration)
    assert plaintext.startswith("fc_org_")
    stored = db.session.execute(
        text("SELECT api_key FROM alphasite_fourcalls_integrations WHERE business_id = :id"),
        {"id": business.id if db.engine.dialect.name == "postgresql" else business.id.hex},
    ).scalar_one()
    assert plaintext not in stored and not stored.startswith("fc_")

    old_keys = app.config["ENCRYPTION_KEYS"]
    newest = Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEYS"] = f"{newest},{old_keys}"
    try:
        result = app.test_cli_runner().invoke(args=["rotate-keys"])
        assert result.exit_code == 0 and "re-encrypted: 1" in result.output
        rotated = integration_of(business).api_key
        assert rotated != stored
        assert decrypt(rotated, keys=newest) == plaintext  # readable with the newest key alone
        assert plaintext not in result.output
    finally:
        app.config["ENCRYPTION_KEYS"] = old_keys
        integration_of(business).api_key = stored
        db.session.commit()


def test_organization_lost_by_4calls_is_rebuilt(app, fourcalls, factories, run_jobs):
    business = factories.business(owner=factories.user(), name="Phoenix Florist")
    provisioning.activate_package(business, "ai_receptionist", "test")
    run_jobs()
    integration = integration_of(business)
    integration.organization_id = "org_doesnotexist"  # as after a sandbox reset
    db.session.commit()
    provisioning.request_push(business)
    run_jobs()
    rebuilt = integration_of(business)
    assert rebuilt.organization_id not in ("", "org_doesnotexist")
    assert_matches_package(fourcalls, business, "ai_receptionist")


def test_health_reports_4calls_reachability(app, fourcalls, client):
    body = client.get("/healthz").get_json()
    assert body["fourcalls"]["status"] == "ok" and "latency_ms" in body["fourcalls"]
    assert client.get("/healthz").get_json()["fourcalls"].get("cached") is True

    from app.fourcalls.health import clear_cache

    app.config["FOURCALLS_API_URL"] = "http://127.0.0.1:9"
    clear_cache()
    response = client.get("/healthz")
    assert response.status_code == 200  # 4calls being away never fails the health check
    assert response.get_json()["fourcalls"]["status"] == "error"
