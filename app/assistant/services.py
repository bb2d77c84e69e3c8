"""The owner's view of their AI assistant, and their edits to it."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from app.extensions import db
from app.assistant.provisioning import integration_for, latest_push_run, request_push
from app.assistant.scripting import ROLE_LABELS, default_coordinator, role_label
from app.models import Business, Coordinator, CoordinatorStatus
from app.packages.catalog import get_package

EDITABLE_FIELDS = ("name", "greeting", "persona", "script", "goals")
SETTINGS_FIELDS = ("role", "voice", "languages", "pace")
ROLE_TEXTS = ("greeting", "persona", "script", "goals")


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
    from app.assistant.handling import handling_or_none, not_applied

    integration = integration_for(business)
    handling = handling_or_none(business.id) if integration else None
    return {
        "integration": integration,
        "package": get_package(integration.service_package) if integration else None,
        "coordinators": live_coordinators(business) if integration else [],
        "run": latest_push_run(business) if integration else None,
        "handling": handling,
        "handling_not_applied": not_applied(handling) if handling else [],
    }


def allowed_roles(business: Business, coordinator: Coordinator) -> list[tuple[str, str]]:
    """(role, label) the package lets this coordinator have: any role on
    packages with `assistant_roles`, else the package's fixed role."""
    integration = integration_for(business)
    package = get_package(integration.service_package) if integration else None
    if package is not None and package.has("assistant_roles"):
        return list(ROLE_LABELS.items())
    return [(coordinator.slot, role_label(coordinator.slot))]


def _ordinal(business: Business, coordinator: Coordinator, role: str) -> int:
    """How many coordinators of `role` come before this one (names differ per ordinal)."""
    return sum(1 for c in live_coordinators(business) if c.role == role and c.position < coordinator.position)


def role_defaults(business: Business, coordinator: Coordinator, role: str | None = None) -> dict:
    role = role or coordinator.role
    return default_coordinator(business, role, _ordinal(business, coordinator, role))


def _save(business: Business, coordinator: Coordinator, changed: dict) -> bool:
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
    request_push(business)
    return True


def update_coordinator(business: Business, coordinator: Coordinator, data: dict) -> bool:
    """Save the owner's edits locally first (never lost), then queue the push
    to 4calls. `data` is validated (forms.CoordinatorForm). A new role brings
    its default texts wherever the owner had kept the old role's defaults.
    Returns False when nothing changed."""
    if coordinator.status == CoordinatorStatus.CREATING:
        raise CoordinatorNotReady(coordinator.id)
    cleaned = {field: (data.get(field) or "").strip() for field in EDITABLE_FIELDS if field in data}
    changed = {field: value or None for field, value in cleaned.items() if (getattr(coordinator, field) or "") != value}
    if "name" in changed and not changed["name"]:
        changed.pop("name")  # a name is required; the form refuses an empty one
    for field in SETTINGS_FIELDS:
        if field in data and data[field] and data[field] != getattr(coordinator, field):
            changed[field] = list(data[field]) if field == "languages" else data[field]
    new_role = changed.get("role")
    if new_role:
        old, new = role_defaults(business, coordinator), role_defaults(business, coordinator, new_role)
        for field in ROLE_TEXTS + ("name",):
            kept_default = (getattr(coordinator, field) or "") in ("", old.get(field) or "")
            if kept_default and field not in {f for f in changed if f in EDITABLE_FIELDS}:
                changed[field] = new[field]
    return _save(business, coordinator, changed)


def reset_to_role_defaults(business: Business, coordinator: Coordinator) -> bool:
    """Greeting, persona, script and goals back to the role's defaults (the name stays)."""
    if coordinator.status == CoordinatorStatus.CREATING:
        raise CoordinatorNotReady(coordinator.id)
    defaults = role_defaults(business, coordinator)
    return _save(business, coordinator, {f: defaults[f] for f in ROLE_TEXTS if getattr(coordinator, f) != defaults[f]})


def not_applied_fields(coordinator: Coordinator) -> list[str]:
    """Fields the owner saved that 4calls refused (its previous values are live)."""
    if not coordinator.refused:
        return []
    wanted, live = coordinator.remote_fields(), coordinator.applied or {}
    return [name for name in wanted if wanted[name] != live.get(name)]
