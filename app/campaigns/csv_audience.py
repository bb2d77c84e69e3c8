"""A campaign audience uploaded as a CSV file on the campaign form.

The file goes through the contacts importer (same column guesses, row
checks, merge by phone then email, contact limit), synchronously and in the
caller's transaction, so a refused campaign leaves no contacts behind. The
audience is then exactly the contacts the import created or matched
(`ImportedContact`), which stays fixed however their tags change later.
"""
from __future__ import annotations

from sqlalchemy import func, select

from app.contacts.csvfile import CsvProblem, decode_upload, parse_rows
from app.contacts.importer import get_import, guess_mapping, import_rows
from app.contacts.services import ContactLimitReached
from app.extensions import db
from app.models import Contact, ContactImport, ImportedContact, ImportStatus

FIELD = "csv_file"
PHONE_HEADERS = "Phone, Mobile, Cell or Telephone"


class CsvAudienceError(ValueError):
    """What is wrong with the uploaded list, for the form's file field."""


def import_list(business, upload) -> ContactImport:
    """Import an uploaded list as contacts without committing; raises CsvAudienceError."""
    if upload is None or not getattr(upload, "filename", ""):
        raise CsvAudienceError("Choose the CSV file with the people to call.")
    try:
        text, _encoding = decode_upload(upload.read())
        headers, rows = parse_rows(text)
    except CsvProblem as exc:
        raise CsvAudienceError(str(exc)) from None
    mapping = guess_mapping(business, headers)
    if "phone" not in mapping:
        raise CsvAudienceError(f"The file has no phone number column. Name the column {PHONE_HEADERS}; "
                               f"found: {', '.join(headers)}.")
    contact_import = ContactImport(business_id=business.id, filename=(upload.filename or "audience.csv")[:255],
                                   content=text, headers=headers, mapping=mapping, total_rows=len(rows),
                                   status=ImportStatus.RUNNING)
    db.session.add(contact_import)
    db.session.flush()
    try:
        import_rows(business, contact_import)
    except (CsvProblem, ContactLimitReached) as exc:
        raise CsvAudienceError(str(exc)) from None
    if not phones_in(contact_import.id):
        problems = "; ".join(f"row {e['row']}: {', '.join(e['errors'])}" for e in contact_import.row_errors[:3])
        raise CsvAudienceError("No row of the file has a valid phone number" + (f" ({problems})." if problems else "."))
    return contact_import


def phones_in(import_id) -> int:
    """How many of an import's contacts have a phone number."""
    return db.session.scalar(select(func.count()).select_from(ImportedContact)
                             .join(Contact, Contact.id == ImportedContact.contact_id)
                             .where(ImportedContact.import_id == import_id, Contact.phone.is_not(None))) or 0


def contact_ids_of(import_id):
    """SELECT of the contact ids an import created or matched (a subquery for IN)."""
    return select(ImportedContact.contact_id).where(ImportedContact.import_id == import_id)


def kept_import(business, import_id) -> ContactImport | None:
    """A previously uploaded list of this business that can be an audience (the form's hidden field)."""
    found = get_import(business, import_id) if import_id else None
    return found if found is not None and found.status == ImportStatus.DONE else None


def preview_upload(business, upload, measure):
    """`measure(import)` for an upload imported only for a look: everything is rolled back
    afterwards. Returns (measure's result, None) or (None, the problem)."""
    try:
        contact_import = import_list(business, upload)
        return measure(contact_import), None
    except CsvAudienceError as exc:
        return None, str(exc)
    finally:
        db.session.rollback()


def describe(contact_import: ContactImport) -> str:
    """What an uploaded list became, in words: "list.csv: 3 contacts (1 new, 2 already known), 1 row skipped"."""
    contacts = db.session.scalar(select(func.count()).select_from(ImportedContact)
                                 .where(ImportedContact.import_id == contact_import.id)) or 0
    known = contacts - contact_import.created_count
    text = (f"uploaded list {contact_import.filename}: {contacts} contact{'s' if contacts != 1 else ''} "
            f"({contact_import.created_count} new, {known} already in your contacts)")
    skipped = len(contact_import.row_errors or [])
    if skipped:
        first = contact_import.row_errors[0]
        text += (f"; {skipped} row{'s' if skipped != 1 else ''} skipped "
                 f"(row {first['row']}: {', '.join(first['errors'])})")
    return text
