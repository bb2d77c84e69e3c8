"""FourCallsIntegrationService (plan section 8), as module functions.

Organization and coordinator management talk to 4calls directly; the
provisioning entries (provision_service, deprovision_service, upgrade_service)
record the decision and leave the work to the sync job, because they run
inside web requests and webhooks. Business-level calls use the business's own
organization key, so they can only ever reach that business's data.

    create_organization(business)                   -> dict (includes the new api_key; prefer provision_service)
    get_organization(organization_id)               -> dict
    update_organization(organization_id, data)      -> dict
    create_coordinator(organization_id, config)     -> dict
    list_coordinators(organization_id)              -> list[dict]
    update_coordinator(coordinator_id, data)        -> dict
    provision_service(business, package_slug)       -> FourCallsIntegration
    deprovision_service(business)                   -> bool
    upgrade_service(business, new_package_slug)     -> FourCallsIntegration
    get_usage(business, period="current")           -> dict
    check_usage_limit(business, service_type)       -> bool
    check_availability(business, params)            -> dict
    lookup_customer(business, phone)                -> dict | None
    create_booking(business, data)                  -> dict
    create_lead(business, data)                     -> dict
"""
from __future__ import annotations

from datetime import datetime, timezone

from app.fourcalls import organization_client
from app.fourcalls.client import platform_client
from app.fourcalls import provisioning

# -- organizations and coordinators (platform key) ---------------------------


def create_organization(business) -> dict:
    """Create the organization directly. Provisioning does this (idempotently,
    storing the key encrypted); call provision_service instead in app code."""
    from app.fourcalls.organization import organization_fields

    fields = organization_fields(business)
    return platform_client().create_organization(fields, idempotency_key=f"alphasite:{business.id}:organization:create")


def get_organization(organization_id: str) -> dict:
    return platform_client().get_organization(organization_id)


def update_organization(organization_id: str, data: dict) -> dict:
    return platform_client().update_organization(organization_id, data)


def create_coordinator(organization_id: str, config: dict, *, idempotency_key: str | None = None) -> dict:
    return platform_client().create_coordinator(organization_id, config, idempotency_key=idempotency_key)


def list_coordinators(organization_id: str, status: str | None = None) -> list[dict]:
    return platform_client().list_coordinators(organization_id, status=status).all()


def update_coordinator(coordinator_id: str, data: dict) -> dict:
    return platform_client().update_coordinator(coordinator_id, data)


# -- provisioning (recorded now, done by the sync job) -------------------------


def provision_service(business, package_slug: str, reason: str = "Package activated"):
    return provisioning.activate_package(business, package_slug, reason)


def deprovision_service(business, reason: str = "Service cancelled") -> bool:
    """Cancel the service; False when the business never had one."""
    try:
        provisioning.cancel(business, reason)
    except provisioning.NotActivated:
        return False
    return True


def upgrade_service(business, new_package_slug: str):
    return provisioning.change_package(business, new_package_slug)


# -- usage ---------------------------------------------------------------------


def _month_bounds(now: datetime, months_back: int) -> tuple[datetime, datetime]:
    year, month = now.year, now.month - months_back
    while month < 1:
        month += 12
        year -= 1
    start = datetime(year, month, 1, tzinfo=timezone.utc)
    end = datetime(year + (month // 12), month % 12 + 1, 1, tzinfo=timezone.utc)
    return start, end


def get_usage(business, period: str = "current") -> dict:
    """4calls usage for the calendar month (UTC): period "current" or "previous"."""
    if period not in ("current", "previous"):
        raise ValueError("period must be 'current' or 'previous'")
    client = organization_client(business)
    start, end = _month_bounds(datetime.now(timezone.utc), 0 if period == "current" else 1)
    return client.get_usage(client.organization_id, period_start=start, period_end=end)


def check_usage_limit(business, service_type: str) -> bool:
    """Whether one more of `service_type` fits the package this period.

    The single implementation is app.usage.check_usage_limit: a read of the
    local usage meter, which sync and webhooks keep current, so no request
    to 4calls is made here."""
    from app.usage import check_usage_limit as check

    return check(business, service_type)


# -- real-time operations (the business's own key) ------------------------------


def check_availability(business, params: dict) -> dict:
    """params: date_from, date_to, appointment_type?, duration_minutes?, slot_interval_minutes?"""
    return organization_client(business).check_availability(params)


def lookup_customer(business, phone: str) -> dict | None:
    return organization_client(business).lookup_customer(phone)


def create_booking(business, data: dict, *, idempotency_key: str | None = None) -> dict:
    return organization_client(business).create_booking(data, idempotency_key=idempotency_key)


def create_lead(business, data: dict, *, idempotency_key: str | None = None) -> dict:
    return organization_client(business).create_lead(data, idempotency_key=idempotency_key)
