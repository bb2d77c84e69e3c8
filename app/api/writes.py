"""Writes through the API go through the same services as the app's own
pages (validation, the package's contact limit, the push to 4calls, the
outgoing webhooks), so an API client cannot do what an owner could not."""
from __future__ import annotations

from flask import request

from app.api.errors import ApiError
from app.contacts import services as contacts
from app.models import Business, Contact, Lead

CONTACT_FIELDS = {"name", "phone", "email", "notes", "custom_fields", "tags"}
LEAD_FIELDS = {"name", "phone", "email", "message"}


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("invalid_json", "Send a JSON object with Content-Type: application/json.")
    return body


def _check_shape(body: dict, allowed: set[str]) -> None:
    fields = {k: "unknown field" for k in body if k not in allowed}
    for key in ("name", "phone", "email", "notes", "message"):
        if key in body and body[key] is not None and not isinstance(body[key], str):
            fields[key] = "must be a string"
    if "custom_fields" in body and not isinstance(body["custom_fields"], dict):
        fields["custom_fields"] = "must be an object"
    if "tags" in body and not (isinstance(body["tags"], list) and all(isinstance(t, str) for t in body["tags"])):
        fields["tags"] = "must be a list of strings"
    if fields:
        raise ApiError("validation_failed", "Some fields are not accepted.", fields)


def _contact_call(func, *args):
    try:
        return func(*args)
    except contacts.ContactError as exc:
        raise ApiError("validation_failed", "Some fields are not valid.", exc.errors) from None
    except contacts.ContactLimitReached as exc:
        raise ApiError("limit_reached", str(exc)) from None


def create_contact(business: Business, body: dict) -> Contact:
    _check_shape(body, CONTACT_FIELDS)
    return _contact_call(contacts.create_contact, business, body, body.get("tags") or [])


def update_contact(business: Business, contact: Contact, body: dict) -> Contact:
    _check_shape(body, CONTACT_FIELDS)
    if not body:
        raise ApiError("validation_failed", "Send at least one field to change.")
    tags = body.pop("tags", None)
    if tags is not None:
        # Validate every field before writing anything: tags are set only if the rest is valid.
        _contact_call(contacts.clean_contact_fields, {f: body[f] for f in contacts.EDITABLE_FIELDS if f in body})
    contact = _contact_call(contacts.update_contact, business, contact, body) if body else contact
    if tags is not None:
        _contact_call(contacts.set_tags, contact, tags)
    return contact


def create_lead(business: Business, body: dict) -> Lead:
    from app.chat.leads import clean_lead_fields, push_lead
    from app.chat.records import local_contact_for
    from app.chat.turns import ChatInputError, chat_coordinator_id
    from app.extensions import db
    from app.integrations.wiring import emit_lead_created
    from app.models.sync import SyncState

    _check_shape(body, LEAD_FIELDS)
    try:
        details = clean_lead_fields(body.get("name"), body.get("phone"), body.get("email"), body.get("message"))
    except (ChatInputError, contacts.ContactError) as exc:
        raise ApiError("validation_failed", str(exc), getattr(exc, "errors", None)) from None
    live = chat_coordinator_id(business) is not None
    contact = local_contact_for(business, name=details["name"], phone=details["phone"], email=details["email"])
    lead = Lead(business_id=business.id, contact_id=contact.id, name=details["name"] or None,
                phone=details["phone"], email=details["email"], message=details["message"], source="api",
                sync_state=SyncState.PENDING if live else SyncState.SYNCED)
    db.session.add(lead)
    emit_lead_created(lead)
    db.session.commit()
    if live:
        push_lead(lead)  # to 4calls as a real-time lead, as the widget's leads are
    return lead
