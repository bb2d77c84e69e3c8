"""CSV import: upload -> column mapping and preview -> background job.

The job validates every row first (bad rows are reported by row number and
skipped), merges rows whose phone or email matches an existing contact or an
earlier row, checks the package's contact limit for what is left, then writes
everything in one transaction with bulk statements, so 10,000 rows take
seconds and a failure saves nothing.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, update

from app.contacts.consent import parse_consent_cell, record_imported_consents
from app.contacts.csvfile import CsvProblem, decode_upload, parse_rows
from app.contacts.fields import field_definitions, parse_custom_value
from app.contacts.phone import InvalidPhone, normalise_phone
from app.contacts.services import ContactLimitReached, clean_email, clean_tags, count_contacts, ensure_room_for
from app.csv_safety import unneutralise
from app.extensions import db
from app.jobs.records import create_run, recorded_run, update_progress
from app.models import Business, Contact, ContactImport, ContactTag, ImportedContact, ImportStatus, SyncState
from app.web import parse_uuid
from app.models.base import utcnow

PREVIEW_ROWS = 10
BASE_TARGETS = [("name", "Name"), ("first_name", "First name"), ("last_name", "Last name"), ("phone", "Phone"),
                ("email", "Email"), ("tags", "Tags"), ("notes", "Notes"),
                ("marketing_consent", "Marketing consent (yes/no or date)")]  # consent column (issue 14)
_GUESSES = {
    "name": ("name", "full name", "fullname", "contact", "contact name", "customer", "customer name"),
    "first_name": ("first name", "firstname", "first", "given name"),
    "last_name": ("last name", "lastname", "last", "surname", "family name"),
    "phone": ("phone", "phone number", "mobile", "cell", "telephone", "tel", "mobile phone"),
    "email": ("email", "e-mail", "email address", "mail"),
    "tags": ("tags", "tag", "labels", "groups"),
    "notes": ("notes", "note", "comments", "comment"),
    "marketing_consent": ("marketing consent", "consent", "opt in", "opt-in", "marketing opt-in"),
}


def mapping_targets(business: Business) -> list[tuple[str, str]]:
    from app.contacts.advanced import enabled

    if not enabled(business):  # custom fields are advanced CRM (read-only after a downgrade)
        return list(BASE_TARGETS)
    return BASE_TARGETS + [(f"cf_{d.key}", d.label) for d in field_definitions(business)]


def guess_mapping(business: Business, headers: list[str]) -> dict[str, str]:
    lowered = {h.lower().strip(): h for h in headers}
    mapping = {}
    for target, names in _GUESSES.items():
        for name in names:
            if name in lowered:
                mapping[target] = lowered[name]
                break
    for target, label in mapping_targets(business):
        header = lowered.get(label.lower()) if target.startswith("cf_") else None
        if header:
            mapping[target] = header
    return mapping


def create_import(business: Business, filename: str, data: bytes) -> tuple[ContactImport, str]:
    """Store a readable upload; (import, encoding). Raises CsvProblem for anything unreadable."""
    text, encoding = decode_upload(data)
    headers, rows = parse_rows(text)
    contact_import = ContactImport(
        business_id=business.id, filename=(filename or "contacts.csv")[:255], content=text,
        headers=headers, mapping=_starting_mapping(business, headers), total_rows=len(rows),
    )
    db.session.add(contact_import)
    db.session.commit()
    return contact_import, encoding


def _starting_mapping(business: Business, headers: list[str]) -> dict[str, str]:
    """A saved template that fits the file (advanced CRM), else a guess from the header names."""
    from app.contacts.import_templates import remembered_mapping

    remembered = remembered_mapping(business, headers, {t for t, _ in mapping_targets(business)})
    return remembered if remembered else guess_mapping(business, headers)


def get_import(business: Business, import_id) -> ContactImport | None:
    key = parse_uuid(import_id)
    if key is None:
        return None
    found = db.session.get(ContactImport, key)
    return found if found is not None and found.business_id == business.id else None


def set_mapping(business: Business, contact_import: ContactImport, chosen: dict[str, str]) -> None:
    valid_targets = {t for t, _ in mapping_targets(business)}
    mapping = {t: h for t, h in chosen.items() if t in valid_targets and h in contact_import.headers}
    if not ({"name", "first_name", "last_name", "phone", "email"} & mapping.keys()):
        raise CsvProblem("Choose the column holding the name, phone or email: contacts need at least one of them.")
    contact_import.mapping = mapping
    db.session.commit()


@dataclass
class RowResult:
    number: int
    values: dict = field(default_factory=dict)
    custom: dict = field(default_factory=dict)
    tags: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    absorbed: int = 0  # later rows of the same person folded into this one
    consent_at: datetime | None = None  # marketing consent given (issue 14)


def read_row(number: int, cells: list[str], headers: list[str], mapping: dict, definitions: dict,
             business: Business | None = None) -> RowResult:
    index = {h: i for i, h in enumerate(headers)}

    def cell(target):
        header = mapping.get(target)
        if header is None or index[header] >= len(cells):
            return ""
        return unneutralise(cells[index[header]].strip())

    result = RowResult(number)
    name = cell("name") or " ".join(p for p in (cell("first_name"), cell("last_name")) if p)
    result.values["name"] = name[:200]
    try:
        result.values["phone"] = normalise_phone(cell("phone"))
    except InvalidPhone as exc:
        result.errors.append(f"phone: {exc}")
    try:
        result.values["email"] = clean_email(cell("email"))
    except ValueError as exc:
        result.errors.append(f"email: {exc}")
    result.values["notes"] = cell("notes") or None
    result.tags = clean_tags(cell("tags").replace(";", ",").split(","))
    if "marketing_consent" in mapping:
        try:
            result.consent_at = parse_consent_cell(cell("marketing_consent"), business)
        except ValueError as exc:
            result.errors.append(f"marketing consent: {exc}")
    for target in mapping:
        if target.startswith("cf_") and target[3:] in definitions:
            definition = definitions[target[3:]]
            try:
                value = parse_custom_value(definition, cell(target))
            except ValueError as exc:
                result.errors.append(f"{definition.label}: {exc}")
            else:
                if value is not None:
                    result.custom[definition.key] = value
    if not result.errors and not (name or result.values["phone"] or result.values["email"]):
        result.errors.append("no name, phone or email")
    return result


def preview(business: Business, contact_import: ContactImport) -> list[RowResult]:
    _, rows = parse_rows(contact_import.content)
    definitions = {d.key: d for d in field_definitions(business)}
    return [read_row(n, cells, contact_import.headers, contact_import.mapping, definitions, business)
            for n, cells in rows[:PREVIEW_ROWS]]


def start_import(business: Business, contact_import: ContactImport) -> None:
    from app.jobs import enqueue

    if contact_import.status not in (ImportStatus.UPLOADED, ImportStatus.FAILED):
        return
    run = create_run("contact_import", business.id)
    contact_import.job_run_id = run.id
    contact_import.status = ImportStatus.QUEUED
    contact_import.error = None
    from app.audit.services import current_actor, record

    record("contacts.import_started", business=business, actor=current_actor(), target_type="contact_import",
           target_id=contact_import.id, target_label=contact_import.filename)
    db.session.commit()
    enqueue("app.contacts.jobs.run_import_job", str(contact_import.id), job_id=f"contact-import:{contact_import.id}")


def run_import(import_id) -> None:
    contact_import = db.session.get(ContactImport, uuid.UUID(str(import_id)))
    if contact_import is None or contact_import.status == ImportStatus.DONE:
        return
    business = db.session.get(Business, contact_import.business_id)
    with recorded_run("contact_import", business.id, contact_import.job_run_id) as run:
        contact_import.status = ImportStatus.RUNNING
        db.session.commit()
        try:
            _import_rows(business, contact_import, run)
        except (CsvProblem, ContactLimitReached) as exc:
            # Refusals the owner must act on: recorded, nothing saved, not retried.
            db.session.rollback()
            contact_import.status = ImportStatus.FAILED
            contact_import.error = str(exc)
            run.counts = {**(run.counts or {}), "refused": str(exc)}
            db.session.commit()
            return
        except Exception:
            db.session.rollback()
            contact_import.status = ImportStatus.FAILED
            contact_import.error = "The import stopped unexpectedly and nothing was saved. It will be retried."
            db.session.commit()
            raise
    from app.contacts.push import queue_business_push

    queue_business_push(business.id)


def _import_rows(business: Business, contact_import: ContactImport, run) -> None:
    def progress(rows_read, total):
        update_progress(run, 80 * rows_read // total, rows_read=rows_read)

    import_rows(business, contact_import, progress)
    run.counts = {**(run.counts or {}), "created": contact_import.created_count,
                  "merged": contact_import.merged_count, "errors": len(contact_import.row_errors)}
    db.session.commit()


def import_rows(business: Business, contact_import: ContactImport, progress=None) -> list[uuid.UUID]:
    """Validate, merge and write every row of the upload in the caller's
    transaction (nothing is committed here). Returns the ids of the contacts
    the rows created or matched, in file order; they are also recorded as
    the import's contacts. Raises CsvProblem or ContactLimitReached."""
    _, rows = parse_rows(contact_import.content)
    definitions = {d.key: d for d in field_definitions(business)}
    existing = db.session.execute(
        select(Contact.id, Contact.phone, Contact.email)
        .where(Contact.business_id == business.id, Contact.deleted_at.is_(None))
    ).all()
    by_phone = {phone: cid for cid, phone, _ in existing if phone}
    by_email = {email.lower(): cid for cid, _, email in existing if email}
    new_rows: dict[uuid.UUID, RowResult] = {}
    merges: dict[uuid.UUID, list[RowResult]] = {}
    first_rows: dict[uuid.UUID, int] = {}  # contact -> first row naming it, in file order
    row_errors = []
    step = max(1, len(rows) // 20)
    for position, (number, cells) in enumerate(rows, start=1):
        result = read_row(number, cells, contact_import.headers, contact_import.mapping, definitions, business)
        if result.errors:
            row_errors.append({"row": number, "errors": result.errors})
        else:
            phone, email = result.values["phone"], result.values["email"]
            target = (by_phone.get(phone) if phone else None) or (by_email.get(email) if email else None)
            if target is None:
                target = uuid.uuid4()
                new_rows[target] = result
            elif target in new_rows:
                _absorb(new_rows[target], result)
            else:
                merges.setdefault(target, []).append(result)
            first_rows.setdefault(target, number)
            if phone:
                by_phone.setdefault(phone, target)
            if email:
                by_email.setdefault(email, target)
        if progress is not None and position % step == 0:
            progress(position, len(rows))
    ensure_room_for(business, len(new_rows))
    _write(business, new_rows, merges)
    count_contacts(business, len(new_rows))
    for start in range(0, len(first_rows), 1000):
        db.session.execute(insert(ImportedContact), [
            {"import_id": contact_import.id, "contact_id": cid, "row_number": number}
            for cid, number in list(first_rows.items())[start:start + 1000]])
    contact_import.created_count = len(new_rows)
    contact_import.merged_count = sum(len(r) for r in merges.values()) + sum(r.absorbed for r in new_rows.values())
    contact_import.row_errors = row_errors[:1000]
    contact_import.status = ImportStatus.DONE
    from app.audit.services import record

    record("contacts.imported", business=business, target_type="contact_import", target_id=contact_import.id,
           target_label=contact_import.filename,
           after={"created": contact_import.created_count, "merged": contact_import.merged_count,
                  "rows_with_errors": len(row_errors)})
    return list(first_rows)


def _absorb(into: RowResult, extra: RowResult) -> None:
    """Fill gaps of an earlier row of the same person from a later one."""
    for key, value in extra.values.items():
        if value and not into.values.get(key):
            into.values[key] = value
    into.custom = {**extra.custom, **into.custom}
    into.tags = clean_tags(into.tags + extra.tags)
    into.absorbed += 1
    into.consent_at = into.consent_at or extra.consent_at


def _write(business: Business, new_rows: dict, merges: dict) -> None:
    now = utcnow()
    if new_rows:
        db.session.execute(insert(Contact), [
            {"id": cid, "business_id": business.id, "source": "import", "custom_fields": r.custom,
             "sync_state": SyncState.PENDING, "created_at": now, "updated_at": now, **r.values}
            for cid, r in new_rows.items()
        ])
    contacts = {c.id: c for c in db.session.scalars(select(Contact).where(Contact.id.in_(list(merges))))} if merges else {}
    changes, tag_rows = [], []
    for cid, results in merges.items():
        contact = contacts[cid]
        values = {"name": contact.name, "phone": contact.phone, "email": contact.email, "notes": contact.notes}
        custom, have_tags = dict(contact.custom_fields or {}), set(contact.tag_names)
        for result in results:
            for key, value in result.values.items():
                if value and not values.get(key):
                    values[key] = value  # a merge fills gaps, never overwrites what the owner has
            custom = {**result.custom, **custom}
            for tag in result.tags:
                if tag not in have_tags:
                    have_tags.add(tag)
                    tag_rows.append({"contact_id": cid, "tag": tag, "business_id": business.id})
        changes.append({"id": cid, **values, "custom_fields": custom, "sync_state": SyncState.PENDING,
                        "updated_at": now})
    if changes:
        # By primary key, within the business: the change mark moves for it alone.
        # SQLAlchemy cannot bring loaded rows up to date after such an UPDATE,
        # so the rows read above are expired instead (read again if used).
        db.session.execute(update(Contact).where(Contact.business_id == business.id)
                           .execution_options(synchronize_session=None), changes)
        for contact in contacts.values():
            db.session.expire(contact)
    tag_rows += [{"contact_id": cid, "tag": tag, "business_id": business.id}
                 for cid, r in new_rows.items() for tag in r.tags]
    if tag_rows:
        db.session.execute(insert(ContactTag), tag_rows)
    consents = {cid: r.consent_at for cid, r in new_rows.items()}
    consents.update({cid: next((r.consent_at for r in results if r.consent_at), None) for cid, results in merges.items()})
    record_imported_consents(business, consents)
