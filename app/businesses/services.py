from __future__ import annotations

import re
import unicodedata
from datetime import time

from blinker import Namespace
from sqlalchemy import func, or_, select, update

from app.extensions import db
from app.models import WEEKDAYS, Business, User
from app.models.base import utcnow

DIRECTORY_PAGE_SIZE = 20

# Other areas (the 4calls integration pushes edits to the organization)
# subscribe to this, so this package need not import them.
profile_changed = Namespace().signal("business-profile-changed")


class AlreadyClaimed(Exception):
    pass


def business_by_slug(slug: str) -> Business | None:
    """The one lookup of a business by its public slug (pages, directory, widget)."""
    return db.session.scalar(select(Business).where(Business.slug == slug)) if slug else None


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "business"


def unique_slug(name: str, city: str | None) -> str:
    base = slugify(f"{name} {city or ''}")[:160]
    candidate, n = base, 1
    while db.session.scalar(select(Business.id).where(Business.slug == candidate)):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def search_directory(query: str = "", category: str = "", page: int = 1):
    """Businesses matching a free-text query on name, category and city."""
    stmt = select(Business)
    query = (query or "").strip()
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Business.name).like(like),
                func.lower(Business.category).like(like),
                func.lower(Business.city).like(like),
            )
        )
    if category:
        stmt = stmt.where(Business.category == category)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(1, page)
    rows = db.session.scalars(
        stmt.order_by(Business.name).limit(DIRECTORY_PAGE_SIZE).offset((page - 1) * DIRECTORY_PAGE_SIZE)
    ).all()
    return rows, total


def directory_categories() -> list[str]:
    return list(db.session.scalars(select(Business.category).distinct().order_by(Business.category)))


def claim_business(business: Business, user: User, timezone: str | None = None) -> None:
    """Give an unclaimed listing to `user`, in the zone the owner chose. The
    conditional UPDATE makes two simultaneous claims safe: exactly one of them wins."""
    values = {"owner_id": user.id, "claimed_at": utcnow()}
    if timezone:
        values["timezone"] = timezone
    result = db.session.execute(
        update(Business)
        .where(Business.id == business.id, Business.owner_id.is_(None))
        .values(**values)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise AlreadyClaimed(business.slug)
    db.session.commit()
    db.session.refresh(business)


def create_business(user: User, *, name: str, category: str, city: str, timezone: str, phone=None, address=None) -> Business:
    business = Business(
        name=name.strip(),
        slug=unique_slug(name, city),
        category=category,
        city=city.strip(),
        phone=(phone or "").strip() or None,
        address=(address or "").strip() or None,
        owner_id=user.id,
        claimed_at=utcnow(),
        timezone=timezone,
        opening_hours=default_opening_hours(),
        services=[],
        faq=[],
    )
    db.session.add(business)
    db.session.commit()
    return business


def hours_summary(hours: dict | None) -> str:
    return "; ".join(f"{day[:3].title()} {v['open']}-{v['close']}" if v else f"{day[:3].title()} closed"
                     for day, v in (hours or {}).items())


def set_opening_hours(business: Business, hours: dict) -> None:
    """The one way opening hours change (profile form and scheduling settings):
    audited when they differ; the caller commits and tells 4calls."""
    if (business.opening_hours or {}) != hours:
        from app.audit.services import current_actor, record

        record("hours.changed", business=business, actor=current_actor(), target_type="business",
               before={"hours": hours_summary(business.opening_hours)}, after={"hours": hours_summary(hours)})
    business.opening_hours = hours


def default_opening_hours() -> dict:
    weekday = {"open": "09:00", "close": "17:00"}
    return {day: (dict(weekday) if day not in ("saturday", "sunday") else None) for day in WEEKDAYS}


def profile_form_data(business: Business) -> dict:
    """Shape the stored profile as the edit form expects it."""
    data = {
        "name": business.name,
        "category": business.category,
        "phone": business.phone,
        "address": business.address,
        "city": business.city,
        "website": business.website,
        "timezone": business.timezone,
        "description": business.description,
        "services": "\n".join(business.services or []),
        "faq": list(business.faq or []),
    }
    for day in WEEKDAYS:
        hours = business.hours_for(day)
        data[day] = (
            {"closed": False, "opens": time.fromisoformat(hours["open"]), "closes": time.fromisoformat(hours["close"])}
            if hours
            else {"closed": True, "opens": None, "closes": None}
        )
    return data


def update_profile(business: Business, form) -> None:
    business.name = form.name.data.strip()
    business.category = form.category.data
    business.phone = (form.phone.data or "").strip() or None
    business.address = (form.address.data or "").strip() or None
    business.city = (form.city.data or "").strip() or None
    business.website = (form.website.data or "").strip() or None
    business.timezone = form.timezone.data
    business.description = (form.description.data or "").strip() or None
    business.services = form.services_list()
    hours = {}
    for day in WEEKDAYS:
        entry = getattr(form, day)
        hours[day] = (
            None
            if entry.closed.data
            else {"open": entry.opens.data.strftime("%H:%M"), "close": entry.closes.data.strftime("%H:%M")}
        )
    set_opening_hours(business, hours)
    business.faq = [
        {"question": e.question.data.strip(), "answer": e.answer.data.strip()}
        for e in form.faq.entries
        if e.question.data and e.question.data.strip()
    ]
    db.session.commit()
    profile_changed.send(business)
