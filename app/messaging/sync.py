"""The safety net under message webhooks: read 4calls' messages incrementally
(updated_since, like the CRM sync) and apply what a lost webhook did not
bring: customers' replies and STOPs, delivery statuses. Applying is the same
idempotent code the webhooks use, so overlap and repeats change nothing."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.fourcalls import FourCallsError
from app.assistant.connection import organization_client
from app.messaging.inbound import apply_inbound
from app.messaging.services import apply_status_event
from app.models import Business, FourCallsIntegration, SyncCursor
from app.models.base import utcnow
from app.crm_sync.services import SYNCED_STATUSES
from app.crm_sync.upserts import parse_timestamp
from app.usage.services import has_feature

KIND = "messages"
MAX_PER_RUN = 2000


def _cursor(business: Business) -> SyncCursor:
    cursor = db.session.scalar(select(SyncCursor).where(SyncCursor.business_id == business.id, SyncCursor.kind == KIND))
    if cursor is None:
        cursor = SyncCursor(business_id=business.id, kind=KIND)
        db.session.add(cursor)
        db.session.flush()
    return cursor


def sync_messages(business: Business) -> int:
    cursor = _cursor(business)
    since = cursor.updated_since
    client = organization_client(business)
    applied = 0
    for remote in client.list_messages(client.organization_id, updated_since=since, page_size=200):
        if remote.get("direction") == "inbound":
            apply_inbound(business, remote)
        else:
            apply_status_event(business, remote)
        stamp = parse_timestamp(remote.get("updated_at"))
        cursor = _cursor(business)
        if stamp and (cursor.updated_since is None or stamp > cursor.updated_since):
            cursor.updated_since = stamp
        applied += 1
        if applied >= MAX_PER_RUN:
            break
    cursor = _cursor(business)
    cursor.last_synced_at, cursor.last_error = utcnow(), None
    db.session.commit()
    return applied


def sync_all_messages() -> int:
    """Recurring: every business whose package texts (multi_channel, or lead_management's text-back)."""
    businesses = db.session.scalars(select(Business).join(FourCallsIntegration).where(
        FourCallsIntegration.organization_id.is_not(None), FourCallsIntegration.status.in_(SYNCED_STATUSES))).all()
    total = 0
    for business in businesses:
        if not (has_feature(business, "multi_channel") or has_feature(business, "lead_management")):
            continue
        try:
            total += sync_messages(business)
        except FourCallsError as exc:
            db.session.rollback()
            cursor = _cursor(business)
            cursor.last_error = str(exc)[:1000]
            db.session.commit()
    return total
