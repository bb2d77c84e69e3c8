"""The call log: filters, search, keyset pages and CSV export over the local
calls table.

Search looks in transcripts and summaries (`calls.search_text`): PostgreSQL
full-text search (GIN index on to_tsvector('english', search_text)), and on
SQLite every word must appear (LIKE), which finds the same calls for plain
words.
"""
from __future__ import annotations

import functools
import io
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Iterator

from sqlalchemy import and_, bindparam, func, literal_column, or_, select
from sqlalchemy.orm import joinedload

from app.csv_safety import safe_writer
from app.inputs import iso_day, iso_moment
from app.extensions import db
from app.models import Appointment, Business, Call, Contact, Coordinator
from app.timezones import csv_times, local_midnight

# Lists show the contact's name; its tags (loaded eagerly by default) are not needed.
_CONTACT_WITHOUT_TAGS = joinedload(Call.contact).lazyload(Contact.tags)

DIRECTIONS = ("inbound", "outbound")
STATUSES = ("answered", "missed", "voicemail", "forwarded")  # forwarded: issue 13
OUTCOMES = ("booked", "lead", "message", "question", "no_answer", "not_interested", "wrong_number", "forwarded")
PAGE_SIZE = 25
# Counting every match of a huge log would cost more than the page itself.
COUNT_CAP = 1_000
MAX_QUERY_LENGTH = 200


@dataclass
class CallFilters:
    date_from: date | None = None
    date_to: date | None = None
    direction: str = ""
    status: str = ""
    outcome: str = ""
    coordinator: str = ""
    query: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def as_args(self) -> dict:
        """The filters as URL arguments (empty ones left out), for links that keep them."""
        args = {
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "direction": self.direction, "status": self.status, "outcome": self.outcome,
            "coordinator": self.coordinator, "q": self.query,
        }
        return {key: value for key, value in args.items() if value}


def _parse_date(raw: str, name: str, errors: dict) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return iso_day(raw)
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD."
        return None


def _choice(raw: str, allowed: tuple[str, ...], name: str, errors: dict) -> str:
    raw = (raw or "").strip()
    if raw and raw not in allowed:
        errors[name] = "Choose one of the listed options."
        return ""
    return raw


def parse_filters(args) -> CallFilters:
    """Read filters from query arguments. A bad value is reported in
    `.errors` and left out of the filter, never guessed at."""
    errors: dict[str, str] = {}
    filters = CallFilters(
        date_from=_parse_date(args.get("from", ""), "from", errors),
        date_to=_parse_date(args.get("to", ""), "to", errors),
        direction=_choice(args.get("direction", ""), DIRECTIONS, "direction", errors),
        status=_choice(args.get("status", ""), STATUSES, "status", errors),
        outcome=_choice(args.get("outcome", ""), OUTCOMES, "outcome", errors),
        coordinator=(args.get("coordinator", "") or "").strip()[:64],
        query=" ".join((args.get("q", "") or "").split()),
        errors=errors,
    )
    if len(filters.query) > MAX_QUERY_LENGTH:
        errors["q"] = f"Search for at most {MAX_QUERY_LENGTH} characters."
        filters.query = ""
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        errors["to"] = "The end date is before the start date."
        filters.date_to = None
    return filters


def _search_condition(dialect: str, query: str):
    if dialect == "postgresql":
        # The same expression as the GIN index, so the planner can use it.
        english = literal_column("'english'::regconfig")
        return func.to_tsvector(english, Call.search_text).op("@@")(
            func.websearch_to_tsquery(english, bindparam("query")))
    words = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in query.split()]
    return and_(*(Call.search_text.ilike(f"%{word}%", escape="\\") for word in words))


def _filter_values(business: Business, filters: CallFilters) -> dict:
    """The bound values of the filters in use, by parameter name."""
    values = {"business_id": business.id}
    # From/To are the business's local days (a DST day is 23 or 25 hours).
    if filters.date_from:
        values["date_from"] = local_midnight(business, filters.date_from)
    if filters.date_to:
        values["date_to"] = local_midnight(business, filters.date_to + timedelta(days=1))
    for name in ("direction", "status", "outcome", "coordinator", "query"):
        if getattr(filters, name):
            values[name] = getattr(filters, name)
    return values


def _conditions(dialect: str, in_use: frozenset, query: str = "") -> list:
    """The WHERE of a listing, values left as parameters named as in _filter_values."""
    conditions = [Call.business_id == bindparam("business_id")]
    if "date_from" in in_use:
        conditions.append(Call.started_at >= bindparam("date_from", type_=Call.started_at.type))
    if "date_to" in in_use:
        conditions.append(Call.started_at < bindparam("date_to", type_=Call.started_at.type))
    for name in ("direction", "status", "outcome"):
        if name in in_use:
            conditions.append(getattr(Call, name) == bindparam(name))
    if "coordinator" in in_use:
        conditions.append(Call.coordinator_remote_id == bindparam("coordinator"))
    if "query" in in_use:
        conditions.append(_search_condition(dialect, query))
    return conditions


def encode_cursor(call) -> str:
    return f"{call.started_at.astimezone(timezone.utc).isoformat()}|{call.id}"


def decode_cursor(raw: str | None) -> tuple[datetime, uuid.UUID] | None:
    """`before=<started_at>|<id>` of the last call shown; None when absent or malformed."""
    if not raw or "|" not in raw:
        return None
    stamp, _, call_id = raw.partition("|")
    try:
        moment = iso_moment(stamp)
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)), uuid.UUID(call_id)
    except ValueError:
        return None


# What a row of the log (and of the CSV export) shows: rows, not Call objects,
# so a page never hydrates transcripts, JSON or the contact entity it does not show.
_LISTED_COLUMNS = (Call.id, Call.remote_id, Call.started_at, Call.direction, Call.caller_name, Call.caller_number,
                   Call.coordinator_remote_id, Call.duration_seconds, Call.status, Call.outcome, Call.sentiment,
                   Call.summary, Call.is_test, Call.forwarded_to, Call.forward_answered, Call.forward_reason)


@dataclass
class CallPage:
    calls: list  # rows with the _LISTED_COLUMNS and `contact_name`
    next_cursor: str | None
    total: int
    total_capped: bool


def _listing_statements(dialect: str, in_use: frozenset, after_cursor: bool, query: str = ""):
    """(page, capped count) for the filters in use, values left as parameters."""
    conditions = _conditions(dialect, in_use, query)
    page_conditions = list(conditions)
    if after_cursor:
        started_at = bindparam("cursor_at", type_=Call.started_at.type)
        call_id = bindparam("cursor_id", type_=Call.id.type)
        page_conditions.append(or_(Call.started_at < started_at, and_(Call.started_at == started_at, Call.id < call_id)))
    page = (select(*_LISTED_COLUMNS, Contact.name.label("contact_name"))
            .outerjoin(Contact, Contact.id == Call.contact_id)
            .where(*page_conditions)
            .order_by(Call.started_at.desc(), Call.id.desc())
            .limit(bindparam("limit")))
    # In the page's order: the planner then walks the (business, [filter,]
    # started_at) index newest first and stops at the cap, instead of
    # scanning the table for matches wherever they lie.
    limited = (select(Call.started_at).where(*conditions).order_by(Call.started_at.desc())
               .limit(COUNT_CAP + 1).subquery())
    return page, select(func.count()).select_from(limited)


# Every view of the log runs these, and building them costs more than running
# them: built once per shape (which filters are in use, whether a cursor is),
# at most 2^7 shapes. SQLite's word-by-word search is the exception: its shape
# depends on the number of words, so it is built each time.
_cached_listing_statements = functools.cache(_listing_statements)


def list_calls(business: Business, filters: CallFilters, before: str | None = None,
               page_size: int = PAGE_SIZE, with_total: bool = True) -> CallPage:
    """Newest first, one keyset page at a time: the cost of page 500 is the
    cost of page 1."""
    dialect = db.session.get_bind().dialect.name
    values = _filter_values(business, filters)
    in_use = frozenset(values) - {"business_id"}
    cursor = decode_cursor(before)
    if dialect != "postgresql" and filters.query:
        values.pop("query")
        page_statement, count_statement = _listing_statements(dialect, in_use, bool(cursor), filters.query)
    else:
        page_statement, count_statement = _cached_listing_statements(dialect, in_use, bool(cursor))
    page_values = {**values, "limit": page_size + 1}
    if cursor:
        page_values["cursor_at"], page_values["cursor_id"] = cursor
    rows = db.session.execute(page_statement, page_values).all()
    has_more = len(rows) > page_size
    calls = rows[:page_size]
    total, capped = 0, False
    if with_total:
        total = db.session.scalar(count_statement, values) or 0
        capped = total > COUNT_CAP
        total = min(total, COUNT_CAP)
    return CallPage(calls, encode_cursor(calls[-1]) if has_more and calls else None, total, capped)


# Built once: the call log's filter reads it on every view.
_COORDINATOR_CHOICES = (select(Coordinator.fourcalls_id, Coordinator.name, Coordinator.status)
                        .where(Coordinator.business_id == bindparam("business_id"),
                               Coordinator.fourcalls_id.is_not(None))
                        .order_by(Coordinator.position, Coordinator.created_at))


def coordinator_choices(business: Business) -> list[tuple[str, str]]:
    """(4calls id, name) of the business's assistants, retired ones included:
    their calls stay in the log."""
    rows = db.session.execute(_COORDINATOR_CHOICES, {"business_id": business.id}).all()
    return [(fid, name + (" (retired)" if status == "retired" else "")) for fid, name, status in rows]


def get_call_or_none(business: Business, call_id: uuid.UUID) -> Call | None:
    return db.session.scalar(
        select(Call).options(_CONTACT_WITHOUT_TAGS).where(Call.business_id == business.id, Call.id == call_id)
    )


def appointment_for(business: Business, call: Call) -> Appointment | None:
    if not call.appointment_remote_id:
        return None
    return db.session.scalar(
        select(Appointment).where(Appointment.business_id == business.id,
                                  Appointment.remote_id == call.appointment_remote_id)
    )


def coordinator_name(business: Business, call: Call) -> str | None:
    if not call.coordinator_remote_id:
        return None
    return db.session.scalar(
        select(Coordinator.name).where(Coordinator.business_id == business.id,
                                       Coordinator.fourcalls_id == call.coordinator_remote_id)
    )


# --- CSV export ---------------------------------------------------------------

CSV_COLUMNS = ("started_at_local", "started_at_utc", "direction", "caller_name", "caller_number", "contact", "coordinator_id",
               "duration_seconds", "status", "outcome", "sentiment", "summary", "call_id")
EXPORT_BATCH = 1000


def export_rows(business: Business, filters: CallFilters) -> Iterator[str]:
    """The filtered calls as CSV text chunks, newest first, read in keyset
    batches of plain rows (no Call objects pile up in the session), so memory
    stays flat however long the log is."""
    buffer = io.StringIO()
    writer = safe_writer(buffer)  # formula cells neutralised
    writer.writerow(CSV_COLUMNS)
    before = None
    while True:
        page = list_calls(business, filters, before=before, page_size=EXPORT_BATCH, with_total=False)
        for call in page.calls:
            writer.writerow([
                *csv_times(call.started_at, business), call.direction,
                call.caller_name, call.caller_number, call.contact_name or "",
                call.coordinator_remote_id, call.duration_seconds, call.status, call.outcome, call.sentiment,
                call.summary, call.remote_id,
            ])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if not page.next_cursor:
            return
        before = page.next_cursor
