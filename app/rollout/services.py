"""Who may buy a package in the current rollout stage, and the waitlist.

* beta: businesses on the allow-list;
* limited: while fewer than `cap` businesses have an active package;
* general: everyone.

An invitation is shown to the owner in the app and emailed (app/mail).

A business with a subscription (live or past due) is never affected by a
stage change, and an invited waitlist entry lets its business check out
whatever the stage. Stage changes and invitations are audited.
"""
from __future__ import annotations

import uuid

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import lazyload

from app.admin import settings
from app.audit import services as audit
from app.extensions import db
from app.models import AuditScope, BillingAccount, BillingStatus, Business, SubscriptionHistory, WaitlistEntry
from app.models.base import utcnow
from app.packages.catalog import get_package

STAGES = {
    "beta": "Beta: only businesses on the allow-list",
    "limited": "Limited release: up to a cap of businesses with an active package",
    "general": "General availability: open to every business",
}


class RolloutError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def active_package_count() -> int:
    return db.session.scalar(select(func.count()).select_from(BillingAccount).where(
        BillingAccount.status.in_((BillingStatus.ACTIVE, BillingStatus.PAST_DUE)))) or 0


def _already_subscribed(business: Business) -> bool:
    """A live billing account, or a live open subscription-history row."""
    account = db.session.scalar(select(BillingAccount).where(BillingAccount.business_id == business.id))
    if account is not None and account.is_live:
        return True
    return db.session.scalar(select(SubscriptionHistory.id).where(
        SubscriptionHistory.business_id == business.id, SubscriptionHistory.ended_at.is_(None),
        SubscriptionHistory.status.in_(BillingStatus.LIVE)).limit(1)) is not None


# Built once: the dashboard asks for an unseen invitation on every view. The
# entry's business is the one asked about, already loaded: not joined again.
_WAITLIST_ENTRY = (select(WaitlistEntry).options(lazyload(WaitlistEntry.business))
                   .where(WaitlistEntry.business_id == bindparam("business_id")))


def waitlist_entry(business: Business) -> WaitlistEntry | None:
    return db.session.scalar(_WAITLIST_ENTRY, {"business_id": business.id})


def may_subscribe(business: Business) -> bool:
    state = settings.rollout()
    if state["stage"] == "general" or _already_subscribed(business):
        return True
    entry = waitlist_entry(business)
    if entry is not None and entry.invited_at is not None:
        return True
    if state["stage"] == "beta":
        return str(business.id) in state["allow_list"]
    return active_package_count() < state["cap"]


def join_waitlist(business: Business, package_slug: str) -> WaitlistEntry:
    """Idempotent: joining again only updates the package asked for."""
    if get_package(package_slug) is None:
        raise RolloutError({"package": "Choose one of the listed packages."})
    entry = waitlist_entry(business)
    if entry is None:
        entry = WaitlistEntry(business_id=business.id, package_slug=package_slug, joined_at=utcnow())
        db.session.add(entry)
    elif entry.invited_at is None:
        entry.package_slug = package_slug
    db.session.commit()
    return entry


def waitlist(limit: int = 500) -> list[WaitlistEntry]:
    return list(db.session.scalars(
        select(WaitlistEntry).order_by(WaitlistEntry.invited_at.is_not(None), WaitlistEntry.joined_at).limit(limit)))


def invite(entry_id: uuid.UUID, *, actor, reason: str | None = None) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None:
        raise RolloutError({"entry": "That waitlist entry no longer exists."})
    if entry.invited_at is None:
        entry.invited_at = utcnow()
        entry.invited_by = actor.email
        audit.record("rollout.invited", business=entry.business_id, actor=actor, scope=AuditScope.ADMIN,
                     target_type="business", target_id=entry.business_id, target_label=entry.business.name,
                     before={"invited": False}, after={"invited": True, "package": entry.package_slug},
                     reason=reason)
        _email_invitation(entry)
        db.session.commit()
    return entry


def _email_invitation(entry: WaitlistEntry) -> None:
    """Queued in the same transaction as the invitation (app/mail); the owner also sees it in the app."""
    from flask import current_app, url_for

    from app.mail.services import send_email

    owner = entry.business.owner
    if owner is None or not owner.email:
        return
    picker_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("packages.picker", slug=entry.business.slug)
    send_email(owner.email, "rollout_invitation", business=entry.business, idempotency_key=f"rollout-invite:{entry.id}",
               owner_name=owner.name or "there", package_name=entry.package_name, picker_url=picker_url)


def unseen_invitation(business: Business) -> WaitlistEntry | None:
    entry = waitlist_entry(business)
    if entry is not None and entry.invited_at is not None and entry.invitation_seen_at is None:
        return entry
    return None


def mark_invitation_seen(business: Business) -> None:
    entry = unseen_invitation(business)
    if entry is not None:
        entry.invitation_seen_at = utcnow()
        db.session.commit()


def parse_stage(form) -> dict:
    errors = {}
    stage = (form.get("stage") or "").strip()
    if stage not in STAGES:
        errors["stage"] = "Choose beta, limited or general."
    raw_cap = (form.get("cap") or "").strip()
    cap = int(raw_cap) if raw_cap.isdigit() else None
    if cap is None or not 1 <= cap <= 1_000_000:
        errors["cap"] = "The cap is a whole number from 1."
    allow_list, unknown = [], []
    for slug in {s.strip() for s in (form.get("allow_list") or "").replace(",", "\n").splitlines() if s.strip()}:
        business_id = db.session.scalar(select(Business.id).where(Business.slug == slug))
        (allow_list.append(str(business_id)) if business_id else unknown.append(slug))
    if unknown:
        errors["allow_list"] = "No business with the address: " + ", ".join(sorted(unknown)[:5])
    if errors:
        raise RolloutError(errors)
    return {"stage": stage, "cap": cap, "allow_list": sorted(allow_list)}


def set_stage(value: dict, *, actor, reason: str | None) -> None:
    settings.save(settings.ROLLOUT, value, actor=actor, reason=reason, action="rollout.stage_changed",
                  before=settings.rollout())


def allow_list_slugs(state: dict) -> list[str]:
    ids = [uuid.UUID(i) for i in state["allow_list"]]
    return sorted(db.session.scalars(select(Business.slug).where(Business.id.in_(ids)))) if ids else []
