"""Rules of the leads inbox: listing and filtering, the pipeline, follow-ups,
manual entry, and the figures the dashboard shows.

Dates a person types or reads (follow-up due, "from"/"to" filters) are the
business's local days (app.timezones)."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import bindparam, func, or_, select, true

from app.audit.services import record as audit
from app.extensions import db
from app.leads.errors import FieldErrors
from app.models import Contact
from app.models.base import utcnow
from app.models.leads import Lead, LeadSource, LeadStatus, Qualification
from app.timezones import local_days_bounds, local_today

PAGE_SIZE = 50
STALE_AFTER = timedelta(hours=48)
SORTS = ("newest", "score", "follow_up")
DUE_FILTERS = ("today", "overdue", "stale")


class LeadError(FieldErrors):
    """Bad lead input."""


@dataclass
class LeadFilters:
    status: str = ""
    source: str = ""
    min_score: str = ""
    date_from: str = ""
    date_to: str = ""
    q: str = ""
    due: str = ""
    days: str = ""  # created in the last N days (the dashboard's windows)
    sort: str = "newest"
    page: int = 1
    errors: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, args) -> "LeadFilters":
        filters = cls(**{name: (args.get(name) or "").strip() for name in
                         ("status", "source", "min_score", "date_from", "date_to", "q", "due", "days")})
        filters.sort = args.get("sort") if args.get("sort") in SORTS else "newest"
        filters.page = max(1, args.get("page", 1, type=int) or 1)
        return filters

    def query_args(self, **changes) -> dict:
        values = {name: getattr(self, name) for name in
                  ("status", "source", "min_score", "date_from", "date_to", "q", "due", "days", "sort")}
        values.update(changes)
        return {k: v for k, v in values.items() if v and not (k == "sort" and v == "newest")}


def _parse_day(value: str, name: str, errors: dict) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD."
        return None


def stale_cutoff(now=None):
    return (now or utcnow()) - STALE_AFTER


def filtered_query(business, filters: LeadFilters):
    """The SELECT for a filtered list; invalid filters are reported in `filters.errors` and ignored."""
    errors = filters.errors
    query = select(Lead).where(Lead.business_id == business.id)
    if filters.status:
        if filters.status == "open":
            query = query.where(Lead.status.in_(LeadStatus.OPEN))
        elif filters.status in LeadStatus.PIPELINE:
            query = query.where(Lead.status == filters.status)
        else:
            errors["status"] = "Choose a status from the list."
    if filters.source:
        if filters.source in LeadSource.LABELS:
            query = query.where(Lead.source == filters.source)
        else:
            errors["source"] = "Choose a source from the list."
    if filters.min_score:
        if filters.min_score.isdigit() and 0 <= int(filters.min_score) <= 100:
            query = query.where(Lead.score >= int(filters.min_score))
        else:
            errors["min_score"] = "Enter a score from 0 to 100."
    first = _parse_day(filters.date_from, "date_from", errors)
    last = _parse_day(filters.date_to, "date_to", errors)
    if first and last and first > last:
        errors["date_to"] = "The end date is before the start date."
    elif first or last:
        start, end = local_days_bounds(business, first or date(2000, 1, 1), last or date(2999, 12, 31))
        query = query.where(Lead.created_at >= start, Lead.created_at < end)
    if filters.days:
        if filters.days.isdigit() and 1 <= int(filters.days) <= 366:
            first_day = local_today(business) - timedelta(days=int(filters.days) - 1)
            query = query.where(Lead.created_at >= local_days_bounds(business, first_day, first_day)[0])
        else:
            errors["days"] = "Enter a number of days from 1 to 366."
    if filters.q:
        like = f"%{filters.q.lower()}%"
        query = query.where(or_(func.lower(func.coalesce(Lead.owner_note, "")).like(like),
                                func.lower(func.coalesce(Lead.follow_up_note, "")).like(like),
                                func.lower(func.coalesce(Lead.next_step, "")).like(like),
                                func.lower(func.coalesce(Lead.name, "")).like(like)))
    if filters.due:
        today = local_today(business)
        open_only = Lead.status.in_(LeadStatus.OPEN)
        if filters.due == "today":
            query = query.where(open_only, Lead.follow_up_due == today)
        elif filters.due == "overdue":
            query = query.where(open_only, Lead.follow_up_due < today)
        elif filters.due == "stale":
            query = query.where(open_only, Lead.follow_up_due.is_(None), Lead.last_activity_at < stale_cutoff())
        else:
            errors["due"] = "Unknown follow-up filter."
    if filters.sort == "score":
        query = query.order_by(Lead.score.desc().nulls_last(), Lead.created_at.desc())
    elif filters.sort == "follow_up":
        query = query.order_by(Lead.follow_up_due.asc().nulls_last(), Lead.created_at.desc())
    else:
        query = query.order_by(Lead.created_at.desc(), Lead.id.desc())
    return query


@dataclass
class LeadPage:
    leads: list
    total: int
    page: int
    pages: int


def search_leads(business, filters: LeadFilters) -> LeadPage:
    query = filtered_query(business, filters)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(filters.page, pages)
    leads = list(db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).unique())
    return LeadPage(leads, total, page, pages)


def board(business) -> dict[str, list[Lead]]:
    """Leads grouped by status (the newest 100 of each)."""
    columns = {}
    for status in LeadStatus.PIPELINE:
        columns[status] = list(db.session.scalars(
            select(Lead).where(Lead.business_id == business.id, Lead.status == status)
            .order_by(Lead.score.desc().nulls_last(), Lead.created_at.desc()).limit(100)).unique())
    return columns


def get_lead_or_none(business, lead_id) -> Lead | None:
    from app.web import parse_uuid

    parsed = parse_uuid(lead_id)
    if parsed is None:
        return None
    return db.session.scalar(select(Lead).where(Lead.id == parsed, Lead.business_id == business.id))


def is_stale(lead: Lead, now=None) -> bool:
    """Open, no follow-up planned and untouched for 48 hours."""
    return lead.is_open and lead.follow_up_due is None and lead.last_activity_at < stale_cutoff(now)


# --- changes ------------------------------------------------------------------


def change_status(business, lead: Lead, status: str, *, lost_reason: str | None = None, actor=None) -> None:
    status = (status or "").strip()
    if status not in LeadStatus.PIPELINE:
        raise LeadError({"status": "Choose new, contacted, qualified, won or lost."})
    reason = (lost_reason or "").strip()
    if status == LeadStatus.LOST and not reason:
        raise LeadError({"lost_reason": "Say why the lead was lost."})
    if len(reason) > 300:
        raise LeadError({"lost_reason": "Keep the reason under 300 characters."})
    before = lead.status
    lead.status = status
    lead.lost_reason = reason if status == LeadStatus.LOST else None
    lead.last_activity_at = utcnow()
    audit("lead.status_changed", business=business, actor=actor, target_type="lead", target_label=lead.label,
          before={"status": before}, after={"status": status, "lost_reason": lead.lost_reason})
    db.session.commit()


def _clean_details(data: dict) -> dict:
    errors, cleaned = {}, {}
    raw_value = (data.get("value") or "").strip().replace("$", "").replace(",", "")
    if raw_value:
        try:
            value = Decimal(raw_value).quantize(Decimal("0.01"))
            if value < 0 or value >= Decimal("10000000000"):
                raise InvalidOperation
            cleaned["value"] = value
        except (InvalidOperation, ValueError):
            errors["value"] = "Enter an amount like 250 or 1200.50."
    else:
        cleaned["value"] = None
    for name, limit in (("next_step", 300), ("follow_up_note", 2000), ("owner_note", 4000)):
        text = (data.get(name) or "").strip()
        if len(text) > limit:
            errors[name] = f"Keep it under {limit:,} characters."
        cleaned[name] = text or None
    due = (data.get("follow_up_due") or "").strip()
    cleaned["follow_up_due"] = _parse_day(due, "follow_up_due", errors)
    if errors:
        raise LeadError(errors)
    return cleaned


def update_details(business, lead: Lead, data: dict, *, actor=None) -> None:
    cleaned = _clean_details(data)
    for name, value in cleaned.items():
        setattr(lead, name, value)
    lead.last_activity_at = utcnow()
    audit("lead.updated", business=business, actor=actor, target_type="lead", target_label=lead.label,
          after={k: str(v) if v is not None else None for k, v in cleaned.items()})
    db.session.commit()


def create_manual(business, data: dict, *, actor=None) -> Lead:
    from app.chat.leads import clean_lead_fields
    from app.chat.records import _local_match, local_contact_for
    from app.chat.turns import ChatInputError

    try:
        details = clean_lead_fields(data.get("name"), data.get("phone"), data.get("email"), data.get("message"))
    except ChatInputError as exc:
        raise LeadError({"phone": str(exc)}) from None
    extra = _clean_details(data)
    existed = _local_match(business, details["phone"], details["email"]) is not None
    contact = local_contact_for(business, name=details["name"], phone=details["phone"], email=details["email"])
    if not existed:
        contact.source = "manual"
    lead = Lead(business_id=business.id, contact_id=contact.id, name=details["name"] or None,
                phone=details["phone"], email=details["email"], message=details["message"],
                source=LeadSource.MANUAL, status=LeadStatus.NEW, **extra)
    lead.qualification = Qualification.PENDING if details["message"] else Qualification.NONE
    db.session.add(lead)
    audit("lead.created", business=business, actor=actor, target_type="lead", target_label=lead.label)
    db.session.commit()
    if details["message"]:
        from app.leads.qualification import request_qualification

        request_qualification(lead)
    return lead


# --- figures ------------------------------------------------------------------


@dataclass
class LeadFigures:
    open: int = 0
    new: int = 0
    due_today: int = 0
    overdue: int = 0
    stale: int = 0
    won_this_month: int = 0


def _lead_figures_statement():
    is_open = Lead.status.in_(LeadStatus.OPEN)
    today = bindparam("today", type_=Lead.follow_up_due.type)
    return select(
        func.count().filter(is_open).label("open"),
        func.count().filter(Lead.status == LeadStatus.NEW).label("new"),
        func.count().filter(is_open, Lead.follow_up_due == today).label("due_today"),
        func.count().filter(is_open, Lead.follow_up_due < today).label("overdue"),
        func.count().filter(is_open, Lead.follow_up_due.is_(None),
                            Lead.last_activity_at < bindparam("stale_before")).label("stale"),
    ).select_from(Lead).where(Lead.business_id == bindparam("business_id"))


def _panel_statement():
    """The lead counts, the missed-call texts' figures and the texts held for
    quiet hours: three one-row aggregates side by side, so the panel costs
    one round trip. Each keeps its home (the text-back and held counts are
    messaging's); they share the `business_id` parameter."""
    from app.messaging.services import HELD_COUNT
    from app.messaging.textback import TEXT_BACK_FIGURES

    leads = _lead_figures_statement().subquery("lead_figures")
    text_backs = TEXT_BACK_FIGURES.subquery("text_back_figures")
    held = HELD_COUNT.subquery("held_texts")
    # One row each: joined on true, a deliberate one-row cross join.
    return select(leads, text_backs, held).select_from(leads.join(text_backs, true()).join(held, true()))


@dataclass
class PanelFigures:
    figures: LeadFigures
    text_back: dict
    held: int


@functools.cache
def _panel():
    # Built once, on first use (the messaging modules import this one): the
    # dashboard runs it on every view, and building it costs more than running it.
    return _panel_statement()


def panel_figures(business) -> PanelFigures:
    """The dashboard's leads panel, in one statement."""
    from app.messaging.textback import figures_from_row, text_back_since

    row = db.session.execute(_panel(), {"business_id": business.id, "today": local_today(business),
                                        "stale_before": stale_cutoff(), "since": text_back_since()}).one()
    figures = LeadFigures(open=row.open or 0, new=row.new or 0, due_today=row.due_today or 0,
                          overdue=row.overdue or 0, stale=row.stale or 0)
    return PanelFigures(figures, figures_from_row(row), row.held or 0)


def open_leads_for_contact(business, contact: Contact) -> list[Lead]:
    return list(db.session.scalars(
        select(Lead).where(Lead.business_id == business.id, Lead.contact_id == contact.id,
                           Lead.status.in_(LeadStatus.OPEN)).order_by(Lead.created_at.desc())).unique())
