"""Apply rows as 4calls returns them (list pages, webhook objects) to the
local contacts, calls and appointments tables.

Every function here is a batched, idempotent upsert keyed on
(business_id, remote_id): applying the same rows twice, or an older version
after a newer one, changes nothing. A local row whose `sync_state` is
`pending` (an owner's edit not yet pushed to 4calls) is never overwritten.
They run inside the caller's transaction and do not commit.

Inserts use INSERT ... ON CONFLICT DO NOTHING RETURNING, so when a webhook
and a sync run race on the same row exactly one of them inserts it and only
that one meters its usage; the other becomes an update.
"""
from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta, timezone
from typing import Iterable

from sqlalchemy import select, update

from app.contacts.tags import clean_tags
from app.extensions import db
from app.integrations.wiring import emit_applied
from app.models import Appointment, Business, Call, Contact, ContactTag, SyncState
from app.models.contacts import KEPT_CONTACT_ID
from app.models.base import utcnow
from app.crm_sync.bulk import BATCH_SIZE, ApplyResult, batches, dialect_insert, in_list, new_row_ids, upsert  # noqa: F401  (re-exported)


def parse_timestamp(value: str | None) -> datetime | None:
    """4calls' RFC 3339 timestamps ("...Z" or with an offset) as aware UTC datetimes."""
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def apply_remote_contacts(business: Business, rows: Iterable[dict]) -> ApplyResult:
    """Upsert 4calls Contact objects (tombstones included: `deleted: true`
    sets `deleted_at`). Replaces tags of every contact it writes, links calls
    and appointments that were waiting for these contacts, and brings the
    contacts meter up to date."""
    result = ApplyResult()
    for batch in batches(rows):
        result.add(_apply_contact_batch(business, batch))
    if result.inserted or result.updated:
        from app.usage.services import refresh_contact_usage

        refresh_contact_usage(business)
    emit_applied(business, "contacts", result)  # outgoing webhooks (issue 19)
    return result


def apply_remote_calls(business: Business, rows: Iterable[dict]) -> ApplyResult:
    """Upsert 4calls Call objects, linking each to the local contact with its
    `contact_id`. New calls that started in the current billing period add
    their minutes (rounded up per call, as 4calls bills) to the usage meters."""
    result = ApplyResult()
    for batch in batches(rows):
        result.add(_apply_call_batch(business, batch))
    # -- leads and missed-call text-back (issue 15): what a first-seen call sets off
    if result.inserted_ids:
        from app.leads.intake import on_new_calls

        on_new_calls(business, result.inserted_ids, result.inserted_rows)
    emit_applied(business, "calls", result)  # outgoing webhooks (issue 19)
    return result


def apply_remote_appointments(business: Business, rows: Iterable[dict]) -> ApplyResult:
    """Upsert 4calls Appointment objects, linking each to its local contact."""
    result = ApplyResult()
    for batch in batches(rows):
        result.add(_apply_appointment_batch(business, batch))
    emit_applied(business, "appointments", result)  # outgoing webhooks (issue 19)
    return result


# --- contacts -----------------------------------------------------------------


def _contact_values(business: Business, row: dict, now: datetime) -> dict:
    deleted = bool(row.get("deleted"))
    return {
        "id": uuid.uuid4(),
        "business_id": business.id,
        "remote_id": row["id"],
        "name": (row.get("name") or "")[:200],
        "phone": row.get("phone"),
        "email": row.get("email"),
        "custom_fields": row.get("custom_fields") or {},
        "notes": row.get("notes"),
        "source": (row.get("source") or "api")[:20],
        "sync_state": SyncState.SYNCED,
        "sync_error": None,
        "remote_updated_at": parse_timestamp(row.get("updated_at")),
        "last_interaction_at": parse_timestamp(row.get("last_interaction_at")),
        "deleted_at": (parse_timestamp(row.get("deleted_at")) or now) if deleted else None,
        "created_at": now,
        "updated_at": now,
    }


_CONTACT_UPDATED = ("name", "phone", "email", "custom_fields", "notes", "source", "sync_state", "sync_error",
                    "remote_updated_at", "last_interaction_at", "deleted_at", "updated_at")


def _apply_contact_batch(business: Business, batch: list[dict]) -> ApplyResult:
    now = utcnow()
    _adopt_unlinked_local_contacts(business, batch)
    values = [_contact_values(business, row, now) for row in batch]
    result = upsert(Contact, values, _CONTACT_UPDATED, protect_pending=True)
    if result.written_ids:
        tags_by_remote = {row["id"]: sorted(clean_tags(row.get("tags"))) for row in batch}
        written = local_contact_ids(business, set(result.written_ids))
        _replace_tags(business, {contact_id: tags_by_remote[remote_id] for remote_id, contact_id in written.items()})
    if result.inserted_ids:
        _link_waiting_rows(business, result.inserted_ids)
    return result


def _adopt_unlinked_local_contacts(business: Business, batch: list[dict]) -> None:
    """A contact created here whose push reached 4calls but whose answer was
    lost has no remote id yet; give it the remote id rather than add a twin."""
    phones = {row["phone"]: row["id"] for row in batch if row.get("phone") and not row.get("deleted")}
    if not phones:
        return
    orphans = db.session.execute(
        select(Contact.id, Contact.phone).where(
            Contact.business_id == business.id, Contact.remote_id.is_(None), Contact.phone.in_(list(phones))
        )
    ).all()
    if not orphans:
        return
    known = set(db.session.scalars(
        select(Contact.remote_id).where(Contact.business_id == business.id, Contact.remote_id.in_(list(phones.values())))
    ))
    for contact_id, phone in orphans:
        if phones[phone] not in known:
            db.session.execute(update(Contact).where(Contact.business_id == business.id, Contact.id == contact_id)
                               .values(remote_id=phones[phone]))
            known.add(phones[phone])


def _replace_tags(business: Business, tags_by_contact: dict[uuid.UUID, list[str]]) -> None:
    if not tags_by_contact:
        return
    db.session.execute(ContactTag.__table__.delete().where(ContactTag.contact_id.in_(list(tags_by_contact))))
    rows = [
        {"contact_id": contact_id, "tag": tag, "business_id": business.id}
        for contact_id, tags in tags_by_contact.items()
        for tag in tags
    ]
    if rows:
        db.session.execute(ContactTag.__table__.insert(), rows)


def _link_waiting_rows(business: Business, contact_remote_ids: list[str]) -> None:
    """Calls and appointments can arrive before their contact (webhooks come
    in any order); link them once the contact exists."""
    for model in (Call, Appointment):
        local_contact = (
            select(KEPT_CONTACT_ID)
            .where(Contact.business_id == model.business_id, Contact.remote_id == model.contact_remote_id)
            .scalar_subquery()
        )
        db.session.execute(
            update(model)
            .where(
                model.business_id == business.id,
                model.contact_remote_id.in_(contact_remote_ids),
                model.contact_id.is_(None),
            )
            .values(contact_id=local_contact)
            .execution_options(synchronize_session=False)
        )


def local_contact_ids(business: Business, remote_ids: set[str], follow_merges: bool = False) -> dict[str, uuid.UUID]:
    """remote id -> local id; with follow_merges, a duplicate merged away answers the contact it
    was merged into (4calls may still file calls and appointments under the duplicate)."""
    if not remote_ids:
        return {}
    local_id = KEPT_CONTACT_ID if follow_merges else Contact.id
    return dict(
        db.session.execute(
            select(Contact.remote_id, local_id).where(
                Contact.business_id == business.id, in_list(Contact.remote_id, remote_ids)
            )
        ).all()
    )


# --- calls --------------------------------------------------------------------


def search_text_for(transcript: list, summary: str | None) -> str:
    """What the call log's search looks in: the summary and every spoken turn."""
    spoken = " ".join(str(turn.get("text") or "") for turn in transcript or [] if isinstance(turn, dict))
    return " ".join(part for part in (summary or "", spoken) if part).strip()


_CALL_UPDATED = ("direction", "caller_name", "caller_number", "contact_id", "contact_remote_id",
                 "coordinator_remote_id", "started_at", "duration_seconds", "status", "outcome", "transcript",
                 "summary", "sentiment", "search_text", "appointment_remote_id", "campaign_remote_id",
                 "topic", "remote_updated_at", "updated_at",
                 "forwarded_to", "forward_reason", "forward_answered", "is_test")  # issue 13


def _apply_call_batch(business: Business, batch: list[dict]) -> ApplyResult:
    now = utcnow()
    contacts = local_contact_ids(business, {row["contact_id"] for row in batch if row.get("contact_id")},
                                  follow_merges=True)
    values = []
    for row, row_id in zip(batch, new_row_ids(len(batch))):
        transcript = row.get("transcript") or []
        values.append({
            "id": row_id,
            "business_id": business.id,
            "remote_id": row["id"],
            "direction": row.get("direction") or "inbound",
            "caller_name": (row.get("caller_name") or None) and row["caller_name"][:200],
            "caller_number": row.get("caller_number"),
            "contact_id": contacts.get(row.get("contact_id")),
            "contact_remote_id": row.get("contact_id"),
            "coordinator_remote_id": row.get("coordinator_id"),
            "started_at": parse_timestamp(row.get("started_at")) or now,
            "duration_seconds": int(row.get("duration_seconds") or 0),
            "status": row.get("status") or "answered",
            "outcome": row.get("outcome"),
            "transcript": transcript,
            "summary": row.get("summary"),
            "sentiment": row.get("sentiment"),
            "search_text": search_text_for(transcript, row.get("summary")),
            "appointment_remote_id": row.get("appointment_id"),
            "campaign_remote_id": row.get("campaign_id"),
            "topic": (row.get("topic") or None) and str(row["topic"])[:80],
            "remote_updated_at": parse_timestamp(row.get("updated_at")),
            "created_at": now,
            "updated_at": now,
            **_forwarding_values(row),
        })
    # -- analytics (issue 18): rollups and unanswered questions follow every written call
    from app.analytics import rollups
    from app.analytics.insights import refresh_after_new_calls
    from app.analytics.questions import replace_call_questions

    rollup_columns = rollups.before_call_upsert(business)
    result = upsert(Call, values, _CALL_UPDATED, protect_pending=False, read_stored=rollup_columns)
    # Every rollup column is in _CALL_UPDATED, so the written rows hold exactly these values.
    rollups.after_call_upsert(business, result.stored_before if rollup_columns else None, result.written_ids,
                              {v["remote_id"]: v for v in values})
    replace_call_questions(business, batch, result.written_ids, result.local_ids, result.inserted_ids)
    refresh_after_new_calls(business, result.inserted_ids)
    if result.inserted_ids:
        new_ids = set(result.inserted_ids)
        _meter_new_calls(business, [v for v in values if v["remote_id"] in new_ids])
        # -- do-not-call opt-outs (issue 14): a new call saying "stop calling" lists the number
        from app.do_not_contact.opt_outs import note_opt_outs

        note_opt_outs(business, [row for row in batch if row["id"] in new_ids])
    # -- messages taken and urgent-call notifications (issue 13)
    from app.taken_messages.capture import after_calls_applied

    after_calls_applied(business, batch, result.inserted_ids)
    return result


def _forwarding_values(row: dict) -> dict:
    forwarding = row.get("forwarding") if isinstance(row.get("forwarding"), dict) else {}
    return {
        "forwarded_to": (forwarding.get("to") or None) and str(forwarding["to"])[:32],
        "forward_reason": forwarding.get("reason"),
        "forward_answered": forwarding.get("answered") if forwarding else None,
        "is_test": bool(row.get("test")),
    }


def _meter_new_calls(business: Business, new_calls: list[dict]) -> None:
    from app.usage.services import current_period, record_usage

    period = current_period(business)
    if period is None:
        return
    minutes = {"inbound": 0, "outbound": 0}
    for call in new_calls:
        # A call counts in the period it ended in, as it is rated when it is
        # over: a call answered just after activation started a moment before
        # the period did, and must still move the meter.
        ended = call["started_at"] + timedelta(seconds=call["duration_seconds"] or 0)
        if period.start <= ended < period.end and call["direction"] in minutes:
            minutes[call["direction"]] += math.ceil(call["duration_seconds"] / 60)
    for direction, amount in minutes.items():
        if amount:
            record_usage(business, f"{direction}_minutes", amount)


# --- appointments -------------------------------------------------------------

_APPOINTMENT_UPDATED = ("contact_id", "contact_remote_id", "customer_name", "customer_phone", "customer_email",
                        "appointment_type", "starts_at", "ends_at", "status", "source", "notes", "sync_state",
                        "sync_error", "remote_updated_at", "updated_at", "staff_id")


def _apply_appointment_batch(business: Business, batch: list[dict]) -> ApplyResult:
    now = utcnow()
    contacts = local_contact_ids(business, {row["contact_id"] for row in batch if row.get("contact_id")},
                                  follow_merges=True)
    staff = _local_staff_ids(business, {row.get("staff_id") for row in batch if row.get("staff_id")})
    values = []
    for row in batch:
        starts_at = parse_timestamp(row.get("starts_at")) or now
        values.append({
            "id": uuid.uuid4(),
            "business_id": business.id,
            "remote_id": row["id"],
            "contact_id": contacts.get(row.get("contact_id")),
            "contact_remote_id": row.get("contact_id"),
            "customer_name": (row.get("customer_name") or "")[:200],
            "customer_phone": row.get("customer_phone"),
            "customer_email": row.get("customer_email"),
            "appointment_type": row.get("appointment_type"),
            "staff_id": staff.get(row.get("staff_id")),
            "starts_at": starts_at,
            "ends_at": parse_timestamp(row.get("ends_at")) or starts_at,
            "status": row.get("status") or "scheduled",
            "source": (row.get("source") or "manual")[:16],
            "notes": row.get("notes"),
            "sync_state": SyncState.SYNCED,
            "sync_error": None,
            "remote_updated_at": parse_timestamp(row.get("updated_at")),
            "created_at": now,
            "updated_at": now,
        })
    result = upsert(Appointment, values, _APPOINTMENT_UPDATED, protect_pending=True)
    # -- "booking by the AI" notifications (issue 13)
    from app.taken_messages.capture import after_appointments_applied

    after_appointments_applied(business, batch, result.inserted_ids)
    _free_claims_of_ended(business, [row["id"] for row in batch if (row.get("status") or "scheduled") != "scheduled"])
    return result


# -- advanced scheduling (issue 19)
def _local_staff_ids(business: Business, remote_ids: set) -> dict:
    """4calls knows staff by our own ids; only this business's count."""
    from app.models.scheduling import StaffMember

    wanted = {key for key in (_uuid_or_none(r) for r in remote_ids) if key}
    if not wanted:
        return {}
    found = db.session.scalars(select(StaffMember.id).where(StaffMember.business_id == business.id,
                                                            StaffMember.id.in_(wanted)))
    return {str(key): key for key in found}


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _free_claims_of_ended(business: Business, remote_ids: list) -> None:
    """Cancelled (or completed) appointments no longer hold their staff member's time."""
    from app.appointments.claims import release_appointment

    if remote_ids:
        ended = db.session.scalars(select(Appointment.id).where(Appointment.business_id == business.id,
                                                                Appointment.remote_id.in_(remote_ids)))
        release_appointment(db.session, list(ended))
