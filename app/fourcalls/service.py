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
from app.fourcalls.errors import NotProvisioned
from app.fourcalls import provisioning
from app.packages.catalog import get_package

# service_type -> (usage field in 4calls' Usage, package limit attribute)
USAGE_LIMITS = {
    "inbound_minutes": ("inbound_minutes", "call_minutes_inbound"),
    "outbound_minutes": ("outbound_minutes", "call_minutes_outbound"),
    "contacts": ("contacts_total", "contact_limit"),
}


# -- organizations and coordinators (platform key) ---------------------------


def create_organization(business) -> dict:
    """Create the organization directly. Provisioning does this (idempotently,
    storing the key encrypted); call provision_service instead in app code."""
    from app.fourcalls.sync import organization_fields

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


def check_usage_limit(business, service_type: str, usage: dict | None = None) -> bool:
    """True while `service_type` (inbound_minutes, outbound_minutes, contacts)
    is below the package's limit this month. Unlimited is always True; a
    package without the service (0 minutes) is always False."""
    if service_type not in USAGE_LIMITS:
        raise ValueError(f"unknown service type {service_type!r}")
    integration = provisioning.integration_for(business)
    if integration is None:
        raise NotProvisioned("this business has no AI package")
    package = get_package(integration.service_package)
    usage_field, limit_attribute = USAGE_LIMITS[service_type]
    limit = getattr(package, limit_attribute)
    if limit is None:
        return True
    if limit == 0:
        return False
    usage = usage if usage is not None else get_usage(business)
    return int(usage.get(usage_field, 0)) < limit


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
