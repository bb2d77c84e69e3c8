"""CSV export of the contacts a search selects, streamed row by row."""
from __future__ import annotations

import io
from typing import Iterator

from app.csv_safety import safe_writer
from app.contacts.fields import display_value, field_definitions
from app.contacts.services import ContactSearch, filtered_contacts
from app.extensions import db
from app.models import Business, Contact
from app.timezones import csv_times

BASE_COLUMNS = ["Name", "Phone", "Email", "Tags", "Notes", "Source", "Created (local)", "Created (UTC)",
                "Last interaction (local)", "Last interaction (UTC)"]


def export_rows(business: Business, search: ContactSearch) -> Iterator[str]:
    definitions = field_definitions(business)
    buffer = io.StringIO()
    writer = safe_writer(buffer)  # formula cells neutralised

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(BASE_COLUMNS + [d.label for d in definitions])
    yield "\ufeff" + flush()  # the BOM makes Excel read UTF-8 names correctly
    stmt = filtered_contacts(business, search).order_by(Contact.name, Contact.id).execution_options(yield_per=500)
    for contact in db.session.scalars(stmt):
        custom = contact.custom_fields or {}
        writer.writerow([
            contact.name, contact.phone or "", contact.email or "", "; ".join(contact.tag_names),
            contact.notes or "", contact.source,
            *csv_times(contact.created_at, business), *csv_times(contact.last_interaction_at, business),
        ] + [display_value(d, custom.get(d.key)) for d in definitions])
        yield flush()
