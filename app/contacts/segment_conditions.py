"""AND/OR condition groups of a saved segment (advanced CRM).

Stored inside the segment's rules next to the simple keys campaigns use:

    {"match": "all" | "any",             # how the groups combine
     "groups": [{"match": "all" | "any",  # how a group's conditions combine
                 "conditions": [{"subject": "tag", "op": "has", "value": "vip"},
                                {"subject": "field", "key": "city", "op": "is", "value": "Austin"},
                                {"subject": "last_interaction", "op": "within_days", "value": "30"},
                                {"subject": "lead_status", "op": "is", "value": "qualified"},
                                {"subject": "appointment", "op": "upcoming", "value": ""}]}]}

`where_clause(business, rules)` turns them into one SQL expression over Contact
(EXISTS subqueries for tags, leads and appointments), so a segment of any size
is counted and listed by the database.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Float, String, and_, cast, exists, false, func, or_, true

from app.contacts.fields import field_definitions, parse_custom_value
from app.extensions import db
from app.models import Appointment, Contact, ContactTag, CustomFieldType, Lead, LeadStatus
from app.models.base import utcnow
from app.timezones import local_midnight, local_today

MAX_GROUPS = 5
MAX_CONDITIONS = 10  # per group
MATCHES = {"all": "all of", "any": "any of"}

# subject -> the operators it accepts, with their labels
OPERATORS = {
    "tag": {"has": "has tag", "lacks": "does not have tag"},
    "field": {"is": "is", "is_not": "is not", "contains": "contains", "empty": "is empty", "set": "is filled in",
              "gt": "is more than / after", "lt": "is less than / before"},
    "created": {"before": "on or before", "after": "on or after", "within_days": "in the last N days",
                "not_within_days": "not in the last N days"},
    "last_interaction": {"before": "on or before", "after": "on or after", "within_days": "in the last N days",
                         "not_within_days": "not in the last N days (or never)"},
    "lead_status": {"is": "has a lead that is", "is_not": "has no lead that is"},
    "appointment": {"upcoming": "has an upcoming one", "none_upcoming": "has no upcoming one",
                    "within_days": "had one in the last N days", "never": "never had one"},
}
SUBJECT_LABELS = {"tag": "Tag", "created": "Created", "last_interaction": "Last contact",
                  "lead_status": "Lead status", "appointment": "Appointment"}
NO_VALUE = {"empty", "set", "upcoming", "none_upcoming", "never"}
DAYS_OPS = {"within_days", "not_within_days"}
LEAD_STATUSES = LeadStatus.PIPELINE


def subject_choices(business) -> list[tuple[str, str]]:
    """(value, label) for the builder's subject select: fixed subjects plus every custom field."""
    choices = [("tag", "Tag")]
    choices += [(f"field:{d.key}", f"Field · {d.label}") for d in field_definitions(business)]
    choices += [(key, label) for key, label in SUBJECT_LABELS.items() if key != "tag"]
    return choices


def operator_choices() -> list[tuple[str, str]]:
    seen, choices = set(), []
    for ops in OPERATORS.values():
        for op, label in ops.items():
            if op not in seen:
                seen.add(op)
                choices.append((op, label))
    return choices


def clean_groups(business, raw_groups, raw_match) -> tuple[str, list[dict], dict[str, str]]:
    """(match, groups, errors); errors are keyed g<i>c<j> for the builder's rows."""
    errors: dict[str, str] = {}
    match = raw_match if raw_match in MATCHES else "all"
    definitions = {d.key: d for d in field_definitions(business)}
    groups = []
    for i, raw_group in enumerate((raw_groups or [])[:MAX_GROUPS + 1]):
        conditions = []
        for j, raw in enumerate((raw_group.get("conditions") or [])[:MAX_CONDITIONS + 1]):
            condition = _clean_condition(raw, definitions, f"g{i}c{j}", errors)
            if condition is not None:
                conditions.append(condition)
        if len(conditions) > MAX_CONDITIONS:
            errors[f"g{i}"] = f"Use at most {MAX_CONDITIONS} conditions in a group."
        if conditions:
            groups.append({"match": raw_group.get("match") if raw_group.get("match") in MATCHES else "all",
                           "conditions": conditions[:MAX_CONDITIONS]})
    if len(groups) > MAX_GROUPS:
        errors["groups"] = f"Use at most {MAX_GROUPS} groups."
    return match, groups[:MAX_GROUPS], errors


def _clean_condition(raw: dict, definitions: dict, where: str, errors: dict) -> dict | None:
    subject = (raw.get("subject") or "").strip()
    op = (raw.get("op") or "").strip()
    value = str(raw.get("value") if raw.get("value") is not None else "").strip()[:200]
    key = (raw.get("key") or "").strip()
    if subject.startswith("field:"):
        subject, key = "field", subject[6:]
    if not subject:
        return None  # an empty row of the builder
    if subject not in OPERATORS:
        errors[where] = "Choose what the condition looks at."
        return None
    if op not in OPERATORS[subject]:
        labels = ", ".join(f"“{label}”" for label in OPERATORS[subject].values())
        errors[where] = f"For this condition choose one of {labels}."
        return None
    condition = {"subject": subject, "op": op, "value": "" if op in NO_VALUE else value}
    if subject == "field":
        definition = definitions.get(key)
        if definition is None:
            errors[where] = "Choose one of your custom fields."
            return None
        condition["key"] = key
        problem = _field_value_problem(definition, op, value)
    elif op in NO_VALUE:
        problem = None
    elif op in DAYS_OPS or (subject == "appointment" and op == "within_days"):
        problem = None if value.isdigit() and 1 <= int(value) <= 3650 else "Enter a number of days from 1 to 3650."
    elif op in ("before", "after"):
        problem = None if _iso(value) else "Use a date like 2027-01-31."
    elif subject == "tag":
        condition["value"] = " ".join(value.split()).lower()[:50]
        problem = None if condition["value"] else "Type the tag."
    elif subject == "lead_status":
        problem = None if value in LEAD_STATUSES else "Choose one of: " + ", ".join(LEAD_STATUSES) + "."
    else:
        problem = None
    if problem:
        errors[where] = problem
        return None
    return condition


def _field_value_problem(definition, op: str, value: str) -> str | None:
    if op in NO_VALUE:
        return None
    if not value:
        return "Type the value to compare with."
    if op in ("gt", "lt") and definition.field_type not in (CustomFieldType.NUMBER, CustomFieldType.DATE):
        return f"“{definition.label}” is text: compare it with is, is not or contains."
    if op == "contains" and definition.field_type != CustomFieldType.TEXT:
        return f"“{definition.label}” is not text: use is or is not."
    try:
        parse_custom_value(definition, value)
    except ValueError as exc:
        return f"{definition.label}: {exc}"
    return None


def _iso(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


# --- SQL ------------------------------------------------------------------------


def where_clause(business, rules: dict):
    """The groups as one boolean SQL expression over Contact, or None without groups."""
    groups = rules.get("groups") or []
    if not groups:
        return None
    definitions = {d.key: d for d in field_definitions(business)}
    parts = []
    for group in groups:
        terms = [_condition_sql(business, c, definitions) for c in group["conditions"]]
        parts.append(or_(*terms) if group.get("match") == "any" else and_(*terms))
    return or_(*parts) if rules.get("match") == "any" else and_(*parts)


def _json_text(key: str):
    if db.session.get_bind().dialect.name == "postgresql":
        return Contact.custom_fields.op("->>")(key)
    return cast(func.json_extract(Contact.custom_fields, f'$."{key}"'), String)


def _json_number(key: str):
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(Contact.custom_fields.op("->>")(key), Float)
    return cast(func.json_extract(Contact.custom_fields, f'$."{key}"'), Float)


def _field_sql(condition: dict, definition):
    key, op = condition["key"], condition["op"]
    text = _json_text(key)
    if op == "empty":
        return or_(text.is_(None), text == "")
    if op == "set":
        return and_(text.is_not(None), text != "")
    if definition is None:
        return false()  # the field was removed since: nothing can match its value
    value = parse_custom_value(definition, condition["value"])
    if definition.field_type == CustomFieldType.YES_NO:
        stored = _yes_no_text(value)
        return text == stored if op == "is" else or_(text.is_(None), text != stored)
    if definition.field_type == CustomFieldType.NUMBER:
        number = _json_number(key)
        compare = {"is": number == value, "is_not": or_(number.is_(None), number != value),
                   "gt": number > value, "lt": number < value}
        return compare[op]
    if definition.field_type == CustomFieldType.DATE:  # ISO dates compare as text
        compare = {"is": text == value, "is_not": or_(text.is_(None), text != value),
                   "gt": text > value, "lt": text < value}
        return compare[op]
    lowered = func.lower(text)
    compare = {"is": lowered == value.lower(), "is_not": or_(text.is_(None), lowered != value.lower()),
               "contains": lowered.contains(value.lower(), autoescape=True)}
    return compare[op]


def _yes_no_text(value: bool) -> str:
    # PostgreSQL's ->> gives 'true'/'false'; SQLite's json_extract gives 1/0.
    if db.session.get_bind().dialect.name == "postgresql":
        return "true" if value else "false"
    return "1" if value else "0"


def _days_ago(business, days: int):
    return local_midnight(business, local_today(business) - timedelta(days=days - 1))


def _date_sql(business, column, condition: dict):
    op, value = condition["op"], condition["value"]
    if op == "before":
        return column < local_midnight(business, date.fromisoformat(value) + timedelta(days=1))
    if op == "after":
        return column >= local_midnight(business, date.fromisoformat(value))
    since = _days_ago(business, int(value))
    return column >= since if op == "within_days" else or_(column.is_(None), column < since)


def _condition_sql(business, condition: dict, definitions: dict):
    subject, op = condition["subject"], condition["op"]
    if subject == "tag":
        tagged = exists().where(and_(ContactTag.contact_id == Contact.id, ContactTag.tag == condition["value"]))
        return tagged if op == "has" else ~tagged
    if subject == "field":
        return _field_sql(condition, definitions.get(condition["key"]))
    if subject == "created":
        return _date_sql(business, Contact.created_at, condition)
    if subject == "last_interaction":
        return _date_sql(business, Contact.last_interaction_at, condition)
    if subject == "lead_status":
        has_lead = exists().where(and_(Lead.contact_id == Contact.id, Lead.business_id == business.id,
                                       Lead.status == condition["value"]))
        return has_lead if op == "is" else ~has_lead
    if subject == "appointment":
        booked = and_(Appointment.contact_id == Contact.id, Appointment.business_id == business.id)
        if op in ("upcoming", "none_upcoming"):
            upcoming = exists().where(and_(booked, Appointment.starts_at >= utcnow(), Appointment.status == "scheduled"))
            return upcoming if op == "upcoming" else ~upcoming
        if op == "never":
            return ~exists().where(and_(booked, Appointment.status != "cancelled"))
        since = _days_ago(business, int(condition["value"]))
        return exists().where(and_(booked, Appointment.status != "cancelled", Appointment.starts_at >= since,
                                   Appointment.starts_at < utcnow()))
    return true()


def describe_groups(rules: dict, labels: dict[str, str] | None = None) -> str:
    """The groups in words: “(tag vip or field city is Austin) and (lead status is qualified)”."""
    labels = labels or {}
    parts = []
    for group in rules.get("groups") or []:
        words = []
        for c in group["conditions"]:
            if c["subject"] == "tag":
                words.append(f"{'tagged' if c['op'] == 'has' else 'not tagged'} {c['value']}")
                continue
            subject = labels.get(c.get("key"), c.get("key")) if c["subject"] == "field" else SUBJECT_LABELS[c["subject"]].lower()
            words.append(" ".join(w for w in (subject, OPERATORS[c["subject"]][c["op"]], c["value"]) if w))
        joiner = " or " if group.get("match") == "any" else " and "
        parts.append("(" + joiner.join(words) + ")" if len(words) > 1 else words[0])
    return (" or " if rules.get("match") == "any" else " and ").join(parts)
