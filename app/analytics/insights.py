"""AI customer insights: 4calls computes a profile per contact from its
transcripts and appointments; we sync them like the other data (incrementally
by `updated_at`, and in full once a day because time alone changes who is at
risk) and pages only read the local `contact_insights` table."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, select

from app.extensions import db
from app.models import Business, Contact, ContactInsight, FourCallsIntegration, SyncCursor
from app.models.base import utcnow
from app.packages.catalog import PACKAGES
from app.crm_sync.bulk import batches, dialect_insert
from app.crm_sync.upserts import local_contact_ids, parse_timestamp

CURSOR_KIND = RUN_KIND = "contact_insights"
FULL_REFRESH_EVERY = timedelta(hours=24)
PAGE_SIZE = 500
LIST_LIMIT = 100
_UPDATED = ("contact_id", "purposes", "preferences", "sentiment_trend", "sentiments", "interactions", "visits",
            "visits_value_cents", "last_contact_at", "last_visit_at", "next_best_action", "at_risk", "risk_reason",
            "call_priority", "remote_updated_at", "updated_at")


def businesses_with_insights() -> list[uuid.UUID]:
    from app.analytics.gating import allowed
    from app.crm_sync.services import can_sync

    slugs = [p.slug for p in PACKAGES if p.has("customer_insights")]
    candidates = db.session.scalars(select(Business).join(FourCallsIntegration).where(
        FourCallsIntegration.service_package.in_(slugs))).all()
    return [b.id for b in candidates if can_sync(b) and allowed(b, "customer_insights")]


def _cursor(business: Business) -> SyncCursor:
    cursor = db.session.scalar(select(SyncCursor).where(SyncCursor.business_id == business.id,
                                                        SyncCursor.kind == CURSOR_KIND))
    if cursor is None:
        cursor = SyncCursor(business_id=business.id, kind=CURSOR_KIND)
        db.session.add(cursor)
        db.session.flush()
    return cursor


def apply_insights(business: Business, rows: list[dict]) -> int:
    """Upsert 4calls ContactInsight objects; returns how many were written."""
    written = 0
    now = utcnow()
    for batch in batches([{**row, "id": row.get("contact_id")} for row in rows if isinstance(row, dict)]):
        contacts = local_contact_ids(business, {r["id"] for r in batch}, follow_merges=True)
        values = [{
            "id": uuid.uuid4(), "business_id": business.id, "contact_id": contacts.get(row["id"]),
            "contact_remote_id": row["id"],
            "purposes": [str(p)[:120] for p in row.get("purposes") or []][:5],
            "preferences": [str(p)[:120] for p in row.get("preferences") or []][:10],
            "sentiment_trend": (row.get("sentiment_trend") or "steady")[:12],
            "sentiments": [str(s)[:10] for s in row.get("sentiments") or []][:10],
            "interactions": int(row.get("interactions") or 0), "visits": int(row.get("visits") or 0),
            "visits_value_cents": int(row.get("visits_value_cents") or 0),
            "last_contact_at": parse_timestamp(row.get("last_contact_at")),
            "last_visit_at": parse_timestamp(row.get("last_visit_at")),
            "next_best_action": (row.get("next_best_action") or None) and str(row["next_best_action"])[:500],
            "at_risk": bool(row.get("at_risk")),
            "risk_reason": (row.get("risk_reason") or None) and str(row["risk_reason"])[:500],
            "call_priority": max(0, min(3, int(row.get("call_priority") or 0))),
            "remote_updated_at": parse_timestamp(row.get("updated_at")),
            "created_at": now, "updated_at": now,
        } for row in batch]
        statement = dialect_insert(ContactInsight)
        # Unlike calls, a profile can change with the same updated_at (time passed): always overwrite.
        statement = statement.on_conflict_do_update(index_elements=["business_id", "contact_remote_id"],
                                                    set_={name: statement.excluded[name] for name in _UPDATED})
        db.session.execute(statement, values)
        written += len(values)
    return written


def sync_business_insights(business: Business, client=None) -> int:
    """Bring the business's insights up to date; commits page by page."""
    from app.assistant.connection import organization_client
    from app.crm_sync.services import can_sync

    if not can_sync(business):
        return 0
    client = client or organization_client(business)
    cursor = _cursor(business)
    full = cursor.last_synced_at is None or cursor.last_synced_at < utcnow() - FULL_REFRESH_EVERY
    since = None if full else cursor.updated_since
    pager = client.list_contact_insights(client.organization_id, updated_since=since, page_size=PAGE_SIZE)
    written, page_cursor, seen = 0, None, set()
    try:
        while True:
            page = pager.page(page_cursor)
            written += apply_insights(business, page.data)
            seen.update(r.get("contact_id") for r in page.data if isinstance(r, dict))
            stamps = [parse_timestamp(r.get("updated_at")) for r in page.data if isinstance(r, dict)]
            newest = max(filter(None, stamps), default=None)
            if newest and (cursor.updated_since is None or newest > cursor.updated_since):
                cursor.updated_since = newest
            db.session.commit()
            if not page.has_more or not page.next_cursor:
                break
            page_cursor = page.next_cursor
    except Exception as exc:
        db.session.rollback()
        cursor = _cursor(business)
        cursor.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()
        raise
    if full:
        # A full pass lists every profile 4calls has: the others belong to deleted contacts.
        db.session.execute(delete(ContactInsight).where(ContactInsight.business_id == business.id,
                                                        ContactInsight.contact_remote_id.not_in(seen or {""})))
        cursor.last_synced_at = utcnow()
    cursor.last_error = None
    db.session.commit()
    return written


def last_synced(business: Business) -> SyncCursor | None:
    return db.session.scalar(select(SyncCursor).where(SyncCursor.business_id == business.id,
                                                      SyncCursor.kind == CURSOR_KIND))


def at_risk(business: Business) -> list[ContactInsight]:
    return db.session.scalars(
        select(ContactInsight).where(ContactInsight.business_id == business.id, ContactInsight.at_risk.is_(True))
        .order_by(ContactInsight.visits.desc(), ContactInsight.last_contact_at).limit(LIST_LIMIT)).all()


def who_to_call(business: Business) -> list[ContactInsight]:
    return db.session.scalars(
        select(ContactInsight).where(ContactInsight.business_id == business.id, ContactInsight.call_priority > 0)
        .order_by(ContactInsight.call_priority.desc(), ContactInsight.visits_value_cents.desc(),
                  ContactInsight.contact_remote_id).limit(LIST_LIMIT)).all()


def insight_for(business: Business, contact: Contact) -> ContactInsight | None:
    return db.session.scalar(select(ContactInsight).where(ContactInsight.business_id == business.id,
                                                          ContactInsight.contact_id == contact.id))


def request_refresh(business: Business):
    """Queue a refresh the owner can watch; None when one is already waiting."""
    from app.jobs import enqueue
    from app.jobs.records import create_run

    run = create_run(RUN_KIND, business.id)
    if enqueue("app.analytics.jobs.sync_insights_job", str(business.id), str(run.id),
               job_id=f"insights:{business.id}") is None:
        db.session.delete(run)
        db.session.commit()
        return None
    return run


def unfinished_refresh(business: Business):
    from app.models import JobRun

    return db.session.scalar(select(JobRun).where(JobRun.business_id == business.id, JobRun.kind == RUN_KIND,
                                                  JobRun.status.in_(("queued", "running")),
                                                  JobRun.created_at > utcnow() - timedelta(minutes=15))
                             .order_by(JobRun.created_at.desc()).limit(1))


def refresh_after_new_calls(business: Business, new_call_ids: list[str]) -> None:
    """New calls change their contacts' profiles: queue a refresh (one per
    business while it waits). Only for a business with insights and real
    4calls credentials; called from the call upserts."""
    from app.analytics.gating import allowed
    from app.jobs import enqueue
    from app.crm_sync.services import can_sync

    integration = business.integration
    if not new_call_ids or integration is None or not integration.api_key:
        return
    if can_sync(business) and allowed(business, "customer_insights"):
        enqueue("app.analytics.jobs.sync_insights_job", str(business.id), job_id=f"insights:{business.id}")
