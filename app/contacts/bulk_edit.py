"""Bulk edit (advanced CRM): set or clear a custom field, or add or remove a
tag, on the contacts the owner selected or on a whole saved segment.

The value is validated once before anything changes; all contacts change in
one transaction, and one batch push then brings 4calls in line.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from app.contacts import services
from app.contacts.fields import field_definitions, parse_custom_value
from app.contacts.segments import get_segment, segment_contacts
from app.extensions import db
from app.models import Contact, ContactTag
from app.web import parse_uuid

ACTIONS = {"set_field": "Set a field", "add_tag": "Add a tag", "remove_tag": "Remove a tag"}
MAX_CONTACTS = 20000


class BulkEditError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class Selection:
    ids: list
    segment: object = None

    def query(self, business):
        if self.segment is not None:
            return segment_contacts(business, self.segment.rules or {})
        return services.live_contacts(business).where(Contact.id.in_(self.ids))


def selection_from(business, ids, saved) -> Selection:
    if saved:
        segment = get_segment(business, saved)
        if segment is None:
            raise BulkEditError({"saved": "Choose one of your saved segments."})
        return Selection(ids=[], segment=segment)
    keys = [k for k in map(parse_uuid, ids or []) if k is not None]
    if not keys:
        raise BulkEditError({"ids": "Select at least one contact, or choose a saved segment."})
    return Selection(ids=keys)


def clean_change(business, action: str, field_key: str, value: str) -> dict:
    if action not in ACTIONS:
        raise BulkEditError({"action": "Choose what to change."})
    if action == "set_field":
        definition = next((d for d in field_definitions(business) if d.key == field_key), None)
        if definition is None:
            raise BulkEditError({"field": "Choose one of your custom fields."})
        try:
            parsed = parse_custom_value(definition, value)
        except ValueError as exc:
            raise BulkEditError({"value": f"{definition.label}: {exc}"}) from None
        return {"action": action, "key": definition.key, "label": definition.label, "value": parsed}
    tags = services.clean_tags([value])
    if not tags:
        raise BulkEditError({"value": "Type the tag."})
    return {"action": action, "tag": tags[0]}


def apply(business, selection: Selection, change: dict, actor=None) -> int:
    """Change every selected contact; returns how many changed. One transaction."""
    contacts = list(db.session.scalars(selection.query(business).limit(MAX_CONTACTS + 1)
                                       .execution_options(populate_existing=True)))
    if len(contacts) > MAX_CONTACTS:
        raise BulkEditError({"ids": f"Bulk edit changes at most {MAX_CONTACTS:,} contacts at once; narrow the segment."})
    changed = 0
    try:
        for contact in contacts:
            if _change_one(business, contact, change):
                services.mark_pending(contact)
                changed += 1
        from app.audit.services import record

        record("contacts.bulk_edited", business=business, actor=actor, target_type="contact",
               target_label=selection.segment.name if selection.segment else f"{len(selection.ids)} selected",
               after={k: (str(v) if v is not None else None) for k, v in change.items()} | {"changed": changed})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if changed:
        from app.contacts.push import queue_business_push

        queue_business_push(business.id)
    return changed


def _change_one(business, contact: Contact, change: dict) -> bool:
    if change["action"] == "set_field":
        custom = dict(contact.custom_fields or {})
        if custom.get(change["key"]) == change["value"]:
            return False
        if change["value"] is None:
            custom.pop(change["key"], None)
        else:
            custom[change["key"]] = change["value"]
        contact.custom_fields = custom
        return True
    has = change["tag"] in contact.tag_names
    if change["action"] == "add_tag" and not has:
        if len(contact.tags) >= 50:
            return False  # a contact keeps at most 50 tags (4calls' limit)
        contact.tags.append(ContactTag(tag=change["tag"], business_id=business.id))
        return True
    if change["action"] == "remove_tag" and has:
        db.session.execute(delete(ContactTag).where(ContactTag.contact_id == contact.id, ContactTag.tag == change["tag"]))
        db.session.expire(contact, ["tags"])
        return True
    return False


def count_selected(business, selection: Selection) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(selection.query(business).subquery())) or 0
