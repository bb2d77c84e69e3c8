"""Contacts (the organization's CRM) and the upsert every channel uses."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from .auth import visible, visible_org
from .errors import conflict, invalid, not_found
from .params import bool_arg, json_body, list_response, page_args
from .runtime import new_record, runtime
from .webhooks import emit

bp = Blueprint("contacts", __name__)

_EDITABLE = ("name", "phone", "email", "tags", "custom_fields", "notes", "source")


def blank_contact(org_id: str) -> dict:
    contact = new_record("con", org_id)
    contact.update({"name": None, "phone": None, "email": None, "tags": [], "custom_fields": {},
                    "notes": None, "source": "api", "last_interaction_at": None,
                    "deleted": False, "deleted_at": None})
    return contact


def contact_by_phone(org_id: str, phone: str | None) -> dict | None:
    if not phone:
        return None
    found = runtime().store.find("contacts", "organization_id = ? AND phone = ? AND deleted = 0",
                                 (org_id, phone), limit=1)
    return found[0] if found else None


def contact_by_email(org_id: str, email: str | None) -> dict | None:
    if not email:
        return None
    found = runtime().store.find("contacts", "organization_id = ? AND email_lower = ? AND deleted = 0",
                                 (org_id, email.lower()), limit=1)
    return found[0] if found else None


def _check_phone_free(org_id: str, phone: str | None, own_id: str = "") -> None:
    existing = contact_by_phone(org_id, phone)
    if existing and existing["id"] != own_id:
        raise conflict("Another contact of this organization has this phone number.",
                       existing_id=existing["id"])


def upsert_contact(org: dict, *, name=None, phone=None, email=None, source="api") -> tuple[dict, bool]:
    """Find the contact by phone (then email) or create it; record the interaction.

    Call inside a transaction. Fires contact.created or contact.updated.
    """
    store = runtime().store
    with store.transaction():
        contact = contact_by_phone(org["id"], phone) or contact_by_email(org["id"], email)
        created = contact is None
        if created:
            contact = blank_contact(org["id"])
            contact.update({"name": name, "phone": phone, "email": email, "source": source})
        else:
            for field, value in (("name", name), ("phone", phone), ("email", email)):
                if value and not contact.get(field):
                    contact[field] = value
        contact["last_interaction_at"] = store.stamp()
        if created:
            contact["updated_at"] = contact["last_interaction_at"]
            store.insert("contacts", contact)
        else:
            store.save("contacts", contact)
        emit("contact.created" if created else "contact.updated", org, contact)
    return contact, created


def touch_contact(org: dict, contact_id: str | None) -> None:
    """Note an interaction with a known contact (inside a transaction)."""
    store = runtime().store
    contact = store.get("contacts", contact_id) if contact_id else None
    if contact and not contact["deleted"]:
        contact["last_interaction_at"] = store.stamp()
        store.save("contacts", contact)
        emit("contact.updated", org, contact)


@bp.get("/organizations/<org_id>/contacts")
def list_contacts(org_id):
    org = visible_org(org_id)
    limit, cursor, since = page_args()
    where, params = ["organization_id = ?"], [org["id"]]
    if not bool_arg("include_deleted"):
        where.append("deleted = 0")
    if request.args.get("phone"):
        where.append("phone = ?")
        params.append(request.args["phone"])
    if request.args.get("email"):
        where.append("email_lower = ?")
        params.append(request.args["email"].lower())
    if request.args.get("tag"):
        where.append("EXISTS (SELECT 1 FROM json_each(data, '$.tags') WHERE value = ?)")
        params.append(request.args["tag"])
    return list_response("contacts", where, params, limit, cursor, since)


@bp.post("/organizations/<org_id>/contacts")
def create_contact(org_id):
    body = json_body("ContactCreate")
    if not any(body.get(k) for k in ("name", "phone", "email")):
        raise invalid({"name": "give at least one of name, phone or email"})
    store = runtime().store
    with store.transaction():
        org = visible_org(org_id)
        _check_phone_free(org["id"], body.get("phone"))
        contact = blank_contact(org["id"])
        contact.update({k: body[k] for k in _EDITABLE if k in body})
        store.insert("contacts", contact)
        emit("contact.created", org, contact)
    return jsonify(contact), 201


def _visible_contact(org_id: str, contact_id: str) -> dict:
    org = visible_org(org_id)
    contact = visible("contacts", contact_id, "contact", org["id"])
    if contact["deleted"]:
        raise not_found("contact")
    return contact


@bp.get("/organizations/<org_id>/contacts/<contact_id>")
def get_contact(org_id, contact_id):
    return jsonify(_visible_contact(org_id, contact_id))


@bp.put("/organizations/<org_id>/contacts/<contact_id>")
def update_contact(org_id, contact_id):
    _visible_contact(org_id, contact_id)
    body = json_body("ContactUpdate")
    store = runtime().store
    with store.transaction():
        contact = _visible_contact(org_id, contact_id)
        if body.get("phone"):
            _check_phone_free(contact["organization_id"], body["phone"], contact["id"])
        contact.update({k: body[k] for k in _EDITABLE if k in body})
        if not any(contact.get(k) for k in ("name", "phone", "email")):
            raise invalid({"name": "a contact needs at least one of name, phone or email"})
        store.save("contacts", contact)
        emit("contact.updated", visible_org(org_id), contact)
    return jsonify(contact)


@bp.delete("/organizations/<org_id>/contacts/<contact_id>")
def delete_contact(org_id, contact_id):
    store = runtime().store
    with store.transaction():
        contact = _visible_contact(org_id, contact_id)
        contact["deleted"] = True
        contact["deleted_at"] = store.stamp()
        store.save("contacts", contact)
        emit("contact.deleted", visible_org(org_id), contact)
    return jsonify(contact)
