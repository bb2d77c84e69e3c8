"""The owner's view of their AI assistant, and their edits to it."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from app.extensions import db
from app.fourcalls.provisioning import integration_for, latest_sync_run, request_sync
from app.models import Business, Coordinator, CoordinatorStatus
from app.packages.catalog import get_package

EDITABLE_FIELDS = ("name", "greeting", "persona", "script")


class CoordinatorNotReady(Exception):
    """Still being created in 4calls; edits would race its creation."""


def live_coordinators(business: Business) -> list[Coordinator]:
    return list(db.session.scalars(
        select(Coordinator)
        .where(Coordinator.business_id == business.id,
               Coordinator.status.in_((CoordinatorStatus.CREATING, CoordinatorStatus.ACTIVE)))
        .order_by(Coordinator.position, Coordinator.created_at)
    ))


def coordinator_or_none(business: Business, coordinator_id: uuid.UUID) -> Coordinator | None:
    """The business's own coordinator; None for anyone else's id."""
    return db.session.scalar(
        select(Coordinator).where(Coordinator.id == coordinator_id, Coordinator.business_id == business.id,
                                  Coordinator.status != CoordinatorStatus.RETIRED)
    )


def assistant_state(business: Business) -> dict:
    integration = integration_for(business)
    return {
        "integration": integration,
        "package": get_package(integration.service_package) if integration else None,
        "coordinators": live_coordinators(business) if integration else [],
        "run": latest_sync_run(business) if integration else None,
    }


def update_coordinator(business: Business, coordinator: Coordinator, data: dict) -> bool:
    """Save the owner's texts locally first (never lost), then queue the push
    to 4calls. Returns False when nothing changed."""
    if coordinator.status == CoordinatorStatus.CREATING:
        raise CoordinatorNotReady(coordinator.id)
    cleaned = {field: (data.get(field) or "").strip() for field in EDITABLE_FIELDS}
    changed = {field: value or None for field, value in cleaned.items()
               if (getattr(coordinator, field) or "") != value}
    if "name" in changed and not changed["name"]:
        changed.pop("name")  # a name is required; the form refuses an empty one
    if not changed:
        return False
    from app.audit.services import current_actor, record

    record("assistant.coordinator_changed", business=business, actor=current_actor(), target_type="coordinator",
           target_id=coordinator.id, target_label=coordinator.name,
           before={field: getattr(coordinator, field) for field in changed}, after=dict(changed))
    for field, value in changed.items():
        setattr(coordinator, field, value)
    # An SQL increment: two quick saves both count, and the sync job compares versions.
    coordinator.version = Coordinator.version + 1
    db.session.commit()
    db.session.refresh(coordinator)
    request_sync(business)
    return True
