"""Webhook jobs: thin wrappers taking ids."""
from __future__ import annotations


def deliver_webhook_job(delivery_id: str) -> str:
    from app.integrations.delivery import deliver

    return deliver(delivery_id)


def sweep_webhook_deliveries_job() -> int:
    from app.integrations.delivery import sweep_due

    return sweep_due()
