"""Customers answering: inbound SMS/email, as `message.received` events.

Simulated replies follow a delivered outgoing SMS, decided by the last digit
of the number it went to, so tests can pick a customer who answers:
  ...1  answers with intent ("Yes please, call me back today about a quote")
  ...3  asks a question about price
  ...7  sends STOP
  other digits never answer.
Email: an address whose local part contains "unsubscribe" answers
UNSUBSCRIBE; one containing "reply" answers with intent.

`POST /_sandbox/organizations/<org>/messages/inbound` makes any customer
write in (sandbox only, no auth, never faulted).
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from .contacts import contact_by_email, contact_by_phone
from .errors import invalid, not_found
from .params import json_body
from .runtime import new_record, runtime
from .webhooks import emit

bp = Blueprint("sandbox_replies", __name__, url_prefix="/_sandbox")

SMS_REPLIES = {
    "1": "Yes please, call me back today about a quote!",
    "3": "Thanks. How much does it cost?",
    "7": "STOP",
}


def _reply_text(message: dict) -> str | None:
    if message["channel"] == "sms":
        return SMS_REPLIES.get(message["to"][-1:])
    local = message["to"].split("@", 1)[0].lower()
    if "unsubscribe" in local:
        return "UNSUBSCRIBE"
    if "reply" in local:
        return "Yes, I'm interested. Could you send me a quote this week?"
    return None


def record_inbound(org: dict, *, channel: str, sender: str, body: str, to: str | None = None,
                   contact_id: str | None = None, in_reply_to: str | None = None,
                   subject: str | None = None) -> dict:
    """Store a customer's message and fire message.received (inside or outside a transaction)."""
    store = runtime().store
    with store.transaction():
        if contact_id is None:
            contact = contact_by_phone(org["id"], sender) if channel == "sms" else contact_by_email(org["id"], sender)
            contact_id = (contact or {}).get("id")
        message = new_record("msg", org["id"])
        message.update({"direction": "inbound", "channel": channel, "to": to or org.get("phone") or "",
                        "from": sender, "subject": subject, "body": body, "appointment_id": None,
                        "contact_id": contact_id, "in_reply_to": in_reply_to, "status": "received",
                        "error": None, "sent_at": None, "delivered_at": message["created_at"]})
        store.insert("messages", message)
        emit("message.received", org, message)
    return message


def simulate_reply(org: dict, outbound: dict) -> dict | None:
    if outbound.get("direction", "outbound") != "outbound":
        return None
    text = _reply_text(outbound)
    if text is None:
        return None
    subject = f"Re: {outbound['subject']}" if outbound.get("subject") else None
    return record_inbound(org, channel=outbound["channel"], sender=outbound["to"], body=text,
                          to=outbound.get("from"), contact_id=outbound.get("contact_id"),
                          in_reply_to=outbound["id"], subject=subject)


@bp.post("/organizations/<org_id>/messages/inbound")
def inbound(org_id):
    org = runtime().store.get("organizations", org_id)
    if org is None:
        raise not_found("organization")
    body = json_body()
    channel = body.get("channel", "sms")
    if channel not in ("sms", "email"):
        raise invalid({"channel": "must be sms or email"})
    if not isinstance(body.get("from"), str) or not body["from"]:
        raise invalid({"from": "who writes in: a phone number or email address"})
    if not isinstance(body.get("body"), str) or not body["body"].strip():
        raise invalid({"body": "must be a non-empty string"})
    message = record_inbound(org, channel=channel, sender=body["from"], body=body["body"],
                             subject=body.get("subject"))
    return jsonify(message), 201
