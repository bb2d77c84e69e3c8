"""What a message says: template variables, SMS segment counting and the
checks a draft must pass before anything is queued."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.leads.errors import FieldErrors
from app.models import Appointment
from app.models.base import utcnow
from app.timezones import format_local

VARIABLES = ("first_name", "business_name", "next_appointment")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_SMS_CHARS = 1600  # ten segments: carriers refuse longer texts
MAX_EMAIL_CHARS = 5000  # the 4calls contract's limit
MAX_SUBJECT = 200
# GSM 03.38 basic set and extension (extension characters count twice).
_GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM_EXTENDED = set("^{}\\[~]|€\f")


class DraftError(FieldErrors):
    """A draft that cannot be sent."""


@dataclass(frozen=True)
class SegmentCount:
    characters: int
    segments: int
    encoding: str  # GSM-7 | UCS-2


def sms_segments(text: str) -> SegmentCount:
    """Characters and segments as carriers count them: 160 GSM-7 characters
    in one segment, 153 per segment when split; 70 / 67 once any character
    needs UCS-2."""
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 0 if units == 0 else 1 if units <= single else -(-units // multi)
    return SegmentCount(len(text), segments, encoding)


def unknown_variables(text: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(text or "") if name.strip() not in VARIABLES})


def unknown_variables_error(text: str) -> str | None:
    """The field error for a text with variables we cannot fill, else None."""
    unknown = unknown_variables(text)
    if not unknown:
        return None
    return ("Unknown variable " + ", ".join("{" + n + "}" for n in unknown)
            + ". Use {first_name}, {business_name} or {next_appointment}.")


def next_appointment_label(business, contact) -> str:
    if contact is None:
        return ""
    appointment = db.session.scalar(
        select(Appointment).where(Appointment.business_id == business.id, Appointment.contact_id == contact.id,
                                  Appointment.status == "scheduled", Appointment.starts_at > utcnow())
        .order_by(Appointment.starts_at).limit(1))
    if appointment is None:
        return ""
    return format_local(appointment.starts_at, business, "%a %b %-d at %-I:%M %p")


def variable_values(business, contact) -> dict[str, str]:
    name = ((contact.name if contact is not None else "") or "").strip()
    return {
        "first_name": name.split(" ")[0] if name else "there",
        "business_name": business.name,
        "next_appointment": next_appointment_label(business, contact) or "your next visit",
    }


def render(text: str, business, contact) -> str:
    """Fill the variables; an unknown one is a DraftError (callers check first)."""
    problem = unknown_variables_error(text)
    if problem:
        raise DraftError({"body": problem})
    values = variable_values(business, contact)
    return _PLACEHOLDER.sub(lambda m: values[m.group(1).strip()], text)


@dataclass(frozen=True)
class Draft:
    channel: str
    to: str
    subject: str | None
    body: str


def check_draft(business, contact, channel: str, body: str, subject: str | None = None) -> Draft:
    """The message as it will be sent, or a DraftError naming every problem."""
    errors: dict[str, str] = {}
    body = (body or "").strip()
    subject = (subject or "").strip() or None
    if channel not in ("sms", "email"):
        raise DraftError({"channel": "Choose SMS or email."})
    to = contact.phone if channel == "sms" else contact.email
    if not to:
        errors["channel"] = (f"{contact.name or 'This contact'} has no phone number for a text."
                             if channel == "sms" else f"{contact.name or 'This contact'} has no email address.")
    if not body:
        errors["body"] = "Write a message first."
    elif unknown_variables_error(body):
        errors["body"] = unknown_variables_error(body)
    if subject and unknown_variables(subject):
        errors["subject"] = "Unknown variable in the subject."
    if channel == "email" and not subject and "subject" not in errors:
        errors["subject"] = "Give the email a subject."
    if subject and len(subject) > MAX_SUBJECT:
        errors["subject"] = f"Keep the subject under {MAX_SUBJECT} characters."
    if errors:
        raise DraftError(errors)
    text = render(body, business, contact)
    limit = MAX_SMS_CHARS if channel == "sms" else MAX_EMAIL_CHARS
    if len(text) > limit:
        raise DraftError({"body": f"The message is {len(text):,} characters; the limit for "
                                  f"{'a text' if channel == 'sms' else 'an email'} is {limit:,}."})
    filled_subject = render(subject, business, contact)[:MAX_SUBJECT] if subject else None
    return Draft(channel, to, filled_subject if channel == "email" else None, text)
