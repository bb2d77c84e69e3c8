"""Sites that tried to show a business's chat widget without being allowed.

The browser refuses to frame the widget on a site missing from the owner's
list (CSP frame-ancestors) and the visitor sees a grey panel; the owner would
never know. The widget request says where it is embedded (the iframe's
Referer), so the refusal is recorded and the owner's widget page offers
"Your widget was blocked on https://… — allow it?". A Referer can be forged,
so nothing is allowed without the owner's click, and only the most recent
MAX_OPEN origins are kept.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.audit.services import record
from app.chat.widgets import InvalidOrigin, MAX_ALLOWED_ORIGINS, normalise_origin, widget_for
from app.extensions import db
from app.models import EmbedRefusal
from app.models.base import utcnow
from app.web import owned_business_or_404, parse_uuid

MAX_OPEN = 20
bp = Blueprint("embed_refusals", __name__)


def embedding_origin() -> str | None:
    """The origin of the page framing this request, when the browser says so."""
    if request.headers.get("Sec-Fetch-Dest", "iframe") != "iframe":
        return None
    referrer = request.headers.get("Referer") or ""
    parts = urlsplit(referrer)
    if not parts.scheme or not parts.netloc:
        return None
    try:
        return normalise_origin(f"{parts.scheme}://{parts.netloc}")
    except InvalidOrigin:
        return None


def note_embedding(widget) -> None:
    """Record the framing origin if the widget's policy will refuse it."""
    origin = embedding_origin()
    if origin is None or origin == request.host_url.rstrip("/") or origin in (widget.allowed_origins or []):
        return
    now = utcnow()
    row = db.session.scalar(select(EmbedRefusal).where(EmbedRefusal.business_id == widget.business_id,
                                                       EmbedRefusal.origin == origin))
    if row is None:
        row = EmbedRefusal(business_id=widget.business_id, origin=origin, times=0, last_seen_at=now)
        db.session.add(row)
        _trim(widget.business_id)
    row.times += 1
    row.last_seen_at = now
    try:
        db.session.commit()
    except Exception:  # two first refusals at once: the other request recorded it
        db.session.rollback()


def _trim(business_id) -> None:
    stale = db.session.scalars(
        select(EmbedRefusal).where(EmbedRefusal.business_id == business_id)
        .order_by(EmbedRefusal.last_seen_at.desc()).offset(MAX_OPEN)
    ).all()
    for row in stale:
        db.session.delete(row)


def open_refusals(business) -> list[EmbedRefusal]:
    return list(db.session.scalars(
        select(EmbedRefusal).where(EmbedRefusal.business_id == business.id, EmbedRefusal.dismissed_at.is_(None))
        .order_by(EmbedRefusal.last_seen_at.desc())
    ))


def _refusal_or_none(business, refusal_id):
    rid = parse_uuid(refusal_id)
    if rid is None:
        return None
    return db.session.scalar(select(EmbedRefusal).where(EmbedRefusal.id == rid,
                                                        EmbedRefusal.business_id == business.id))


@bp.post("/businesses/<slug>/chat/widget/refusals/<refusal_id>/allow")
@login_required
def allow(slug: str, refusal_id: str):
    business = owned_business_or_404(slug)
    refusal = _refusal_or_none(business, refusal_id)
    if refusal is None:
        flash("That site was already handled.", "info")
        return redirect(url_for("chat.widget_settings", slug=business.slug))
    widget = widget_for(business)
    origins = list(widget.allowed_origins or [])
    if refusal.origin not in origins:
        if len(origins) >= MAX_ALLOWED_ORIGINS:
            flash(f"You already list {MAX_ALLOWED_ORIGINS} sites; remove one first.", "error")
            return redirect(url_for("chat.widget_settings", slug=business.slug))
        origins.append(refusal.origin)
    widget.allowed_origins = origins
    record("assistant.widget_origin_allowed", business=business, actor=current_user, target_type="widget",
           target_label=refusal.origin, after={"allowed_origins": ", ".join(origins)})
    db.session.delete(refusal)
    db.session.commit()
    flash(f"{refusal.origin} may now show your chat widget.", "success")
    return redirect(url_for("chat.widget_settings", slug=business.slug))


@bp.post("/businesses/<slug>/chat/widget/refusals/<refusal_id>/dismiss")
@login_required
def dismiss(slug: str, refusal_id: str):
    business = owned_business_or_404(slug)
    refusal = _refusal_or_none(business, refusal_id)
    if refusal is not None:
        refusal.dismissed_at = utcnow()
        db.session.commit()
    return redirect(url_for("chat.widget_settings", slug=business.slug))
