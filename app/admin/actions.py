"""Operator actions on one business (activate, suspend, restore, cancel),
each recorded in the admin audit log with before → after and the reason."""
from __future__ import annotations

from app.audit import services as audit
from app.extensions import db
from app.assistant import provisioning
from app.models import AuditScope, Business


class ActionError(ValueError):
    pass


def _state(business: Business) -> dict:
    integration = business.integration
    if integration is None:
        return {"package": None, "status": None}
    return {"package": integration.service_package, "status": integration.status,
            "target_status": integration.target_status}


def _audited(action: str, business: Business, actor, reason: str | None, after: dict, change) -> None:
    """The entry is added first, so the provisioning call's commit writes the
    change and its audit entry together (and a failure rolls back both)."""
    before = _state(business)
    changed_before, changed_after = audit.changed_fields(before, {**before, **after})
    audit.record(f"business.{action}", business=business, actor=actor, scope=AuditScope.ADMIN,
                 target_type="business", target_id=business.id, target_label=business.name,
                 before=changed_before or before, after=changed_after or after, reason=reason)
    try:
        change()
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()


def activate(business: Business, package_slug: str, *, actor, reason: str | None) -> None:
    integration = business.integration
    if integration is not None and integration.target_status == "active" and integration.service_package != package_slug:
        _audited("package_changed", business, actor, reason, {"package": package_slug},
                 lambda: provisioning.change_package(business, package_slug))
    else:
        reason = reason or f"Activated by {actor.email}"
        _audited("activated", business, actor, reason, {"package": package_slug, "target_status": "active"},
                 lambda: provisioning.activate_package(business, package_slug, reason))


def suspend(business: Business, *, actor, reason: str) -> None:
    _require_integration(business)
    _audited("suspended", business, actor, reason, {"target_status": "suspended"},
             lambda: provisioning.suspend(business, reason))


def restore(business: Business, *, actor, reason: str) -> None:
    _require_integration(business)
    _audited("restored", business, actor, reason, {"target_status": "active"},
             lambda: provisioning.resume(business))


def cancel(business: Business, *, actor, reason: str) -> None:
    """Ends the service and the billing together: a cancelled business is never charged again."""
    _require_integration(business)
    _audited("cancelled", business, actor, reason, {"target_status": "cancelled"},
             lambda: _end_service(business, reason))


def _end_service(business: Business, reason: str) -> None:
    from app.billing.gateway import StripeRejected, StripeUnavailable
    from app.billing.services import end_subscription_now

    try:
        billed = end_subscription_now(business, reason)
    except (StripeRejected, StripeUnavailable) as error:
        raise ActionError(f"Stripe did not cancel the subscription, so nothing was changed: {error}") from error
    if not billed or business.integration.target_status != "cancelled":
        provisioning.cancel(business, reason)


def _require_integration(business: Business) -> None:
    if business.integration is None:
        raise ActionError(f"{business.name} has no AI package.")
