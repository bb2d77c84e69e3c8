"""SMS/email with a simulated delivery lifecycle: outgoing messages (reminders,
owner messages, text-backs) and the customers' replies (sandbox/fourcalls/replies.py).

Delivery advances with age: queued, then sent after SENT_AFTER seconds, then
delivered (or failed for undeliverable addresses) after SETTLED_AFTER seconds.
Numbers ending in 0000 and addresses at *.invalid domains fail, so clients can
exercise their failure paths. Every status change fires `message.updated`.
"""
from __future__ import annotations

import re

from flask import Blueprint, jsonify, request

from .appointments import appointment_in_org
from .auth import visible, visible_org
from .errors import invalid
from .params import json_body, list_response, page_args
from .runtime import new_record, runtime
from .timeutil import now_micros, ts_to_micros
from .webhooks import emit

bp = Blueprint("messages", __name__)

SENT_AFTER = 0.5
SETTLED_AFTER = 1.5
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _undeliverable_reason(message: dict) -> str | None:
    if message["channel"] == "sms" and message["to"].endswith("0000"):
        return "Carrier rejected the message: unreachable number."
    if message["channel"] == "email" and message["to"].lower().endswith(".invalid"):
        return "Recipient mailbox unavailable."
    return None


def advance_delivery(message: dict) -> dict:
    """Move a message along its lifecycle according to its age (call inside a transaction)."""
    if message["status"] in ("delivered", "failed"):
        return message
    store = runtime().store
    age = (now_micros() - ts_to_micros(message["created_at"])) / 1_000_000
    changed = False
    if message["status"] == "queued" and age >= SENT_AFTER:
        message["status"], message["sent_at"], changed = "sent", store.stamp(), True
    if message["status"] == "sent" and age >= SETTLED_AFTER:
        reason = _undeliverable_reason(message)
        if reason:
            message["status"], message["error"] = "failed", reason
        else:
            message["status"], message["delivered_at"] = "delivered", store.stamp()
        changed = True
    if changed:
        store.save("messages", message)
        org = store.get("organizations", message["organization_id"])
        emit("message.updated", org, message)
        if message["status"] == "delivered":
            from .replies import simulate_reply

            simulate_reply(org, message)
    return message


def advance_pending_messages() -> None:
    store = runtime().store
    with store.transaction():
        for message in store.find("messages", "status IN ('queued', 'sent')", limit=500):
            advance_delivery(message)


@bp.post("/organizations/<org_id>/messages")
def send_message(org_id):
    body = json_body("MessageCreate")
    org = visible_org(org_id)
    pattern = _E164 if body["channel"] == "sms" else _EMAIL
    if not pattern.match(body["to"]):
        expected = "an E.164 phone number" if body["channel"] == "sms" else "an email address"
        raise invalid({"to": f"must be {expected} for channel {body['channel']}"})
    if body.get("subject") and body["channel"] != "email":
        raise invalid({"subject": "only email messages have a subject"})
    appointment = appointment_in_org(org, body.get("appointment_id"))
    contact_id = body.get("contact_id") or (appointment or {}).get("contact_id")
    if body.get("contact_id"):
        visible("contacts", body["contact_id"], "contact", org["id"])
    store = runtime().store
    with store.transaction():
        message = new_record("msg", org["id"])
        message.update({"direction": "outbound", "channel": body["channel"], "to": body["to"],
                        "from": org.get("phone") if body["channel"] == "sms" else None,
                        "subject": body.get("subject"),
                        "body": body["body"], "appointment_id": body.get("appointment_id"),
                        "contact_id": contact_id, "in_reply_to": None, "status": "queued", "error": None,
                        "sent_at": None, "delivered_at": None})
        store.insert("messages", message)
    return jsonify(message), 201


@bp.get("/organizations/<org_id>/messages")
def list_messages(org_id):
    org = visible_org(org_id)
    limit, cursor, since = page_args()
    advance_pending_messages()
    where, params = ["organization_id = ?"], [org["id"]]
    if request.args.get("appointment_id"):
        where.append("appointment_id = ?")
        params.append(request.args["appointment_id"])
    return list_response("messages", where, params, limit, cursor, since)


@bp.get("/organizations/<org_id>/messages/<message_id>")
def get_message(org_id, message_id):
    org = visible_org(org_id)
    with runtime().store.transaction():
        message = advance_delivery(visible("messages", message_id, "message", org["id"]))
    return jsonify(message)
