"""Importing a do-not-contact list from CSV: a phone and/or email column and
an optional reason column. Bad rows are reported by row number and skipped;
a file with neither column changes nothing."""
from __future__ import annotations

from app.contacts.csvfile import CsvProblem, decode_upload, parse_rows
from app.do_not_contact.services import DoNotContactError, active_entry, add
from app.models import DoNotContactChannel, DoNotContactSource

MAX_BYTES = 5 * 1024 * 1024
PHONE_HEADERS = ("phone", "phone number", "number", "mobile", "cell", "telephone", "tel")
EMAIL_HEADERS = ("email", "e-mail", "email address")
REASON_HEADERS = ("reason", "note", "notes", "why")


class ImportProblem(ValueError):
    pass


def _column(headers: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in headers]
    return next((i for i, h in enumerate(lowered) if h in names), None)


def import_csv(business, upload, actor=None) -> tuple[int, int, list[str]]:
    """(added, already listed, problems). The caller commits."""
    if upload is None or not upload.filename:
        raise ImportProblem("Choose a CSV file.")
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportProblem("The file is larger than 5 MB.")
    try:
        text, _encoding = decode_upload(data)
        headers, rows = parse_rows(text)
    except CsvProblem as exc:
        raise ImportProblem(str(exc)) from None
    phone_at, email_at = _column(headers, PHONE_HEADERS), _column(headers, EMAIL_HEADERS)
    reason_at = _column(headers, REASON_HEADERS)
    if phone_at is None and email_at is None:
        raise ImportProblem("The file needs a Phone or Email column.")
    added = already = 0
    problems: list[str] = []
    for number, cells in rows:
        reason = cells[reason_at].strip() if reason_at is not None and reason_at < len(cells) else ""
        for channel, at in ((DoNotContactChannel.PHONE, phone_at), (DoNotContactChannel.EMAIL, email_at)):
            value = cells[at].strip() if at is not None and at < len(cells) else ""
            if not value:
                continue
            try:
                if active_entry(business.id, channel, value) is not None:
                    already += 1
                    continue
                add(business, channel, value, source=DoNotContactSource.IMPORT,
                    reason=reason or f"Imported from {upload.filename}", actor=actor)
                added += 1
            except DoNotContactError as exc:
                problems.append(f"row {number}: {exc}")
    return added, already, problems
