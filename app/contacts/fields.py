"""Custom fields: the owner names them and picks a type; values live in
Contact.custom_fields under the definition's key."""
from __future__ import annotations

import math
import re
from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.models import Business, ContactFieldDefinition, CustomFieldType

MAX_FIELDS = 50  # 4calls accepts at most 50 custom fields per contact
_TRUE = {"yes", "y", "true", "1", "on"}
_FALSE = {"no", "n", "false", "0", "off"}


class FieldDefinitionError(ValueError):
    pass


def field_definitions(business: Business) -> list[ContactFieldDefinition]:
    return list(db.session.scalars(
        select(ContactFieldDefinition)
        .where(ContactFieldDefinition.business_id == business.id)
        .order_by(ContactFieldDefinition.position, ContactFieldDefinition.label)
    ))


def key_for(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:50]


def add_field_definition(business: Business, label: str, field_type: str) -> ContactFieldDefinition:
    label = " ".join((label or "").split())
    if not label:
        raise FieldDefinitionError("Name the field, e.g. “Birthday” or “Preferred stylist”.")
    if len(label) > 80:
        raise FieldDefinitionError("Field names are at most 80 characters.")
    if field_type not in CustomFieldType.ALL:
        raise FieldDefinitionError("Pick one of the field types offered.")
    key = key_for(label)
    if not key:
        raise FieldDefinitionError("Use at least one letter or digit in the field name.")
    existing = field_definitions(business)
    if any(d.key == key for d in existing):
        raise FieldDefinitionError(f"You already have a field called “{label}”.")
    if len(existing) >= MAX_FIELDS:
        raise FieldDefinitionError(f"You can define up to {MAX_FIELDS} custom fields.")
    position = (db.session.scalar(
        select(func.max(ContactFieldDefinition.position)).where(ContactFieldDefinition.business_id == business.id)
    ) or 0) + 1
    definition = ContactFieldDefinition(
        business_id=business.id, key=key, label=label, field_type=field_type, position=position
    )
    db.session.add(definition)
    db.session.commit()
    return definition


def remove_field_definition(business: Business, definition_id) -> bool:
    """Remove the definition; values already on contacts stay (4calls keeps them too)."""
    definition = next((d for d in field_definitions(business) if str(d.id) == str(definition_id)), None)
    if definition is None:
        return False
    db.session.delete(definition)
    db.session.commit()
    return True


def parse_custom_value(definition: ContactFieldDefinition, value):
    """Text from a form or CSV -> the stored value (None clears it)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if definition.field_type == CustomFieldType.NUMBER:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return value
        text = str(value).strip().replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"“{value}” is not a number.") from None
        if not math.isfinite(number) or abs(number) > 1e15:  # JSON (and PostgreSQL) refuse inf/nan
            raise ValueError(f"“{value}” is not a number we can store.")
        return int(number) if number.is_integer() and "." not in text else number
    if definition.field_type == CustomFieldType.DATE:
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError(f"“{value}” is not a date; use YYYY-MM-DD.") from None
    if definition.field_type == CustomFieldType.YES_NO:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"“{value}” is not yes or no.")
    text = str(value).strip()
    if len(text) > 500:
        raise ValueError("at most 500 characters.")
    from app.validation import control_character_error

    if control_character_error(text, multiline=True):
        raise ValueError("remove the invisible control characters.")
    return text


def display_value(definition: ContactFieldDefinition, value) -> str:
    if value is None:
        return ""
    if definition.field_type == CustomFieldType.YES_NO:
        return "Yes" if value else "No"
    return str(value)
