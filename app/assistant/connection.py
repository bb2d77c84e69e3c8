"""The 4calls client for one business: its organization, opened with the
organization key this app keeps encrypted (app/assistant/keys.py).

    from app.assistant.connection import organization_client

    client = organization_client(business)     # NotProvisioned if no org/key yet
    client.list_calls(client.organization_id, updated_since=since)

`organization_client` uses the business's own organization key, which 4calls
limits to that organization. `app.fourcalls.platform_client()` (the platform
key) is for provisioning only.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.assistant.keys import organization_key
from app.fourcalls.client import FourCallsClient, retry_policy_from_config
from app.fourcalls.errors import NotProvisioned


@dataclass
class OrganizationClient(FourCallsClient):
    """A FourCallsClient holding one business's organization key, with that
    organization's id at hand as `.organization_id`."""

    organization_id: str = ""


def organization_client(business, **overrides) -> OrganizationClient:
    """The client for `business`'s own 4calls organization. Raises
    NotProvisioned when the business has no organization or key yet."""
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


def init_app(app) -> None:
    """Wire the assistant into the app: the /healthz entry for 4calls and the
    profile pushes. (`flask rotate-keys` is in app/cli.py.)"""
    from app.businesses.services import profile_changed
    from app.fourcalls.health import fourcalls_health
    from app.main.routes import health_checks

    health_checks["fourcalls"] = fourcalls_health
    profile_changed.connect(_on_profile_changed)


def _on_profile_changed(business, **_extra) -> None:
    from app.assistant.provisioning import push_profile

    push_profile(business)
