"""What 4calls is told about a business: the organization's fields."""
from __future__ import annotations

import hashlib
import json

from flask import current_app

from app.contacts.phone import InvalidPhone, normalise_phone
from app.models import Business


def e164(phone: str | None) -> str | None:
    """'+1 555 201 1001' -> '+15552011001', or None when the number is unusable:
    4calls refuses malformed numbers, and a missing one is better than a failed setup."""
    try:
        return normalise_phone(phone)
    except InvalidPhone:
        return None


def organization_fields(business: Business) -> dict:
    """Everything 4calls is told, schedule included (zone, hours and
    appointment types), so an organization can book correctly from creation."""
    from app.appointments.settings import schedule_fields

    profile = business.profile_for_assistant()
    base_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {
        "name": business.name[:200],
        "external_id": str(business.id),
        "phone": e164(business.phone),
        "address": business.address or None,
        "city": business.city or None,
        "website": business.website or None,
        "category": (business.category or "").lower() or None,
        "profile": {
            "description": profile.get("description") or "",
            "services": [s for s in profile.get("services") or [] if s],
            # Empty: 4calls then reads the structured business_hours below.
            "hours": "",
            "faq": [
                {"question": f["question"], "answer": f["answer"]}
                for f in profile.get("faq") or []
                if f.get("question") and f.get("answer")
            ],
        },
        **schedule_fields(business),
        "webhook_url": f"{base_url}/webhooks/fourcalls",
    }


def digest(payload: dict) -> str:
    """A short fingerprint of a request body, for idempotency keys that change with it."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
