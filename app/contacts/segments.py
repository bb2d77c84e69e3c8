"""Saved contact segments: rules that pick contacts, reusable by campaigns
and (later) messaging.

Rules are a small JSON document, validated here once:

    {"tags": ["vip"],                           # has every one of these tags
     "fields": [{"key": "city", "value": "Austin"}],  # custom field equals (case-insensitive)
     "last_interaction_before": "2027-01-31",   # local dates of the business, inclusive
     "last_interaction_after": "2026-12-01",
     "upcoming_appointment": "yes" | "no" | "",
     "match": "all" | "any", "groups": [...]}   # AND/OR groups (advanced CRM): segment_conditions.py

`segment_contacts(business, rules)` is one SELECT of live contacts; callers add
their own columns, limits or counts on top of it.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import String, and_, cast, exists, func, select

from app.contacts.tags import clean_tags
from app.extensions import db
from app.models import Appointment, Contact, ContactSegment, ContactTag
from app.models.base import utcnow
from app.timezones import local_midnight

UPCOMING_CHOICES = ("", "yes", "no")
MAX_TAGS = 10
MAX_FIELDS = 5


class SegmentError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _parse_date(raw, field: str, errors: dict) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        errors[field] = "Use a date like 2027-01-31."
        return None


def clean_rules(raw: dict) -> dict:
    """Validated rules from form-like input; raises SegmentError with field errors."""
    errors: dict[str, str] = {}
    tags = raw.get("tags") or []
    if isinstance(tags, str):
        tags = tags.split(",")
    tags = sorted(clean_tags(tags))
    if len(tags) > MAX_TAGS:
        errors["tags"] = f"Use at most {MAX_TAGS} tags."
    fields = []
    for item in raw.get("fields") or []:
        key, value = (item.get("key") or "").strip(), (item.get("value") or "").strip()
        if key and value:
            fields.append({"key": key[:80], "value": value[:200]})
        elif key or value:
            errors["fields"] = "Give both the custom field and the value it must have."
    if len(fields) > MAX_FIELDS:
        errors["fields"] = f"Use at most {MAX_FIELDS} field conditions."
    before = _parse_date(raw.get("last_interaction_before"), "last_interaction_before", errors)
    after = _parse_date(raw.get("last_interaction_after"), "last_interaction_after", errors)
    if before and after and after > before:
        errors["last_interaction_after"] = "“After” must be on or before “before”."
    upcoming = (raw.get("upcoming_appointment") or "").strip()
    if upcoming not in UPCOMING_CHOICES:
        errors["upcoming_appointment"] = "Choose yes, no or either."
    if errors:
        raise SegmentError(errors)
    return {"tags": tags, "fields": fields, "last_interaction_before": before,
            "last_interaction_after": after, "upcoming_appointment": upcoming}


def describe(rules: dict, labels: dict[str, str] | None = None) -> str:
    """The rules in one line, for lists and the launch summary."""
    parts = []
    if rules.get("tags"):
        parts.append("tagged " + " + ".join(rules["tags"]))
    parts += [f"{f['key']} = {f['value']}" for f in rules.get("fields") or []]
    if rules.get("last_interaction_after"):
        parts.append(f"last contact on/after {rules['last_interaction_after']}")
    if rules.get("last_interaction_before"):
        parts.append(f"last contact on/before {rules['last_interaction_before']}")
    if rules.get("upcoming_appointment") == "yes":
        parts.append("with an upcoming appointment")
    elif rules.get("upcoming_appointment") == "no":
        parts.append("without an upcoming appointment")
    if rules.get("groups"):
        from app.contacts.segment_conditions import describe_groups

        parts.append(describe_groups(rules, labels))
    return ", ".join(parts) or "all contacts"


def _field_equals(key: str, value: str):
    # JSON text extraction that works on SQLite (json_extract) and PostgreSQL (->>).
    if db.session.get_bind().dialect.name == "postgresql":
        extracted = Contact.custom_fields.op("->>")(key)
    else:
        extracted = cast(func.json_extract(Contact.custom_fields, f'$."{key}"'), String)
    return func.lower(extracted) == value.lower()


def segment_contacts(business, rules: dict):
    """SELECT Contact for the business's live contacts matching the rules."""
    query = select(Contact).where(Contact.business_id == business.id, Contact.deleted_at.is_(None))
    for tag in rules.get("tags") or []:
        query = query.where(exists().where(and_(ContactTag.contact_id == Contact.id, ContactTag.tag == tag)))
    for condition in rules.get("fields") or []:
        query = query.where(_field_equals(condition["key"], condition["value"]))
    if rules.get("last_interaction_before"):
        end = local_midnight(business, date.fromisoformat(rules["last_interaction_before"]) + timedelta(days=1))
        query = query.where(Contact.last_interaction_at < end)
    if rules.get("last_interaction_after"):
        start = local_midnight(business, date.fromisoformat(rules["last_interaction_after"]))
        query = query.where(Contact.last_interaction_at >= start)
    upcoming = exists().where(and_(Appointment.contact_id == Contact.id, Appointment.starts_at >= utcnow(),
                                   Appointment.status == "scheduled"))
    if rules.get("upcoming_appointment") == "yes":
        query = query.where(upcoming)
    elif rules.get("upcoming_appointment") == "no":
        query = query.where(~upcoming)
    if rules.get("groups"):
        from app.contacts.segment_conditions import where_clause

        query = query.where(where_clause(business, rules))
    return query


def clean_segment(business, raw: dict) -> dict:
    """Rules from the segment builder: the simple keys plus AND/OR groups; raises SegmentError."""
    from app.contacts.segment_conditions import clean_groups

    errors: dict[str, str] = {}
    try:
        rules = clean_rules(raw)
    except SegmentError as exc:
        errors.update(exc.errors)
        rules = {}
    match, groups, group_errors = clean_groups(business, raw.get("groups"), raw.get("match"))
    errors.update(group_errors)
    if errors:
        raise SegmentError(errors)
    return {**rules, "match": match, "groups": groups}


def get_segment(business, segment_id) -> ContactSegment | None:
    from app.web import parse_uuid

    key = parse_uuid(segment_id)
    if key is None:
        return None
    segment = db.session.get(ContactSegment, key)
    return segment if segment is not None and segment.business_id == business.id else None


def count_matching(business, rules: dict) -> int:
    return db.session.scalar(select(func.count()).select_from(segment_contacts(business, rules).subquery())) or 0


def segments_of(business) -> list[ContactSegment]:
    return list(db.session.scalars(
        select(ContactSegment).where(ContactSegment.business_id == business.id).order_by(ContactSegment.name)))


def save_segment(business, name: str, rules: dict) -> ContactSegment:
    """Create or replace a named segment (the caller commits)."""
    name = (name or "").strip()[:120]
    if not name:
        raise SegmentError({"segment_name": "Name the segment to save it."})
    segment = db.session.scalar(select(ContactSegment).where(
        ContactSegment.business_id == business.id, ContactSegment.name == name))
    if segment is None:
        segment = ContactSegment(business_id=business.id, name=name, rules=rules)
        db.session.add(segment)
    else:
        segment.rules = rules
    db.session.flush()
    return segment
