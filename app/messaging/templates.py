"""The owner's saved message templates (variables are filled at send time)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.leads.errors import FieldErrors
from app.messaging.compose import MAX_EMAIL_CHARS, MAX_SUBJECT, unknown_variables, unknown_variables_error
from app.models.messaging import MessageTemplate
from app.web import parse_uuid


class TemplateError(FieldErrors):
    """Bad template input."""


def list_templates(business) -> list[MessageTemplate]:
    return list(db.session.scalars(select(MessageTemplate).where(MessageTemplate.business_id == business.id)
                                   .order_by(MessageTemplate.name)))


def get_template_or_none(business, template_id) -> MessageTemplate | None:
    parsed = parse_uuid(template_id)
    template = db.session.get(MessageTemplate, parsed) if parsed else None
    return template if template is not None and template.business_id == business.id else None


def save_template(business, name: str | None, subject: str | None, body: str | None) -> MessageTemplate:
    name, subject, body = (name or "").strip(), (subject or "").strip() or None, (body or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Give the template a name."
    elif len(name) > 80:
        errors["name"] = "Keep the name under 80 characters."
    if not body:
        errors["body"] = "Write the template's text."
    elif len(body) > MAX_EMAIL_CHARS:
        errors["body"] = f"Keep the text under {MAX_EMAIL_CHARS:,} characters."
    elif unknown_variables_error(body):
        errors["body"] = unknown_variables_error(body)
    if subject and (len(subject) > MAX_SUBJECT or unknown_variables(subject)):
        errors["subject"] = "Keep the subject under 200 characters, with known variables only."
    if errors:
        raise TemplateError(errors)
    template = MessageTemplate(business_id=business.id, name=name, subject=subject, body=body)
    db.session.add(template)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise TemplateError({"name": f"You already have a template called “{name}”."}) from None
    return template


def delete_template(template: MessageTemplate) -> None:
    db.session.delete(template)
    db.session.commit()
