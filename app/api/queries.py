"""List queries for the REST API: filters and opaque keyset cursors.

Every list is newest first on (time column, id); the cursor is the last
row's pair, base64url-encoded, so pages stay stable while rows are added.
Every query starts from the token's business: another business's rows
cannot appear, and their ids answer 404.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

from sqlalchemy import and_, func, or_, select

from app.api.errors import ApiError
from app.extensions import db
from app.models import Appointment, Business, Call, Contact, ContactTag, Lead
from app.web import parse_uuid

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def encode_cursor(moment: datetime, row_id) -> str:
    raw = json.dumps([moment.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        key = parse_uuid(row_id)
        parsed = datetime.fromisoformat(moment)
        if key is None:
            raise ValueError
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)), key
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError("invalid_cursor", "The cursor is not one this API returned.") from None


def parse_limit(args) -> int:
    raw = args.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError("invalid_parameter", f"limit must be a whole number from 1 to {MAX_LIMIT}.",
                       {"limit": "out of range"})
    return int(raw)


def parse_time(args, name: str) -> datetime | None:
    raw = args.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError("invalid_parameter", f"{name} must be an RFC 3339 time, e.g. 2027-03-01T00:00:00Z.",
                       {name: "not a time"}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_choice(args, name: str, choices: tuple[str, ...]) -> str | None:
    raw = args.get(name)
    if raw and raw not in choices:
        raise ApiError("invalid_parameter", f"{name} must be one of: {', '.join(choices)}.", {name: "unknown value"})
    return raw or None


def parse_id(args, name: str):
    raw = args.get(name)
    if not raw:
        return None
    key = parse_uuid(raw)
    if key is None:
        raise ApiError("invalid_parameter", f"{name} must be an id this API returned.", {name: "not an id"})
    return key


def page(stmt, time_column, id_column, args):
    """(rows, next_cursor) for a statement already filtered to one business."""
    limit = parse_limit(args)
    if args.get("cursor"):
        moment, key = decode_cursor(args["cursor"])
        stmt = stmt.where(or_(time_column < moment, and_(time_column == moment, id_column < key)))
    rows = db.session.scalars(stmt.order_by(time_column.desc(), id_column.desc()).limit(limit + 1)).unique().all()
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(getattr(rows[-1], time_column.key), rows[-1].id) if more and rows else None
    return rows, cursor


def calls(business: Business, args):
    stmt = select(Call).where(Call.business_id == business.id)
    if direction := parse_choice(args, "direction", ("inbound", "outbound")):
        stmt = stmt.where(Call.direction == direction)
    if status := parse_choice(args, "status", ("answered", "missed", "voicemail")):
        stmt = stmt.where(Call.status == status)
    if args.get("outcome"):
        stmt = stmt.where(Call.outcome == args["outcome"][:20])
    if contact_id := parse_id(args, "contact_id"):
        stmt = stmt.where(Call.contact_id == contact_id)
    if since := parse_time(args, "started_after"):
        stmt = stmt.where(Call.started_at >= since)
    if until := parse_time(args, "started_before"):
        stmt = stmt.where(Call.started_at < until)
    return page(stmt, Call.started_at, Call.id, args)


def contacts(business: Business, args):
    stmt = select(Contact).where(Contact.business_id == business.id, Contact.deleted_at.is_(None))
    if q := (args.get("q") or "").strip()[:100]:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(Contact.name).like(like), func.lower(Contact.email).like(like),
                              Contact.phone.like(f"%{q}%")))
    if tag := (args.get("tag") or "").strip():
        stmt = stmt.where(Contact.id.in_(select(ContactTag.contact_id).where(
            ContactTag.business_id == business.id, ContactTag.tag == tag)))
    if since := parse_time(args, "updated_after"):
        stmt = stmt.where(Contact.updated_at >= since)
    return page(stmt, Contact.created_at, Contact.id, args)


def appointments(business: Business, args):
    stmt = select(Appointment).where(Appointment.business_id == business.id)
    if status := parse_choice(args, "status", ("scheduled", "completed", "cancelled", "no_show")):
        stmt = stmt.where(Appointment.status == status)
    if contact_id := parse_id(args, "contact_id"):
        stmt = stmt.where(Appointment.contact_id == contact_id)
    if since := parse_time(args, "starts_after"):
        stmt = stmt.where(Appointment.starts_at >= since)
    if until := parse_time(args, "starts_before"):
        stmt = stmt.where(Appointment.starts_at < until)
    return page(stmt, Appointment.starts_at, Appointment.id, args)


def leads(business: Business, args):
    stmt = select(Lead).where(Lead.business_id == business.id)
    if status := (args.get("status") or "").strip():
        stmt = stmt.where(Lead.status == status[:12])
    if source := parse_choice(args, "source", ("chat", "contact_form", "api")):
        stmt = stmt.where(Lead.source == source)
    if since := parse_time(args, "created_after"):
        stmt = stmt.where(Lead.created_at >= since)
    return page(stmt, Lead.created_at, Lead.id, args)


def one(model, business: Business, object_id):
    key = parse_uuid(object_id)
    row = db.session.get(model, key) if key else None
    if row is None or row.business_id != business.id or getattr(row, "deleted_at", None) is not None:
        raise ApiError("not_found", f"No {model.__name__.lower()} with that id.")
    return row
