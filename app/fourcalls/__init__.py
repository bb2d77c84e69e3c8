"""Everything AlphaSite says to 4calls.ai goes through this package.

For another area that needs 4calls data (dashboard, contacts, appointments,
chat, campaigns), the whole API is:

    from app.fourcalls import organization_client, FourCallsError

    client = organization_client(business)     # NotProvisioned if no org/key yet
    client.get_call_stats(client.organization_id)
    for call in client.list_calls(client.organization_id, updated_since=since):
        ...
    for event in client.chat(coordinator_id, message="Are you open?"):
        ...

`organization_client` uses the business's own organization key, which 4calls
limits to that organization. `platform_client()` (the platform key) is for
provisioning only. Methods, retries and errors: `app/fourcalls/client.py` and
`app/fourcalls/errors.py`. Business-level helpers named after plan section 8
(get_usage, check_usage_limit, check_availability, lookup_customer,
create_booking, create_lead, ...) are in `app/fourcalls/service.py`.
"""
from dataclasses import dataclass

from app.fourcalls.client import (
    INTERACTIVE_RETRY,
    CursorPager,
    FourCallsClient,
    Page,
    RetryPolicy,
    SSEEvent,
    client_with_key,
    platform_client,
)
from app.fourcalls.errors import (
    Conflict,
    Forbidden,
    FourCallsError,
    NotFound,
    NotProvisioned,
    RateLimited,
    Unauthorized,
    Unavailable,
    ValidationError,
    plain_words,
)


@dataclass
class OrganizationClient(FourCallsClient):
    """A FourCallsClient holding one business's organization key, with that
    organization's id at hand as `.organization_id`."""

    organization_id: str = ""


def organization_client(business, **overrides) -> OrganizationClient:
    """The client for `business`'s own 4calls organization. Raises
    NotProvisioned when the business has no organization or key yet."""
    from flask import current_app

    from app.fourcalls.client import retry_policy_from_config
    from app.fourcalls.keys import organization_key

    integration = getattr(business, "integration", None)
    if integration is None or not integration.organization_id:
        raise NotProvisioned("this business has no 4calls organization yet")
    config = current_app.config
    options = dict(
        api_key=organization_key(integration),
        base_url=config["FOURCALLS_API_URL"],
        timeout=float(config.get("FOURCALLS_TIMEOUT_SECONDS", 10.0)),
        retry=retry_policy_from_config(config),
    )
    options.update(overrides)
    return OrganizationClient(organization_id=integration.organization_id, **options)


__all__ = [
    "INTERACTIVE_RETRY",
    "Conflict",
    "CursorPager",
    "Forbidden",
    "FourCallsClient",
    "FourCallsError",
    "NotFound",
    "NotProvisioned",
    "OrganizationClient",
    "Page",
    "RateLimited",
    "RetryPolicy",
    "SSEEvent",
    "Unauthorized",
    "Unavailable",
    "ValidationError",
    "client_with_key",
    "organization_client",
    "plain_words",
    "platform_client",
]


def init_app(app) -> None:
    """Wire the integration into the app: the /healthz entry and profile pushes
    (`flask rotate-keys` is in app/cli.py). (The demo assistant of `make run` is
    bought through the sandboxes by app/demo_sandbox.py.)"""
    from app.businesses.services import profile_changed
    from app.fourcalls.health import fourcalls_health
    from app.main.routes import health_checks

    health_checks["fourcalls"] = fourcalls_health
    profile_changed.connect(_on_profile_changed)



def _on_profile_changed(business, **_extra) -> None:
    from app.fourcalls.provisioning import push_profile

    push_profile(business)
