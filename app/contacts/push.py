"""Send local contact changes to 4calls.

A contact stays `pending` until 4calls has it. Errors a retry may fix
(4calls down, rate limited, not provisioned yet) are raised so the job is
retried, and `sweep_pending_contacts` re-queues whatever is still pending
later, so no edit is lost however long 4calls is away. Errors a retry cannot
fix (4calls refuses the data) mark the contact `error` with 4calls' reason.
"""
from __future__ import annotations

import logging
import uuid

from sqlalchemy import select

from app.extensions import db
from app.fourcalls import Conflict, FourCallsError, NotFound, NotProvisioned, ValidationError, plain_words
from app.assistant.connection import organization_client
from app.models import Business, Contact, FourCallsIntegration, SyncState

log = logging.getLogger(__name__)


def contact_payload(contact: Contact) -> dict:
    return {
        "name": contact.name or None,
        "phone": contact.phone,
        "email": contact.email,
        "tags": contact.tag_names[:50],
        "custom_fields": dict(contact.custom_fields or {}),
        "notes": contact.notes,
    }


def push_contact(contact_id) -> str:
    """Bring 4calls in line with the local contact; returns what was done."""
    contact = db.session.get(Contact, uuid.UUID(str(contact_id)), populate_existing=True)
    if contact is None or contact.sync_state == SyncState.SYNCED:
        return "nothing to do"
    business = db.session.get(Business, contact.business_id)
    try:
        client = organization_client(business)
    except NotProvisioned:
        return "waiting for 4calls setup"  # the sweep pushes it once the organization exists
    org = client.organization_id
    pushed_at = contact.updated_at
    try:
        if contact.deleted_at is not None:
            if contact.remote_id:
                try:
                    client.delete_contact(org, contact.remote_id)
                except NotFound:
                    pass  # already gone on 4calls
            action = "deleted"
        elif contact.remote_id:
            remote = client.update_contact(org, contact.remote_id, contact_payload(contact))
            action = "updated"
        else:
            payload = {**contact_payload(contact), "source": contact.source if contact.source in
                       ("manual", "import") else "manual"}
            try:
                # The key is the contact's id: a create retried after a lost answer is not doubled.
                remote = client.create_contact(org, payload, idempotency_key=f"contact-create:{contact.id}")
            except Conflict as exc:
                if not exc.existing_id:
                    raise
                # 4calls already has this phone (e.g. a caller the AI met): adopt that record.
                payload.pop("source")
                remote = client.update_contact(org, exc.existing_id, payload)
            action = "created"
    except (ValidationError, NotFound) as exc:
        # NotFound: the contact was deleted on 4calls meanwhile; the owner decides what to do.
        return _mark_error(contact, exc)
    except Conflict as exc:
        if exc.retryable:
            raise
        return _mark_error(contact, exc)
    # An edit saved while the push was in flight keeps the contact pending for the next push.
    # (Read before touching the row, or the autoflush would bump updated_at itself.)
    current = db.session.scalar(select(Contact.updated_at).where(Contact.id == contact.id))
    if contact.deleted_at is None:
        contact.remote_id = remote["id"]
    if current is None or pushed_at is None or current <= pushed_at:
        contact.sync_state = SyncState.SYNCED
        contact.sync_error = None
    db.session.commit()
    return action


def _mark_error(contact: Contact, exc: FourCallsError) -> str:
    contact.sync_state = SyncState.ERROR
    contact.sync_error = plain_words(exc)[:1000]
    db.session.commit()
    log.warning("4calls refused contact %s: %s", contact.id, exc)
    return "refused"


BATCH_SECONDS = 90  # a batch job hands over to the next before RQ's job timeout


def push_pending_batch(business_id, round_number: int = 0) -> int:
    """Push a business's pending contacts one by one (after an import, or the
    sweep). A 4calls outage stops the batch with an error so it is retried."""
    import time

    started = time.monotonic()
    pushed = 0
    while time.monotonic() - started < BATCH_SECONDS:
        ids = list(db.session.scalars(
            select(Contact.id)
            .where(Contact.business_id == uuid.UUID(str(business_id)), Contact.sync_state == SyncState.PENDING)
            .order_by(Contact.updated_at, Contact.id).limit(100)
        ))
        if not ids:
            return pushed
        for contact_id in ids:
            if push_contact(contact_id) == "waiting for 4calls setup":
                return pushed
            pushed += 1
    queue_business_push(business_id, round_number + 1)
    return pushed


def queue_business_push(business_id, round_number: int = 0) -> None:
    from app.jobs import enqueue

    enqueue("app.contacts.jobs.push_pending_batch_job", str(business_id), round_number,
            job_id=f"contact-push-batch:{business_id}:{round_number}")


def sweep_pending_contacts() -> int:
    """Queue a batch push for every provisioned business with pending contacts (recurring job)."""
    provisioned = select(FourCallsIntegration.business_id).where(FourCallsIntegration.organization_id != "")
    business_ids = list(db.session.scalars(
        select(Contact.business_id)
        .where(Contact.sync_state == SyncState.PENDING, Contact.business_id.in_(provisioned))
        .distinct()
    ))
    for business_id in business_ids:
        queue_business_push(business_id)
    return len(business_ids)
