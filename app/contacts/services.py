"""Contact rules: validation, search, create/edit/delete, tags, the package's limit.

Every change marks the contact `pending` and queues a push to 4calls
(`app.contacts.push`), so an edit made while 4calls is down is kept and sent later.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, or_, select

from app.contacts.fields import field_definitions, parse_custom_value
from app.contacts.phone import InvalidPhone, normalise_phone
from app.contacts.tags import clean_tags
from app.extensions import db
from app.integrations.wiring import emit_contact_change
from app.models import Business, Contact, ContactTag, SyncState
from app.models.contacts import KEPT_CONTACT_ID
from app.models.base import utcnow
from app.web import parse_uuid

PAGE_SIZE = 25
EDITABLE_FIELDS = ("name", "phone", "email", "notes")
SORTS = {
    "name": (Contact.name.asc(),),
    "-name": (Contact.name.desc(),),
    "recent": (Contact.last_interaction_at.desc().nulls_last(), Contact.name.asc()),
    "created": (Contact.created_at.desc(),),
}
SEGMENTS = {
    "": "All contacts",
    "recent": "Interacted in the last 30 days",
    "call": "From calls",
    "chat": "From chat",
    "import": "Imported",
    "manual": "Added by hand",
    "pending": "Waiting to sync",
}


class ContactError(ValueError):
    """Bad input: `.errors` maps a form field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class ContactLimitReached(Exception):
    """The package's contact allowance is used up; the message offers the upgrade."""


@dataclass
class ContactSearch:
    query: str = ""
    tag: str = ""
    segment: str = ""
    sort: str = "name"
    page: int = 1
    saved: str = ""  # a saved segment's id (advanced CRM)
    rows: list = field(default_factory=list)
    total: int = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def live_contacts(business: Business):
    return select(Contact).where(Contact.business_id == business.id, Contact.deleted_at.is_(None))


# A contact merged away keeps its 4calls id, and 4calls may go on filing
# messages, leads and insights under it: they belong to the contact it was merged into.
def contact_by_remote_id(business: Business, remote_id: str) -> Contact | None:
    """The contact for a 4calls contact id, following a merge to the contact kept."""
    kept = select(KEPT_CONTACT_ID).where(Contact.business_id == business.id, Contact.remote_id == remote_id)
    return db.session.scalar(select(Contact).where(Contact.id == kept.scalar_subquery()))


def get_contact_or_none(business: Business, contact_id) -> Contact | None:
    key = parse_uuid(contact_id)
    if key is None:
        return None
    # populate_existing: a background push may have changed the row since this session saw it.
    return db.session.scalar(live_contacts(business).where(Contact.id == key).execution_options(populate_existing=True))


def filtered_contacts(business: Business, search: ContactSearch):
    """The select for a search's query, tag and segment (no order, no paging)."""
    stmt = live_contacts(business)
    query = search.query.strip()
    if query:
        like = f"%{query.lower()}%"
        digits = "".join(ch for ch in query if ch.isdigit())
        conditions = [func.lower(Contact.name).like(like), func.lower(Contact.email).like(like)]
        if len(digits) >= 3:
            conditions.append(Contact.phone.like(f"%{digits}%"))
        stmt = stmt.where(or_(*conditions))
    if search.tag:
        stmt = stmt.where(
            Contact.id.in_(select(ContactTag.contact_id).where(
                ContactTag.business_id == business.id, ContactTag.tag == search.tag))
        )
    if search.segment == "recent":
        stmt = stmt.where(Contact.last_interaction_at >= utcnow() - timedelta(days=30))
    elif search.segment == "pending":
        stmt = stmt.where(Contact.sync_state != SyncState.SYNCED)
    elif search.segment in ("call", "chat", "import", "manual"):
        stmt = stmt.where(Contact.source == search.segment)
    if search.saved:
        from app.contacts.segments import get_segment, segment_contacts

        segment = get_segment(business, search.saved)
        rules = segment.rules if segment is not None else None
        # An unknown segment id matches nobody rather than everybody.
        stmt = stmt.where(Contact.id.in_(segment_contacts(business, rules).with_only_columns(Contact.id))
                          if rules is not None else Contact.id.is_(None))
    return stmt


def search_contacts(business: Business, search: ContactSearch) -> ContactSearch:
    stmt = filtered_contacts(business, search)
    search.total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    search.page = min(max(1, search.page), search.pages)
    order = SORTS.get(search.sort, SORTS["name"])
    search.rows = list(db.session.scalars(
        stmt.order_by(*order, Contact.id).limit(PAGE_SIZE).offset((search.page - 1) * PAGE_SIZE)
    ))
    return search


def business_tags(business: Business) -> list[str]:
    return list(db.session.scalars(
        select(ContactTag.tag).where(ContactTag.business_id == business.id).distinct().order_by(ContactTag.tag)
    ))


def ensure_room_for(business: Business, adding: int) -> None:
    """Refuse contacts beyond the package's limit (issue 5's usage meter)."""
    from app.usage import check_usage_limit, limit_message

    if adding > 0 and not check_usage_limit(business, "contacts", adding):
        raise ContactLimitReached(limit_message(business, "contacts"))


def count_contacts(business: Business, delta: int) -> None:
    """Keep the contacts gauge in step, in the caller's transaction."""
    from app.usage import record_usage

    record_usage(business, "contacts", delta)


def clean_email(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(f"“{text}” is not a valid email address: {exc}") from None


def clean_contact_fields(data: dict) -> dict:
    """Validate name, phone, email and notes. Raises ContactError with every problem at once."""
    errors, cleaned = {}, {}
    if "name" in data:
        cleaned["name"] = (data.get("name") or "").strip()
        if len(cleaned["name"]) > 200:
            errors["name"] = "Names are at most 200 characters."
    if "phone" in data:
        try:
            cleaned["phone"] = normalise_phone(data.get("phone"))
        except InvalidPhone as exc:
            errors["phone"] = str(exc)
    if "email" in data:
        try:
            cleaned["email"] = clean_email(data.get("email"))
        except ValueError as exc:
            errors["email"] = str(exc)
    if "notes" in data:
        cleaned["notes"] = (data.get("notes") or "").strip() or None
        if cleaned["notes"] and len(cleaned["notes"]) > 10000:
            errors["notes"] = "Notes are at most 10,000 characters."
    from app.validation import control_character_error  # -- issue 12: the JSON/widget paths skip the form guard

    for key in ("name", "notes"):
        problem = control_character_error(cleaned.get(key), multiline=key == "notes")
        if problem and key not in errors:
            errors[key] = problem
    if errors:
        raise ContactError(errors)
    return cleaned


def _check_identity(business: Business, values: dict, contact: Contact | None) -> None:
    merged = {f: getattr(contact, f) if contact else None for f in ("name", "phone", "email")}
    merged.update({k: v for k, v in values.items() if k in merged})
    if not (merged["name"] or merged["phone"] or merged["email"]):
        raise ContactError({"name": "Give the contact at least a name, a phone number or an email."})
    if values.get("phone"):
        stmt = live_contacts(business).where(Contact.phone == values["phone"])
        if contact is not None:
            stmt = stmt.where(Contact.id != contact.id)
        clash = db.session.scalar(stmt.limit(1))
        if clash is not None:
            raise ContactError({"phone": f"{values['phone']} already belongs to {clash.name or 'another contact'}."})


def create_contact(business: Business, data: dict, tags: list[str] | None = None) -> Contact:
    values = clean_contact_fields({f: data.get(f) for f in EDITABLE_FIELDS})
    custom = clean_custom_fields(business, data.get("custom_fields") or {})
    _check_identity(business, values, None)
    ensure_room_for(business, 1)
    contact = Contact(business_id=business.id, source="manual", custom_fields=custom,
                      sync_state=SyncState.PENDING, **values)
    db.session.add(contact)
    db.session.flush()
    for tag in clean_tags(tags or []):
        contact.tags.append(ContactTag(tag=tag, business_id=business.id))
    count_contacts(business, 1)
    emit_contact_change(contact, created=True)  # outgoing webhooks (issue 19)
    db.session.commit()
    _queue_push(contact)
    return contact


def update_contact(business: Business, contact: Contact, data: dict) -> Contact:
    """Change some of name/phone/email/notes and custom fields; nothing is saved if any value is bad."""
    values = clean_contact_fields({f: data[f] for f in EDITABLE_FIELDS if f in data})
    custom = None
    if "custom_fields" in data:
        custom = {**(contact.custom_fields or {}), **clean_custom_fields(business, data["custom_fields"])}
    _check_identity(business, values, contact)
    for name, value in values.items():
        setattr(contact, name, value)
    if custom is not None:
        contact.custom_fields = {k: v for k, v in custom.items() if v is not None}
    _mark_pending(contact)
    emit_contact_change(contact)  # outgoing webhooks (issue 19)
    db.session.commit()
    _queue_push(contact)
    return contact


def clean_custom_fields(business: Business, raw: dict) -> dict:
    from app.contacts.advanced import enabled, read_only_message

    if raw and not enabled(business):  # kept after a downgrade, but read-only
        raise ContactError({"custom_fields": read_only_message(business)})
    definitions = {d.key: d for d in field_definitions(business)}
    errors, cleaned = {}, {}
    for key, value in raw.items():
        definition = definitions.get(key)
        if definition is None:
            errors[f"custom_{key}"] = f"“{key}” is not one of your custom fields."
            continue
        try:
            cleaned[key] = parse_custom_value(definition, value)
        except ValueError as exc:
            errors[f"custom_{key}"] = f"{definition.label}: {exc}"
    if errors:
        raise ContactError(errors)
    return cleaned


def delete_contact(business: Business, contact: Contact) -> None:
    """A tombstone until 4calls has deleted it too; then the sync leaves it hidden."""
    from app.audit.services import current_actor, record

    record("contacts.deleted", business=business, actor=current_actor(), target_type="contact",
           target_id=contact.id, target_label=contact.name or contact.phone or contact.email,
           before={"name": contact.name, "phone": contact.phone, "email": contact.email})
    contact.deleted_at = utcnow()
    _mark_pending(contact)
    count_contacts(business, -1)
    db.session.commit()
    _queue_push(contact)


def set_tags(contact: Contact, tags: list[str]) -> None:
    wanted = clean_tags(tags)
    if len(wanted) > 50:
        raise ContactError({"tags": "A contact can have at most 50 tags."})
    contact.tags = [t for t in contact.tags if t.tag in wanted]
    have = set(contact.tag_names)
    for tag in wanted:
        if tag not in have:
            contact.tags.append(ContactTag(tag=tag, business_id=contact.business_id))
    _mark_pending(contact)
    emit_contact_change(contact)  # outgoing webhooks (issue 19)
    db.session.commit()
    _queue_push(contact)


def bulk_tag(business: Business, contact_ids: list[str], tag: str, add: bool) -> int:
    """Add or remove one tag on many contacts; returns how many changed."""
    cleaned = clean_tags([tag])
    if not cleaned:
        raise ContactError({"tag": "Type the tag to add or remove."})
    tag = cleaned[0]
    ids = [key for key in map(parse_uuid, contact_ids) if key is not None]
    if not ids:
        raise ContactError({"ids": "Select at least one contact."})
    contacts = list(db.session.scalars(
        live_contacts(business).where(Contact.id.in_(ids)).execution_options(populate_existing=True)))
    changed = []
    for contact in contacts:
        has = tag in contact.tag_names
        if add and not has:
            contact.tags.append(ContactTag(tag=tag, business_id=business.id))
        elif not add and has:
            db.session.execute(delete(ContactTag).where(ContactTag.contact_id == contact.id, ContactTag.tag == tag))
        else:
            continue
        _mark_pending(contact)
        changed.append(contact)
    db.session.commit()
    for contact in changed:
        _queue_push(contact)
    return len(changed)


def _mark_pending(contact: Contact) -> None:
    contact.sync_state = SyncState.PENDING
    contact.sync_error = None
    contact.updated_at = utcnow()


def _queue_push(contact: Contact) -> None:
    from app.jobs import enqueue

    enqueue("app.contacts.jobs.push_contact_job", str(contact.id), job_id=f"contact-push:{contact.id}")


# Public names for the merge and bulk edit (app/contacts/merge.py, bulk_edit.py).
mark_pending = _mark_pending
queue_push = _queue_push
