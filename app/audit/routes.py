"""The owner's audit log: read-only, filterable, for owners and managers."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, request
from flask_login import login_required
from sqlalchemy import func, select

from app.audit.services import query
from app.extensions import db
from app.models import AuditEntry, AuditScope
from app.timezones import local_days_bounds
from app.web import owned_business_or_404, render_partial_or_page

bp = Blueprint("audit", __name__)
PAGE_SIZE = 50
MAX_PAGE = 10_000

# Filter choices: action prefix -> label.
AREAS = {
    "assistant.": "AI assistant",
    "hours.": "Business hours",
    "appointments.": "Appointment types",
    "contacts.": "Contacts",
    "campaigns.": "Campaigns",
    "billing.": "Billing",
    "team.": "Team",
    "security.": "Two-factor sign-in",
    "export.": "Exports",
}


def _parse_day(raw: str | None, errors: dict, name: str) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        errors[name] = "Use a date like 2027-03-31."
        return None
    if not 2000 <= day.year <= 2200:
        errors[name] = "Choose a date between 2000 and 2200."
        return None
    return day


def _page_number(raw: str | None) -> int:
    try:
        return min(max(1, int(raw or 1)), MAX_PAGE)
    except ValueError:
        return 1


@bp.get("/businesses/<slug>/audit")
@login_required
def index(slug: str):
    business = owned_business_or_404(slug)
    errors: dict[str, str] = {}
    area = request.args.get("area") or ""
    if area and area not in AREAS:
        errors["area"] = "Choose an area from the list."
        area = ""
    actor = (request.args.get("actor") or "").strip()[:255] or None
    first = _parse_day(request.args.get("since"), errors, "since")
    last = _parse_day(request.args.get("until"), errors, "until")
    since = until = None
    if first or last:
        since, until = local_days_bounds(business, first or date(2000, 1, 1), last or date(2200, 12, 31))
        if not first:
            since = None
        if not last:
            until = None
    page = _page_number(request.args.get("page"))
    stmt = query(scope=AuditScope.BUSINESS, business_id=business.id, action_prefix=area or None,
                 actor_label=actor, since=since, until=until)
    entries = db.session.scalars(stmt.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    actors = db.session.scalars(
        select(AuditEntry.actor_label).where(AuditEntry.business_id == business.id,
                                             AuditEntry.scope == AuditScope.BUSINESS)
        .group_by(AuditEntry.actor_label).order_by(func.lower(AuditEntry.actor_label))
    ).all()
    response = render_partial_or_page(
        "audit/index.html", "audit/_entries.html", business=business, entries=entries[:PAGE_SIZE],
        has_more=len(entries) > PAGE_SIZE, page=page, areas=AREAS, actors=actors, errors=errors,
        filters={"area": area, "actor": actor or "", "since": request.args.get("since", ""),
                 "until": request.args.get("until", "")},
    )
    if errors:
        response.status_code = 422
    return response
