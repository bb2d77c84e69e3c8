"""Plan section 8's business-level operations against the 4calls sandbox."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from app.fourcalls import NotProvisioned, service

pytestmark = pytest.mark.integration


@pytest.fixture
def live_business(app, factories, fourcalls, run_jobs):
    business = factories.business(owner=factories.user(), name="Service Salon")
    service.provision_service(business, "ai_receptionist")
    run_jobs()
    return business


def test_real_time_operations_use_the_business_organization(live_business, fourcalls):
    start = date.today() + timedelta(days=1)
    availability = service.check_availability(live_business, {"date_from": start.isoformat(),
                                                               "date_to": (start + timedelta(days=6)).isoformat()})
    assert availability["slots"], "a week of Mon-Fri 09:00-17:00 has free slots"
    slot = availability["slots"][0]

    booked = service.create_booking(live_business, {
        "starts_at": slot["starts_at"], "customer": {"name": "Ann Lee", "phone": "+15125550142"},
    })
    assert booked["status"] == "scheduled" and booked["customer_phone"] == "+15125550142"

    found = service.lookup_customer(live_business, "+15125550142")
    assert found["contact"]["name"] == "Ann Lee"
    assert [a["id"] for a in found["upcoming_appointments"]] == [booked["id"]]
    assert service.lookup_customer(live_business, "+15125550199") is None

    captured = service.create_lead(live_business, {"name": "Bo", "email": "bo@example.com", "message": "Prices?"})
    assert captured["lead"]["email"] == "bo@example.com" and captured["contact_created"] is True


def test_usage_for_the_current_and_previous_month(live_business, fourcalls):
    usage = service.get_usage(live_business)
    assert usage["inbound_minutes"] == 0 and "contacts_total" in usage
    assert usage["period_start"].startswith(f"{datetime.now(timezone.utc):%Y-%m}-01")
    assert service.get_usage(live_business, "previous")["period_end"] == usage["period_start"]
    with pytest.raises(ValueError):
        service.get_usage(live_business, "last-year")


def test_coordinator_and_organization_management(live_business, fourcalls):
    integration = live_business.integration
    organization = service.get_organization(integration.organization_id)
    assert organization["name"] == "Service Salon"
    [coordinator] = service.list_coordinators(integration.organization_id, status="active")
    updated = service.update_coordinator(coordinator["id"], {"voice": "sage"})
    assert updated["voice"] == "sage"
    assert service.update_organization(integration.organization_id, {"city": "Shelbyville"})["city"] == "Shelbyville"


def test_a_business_without_an_organization_is_refused_before_any_request(app, factories):
    business = factories.business(owner=factories.user())
    with pytest.raises(NotProvisioned):
        service.lookup_customer(business, "+15125550142")
    with pytest.raises(NotProvisioned):
        service.get_usage(business)
    assert service.deprovision_service(business) is False
