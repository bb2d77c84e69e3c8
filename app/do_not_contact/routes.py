"""The owner's do-not-call list: when and why each number was added, manual
add, lift with a recorded reason, and CSV import."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.do_not_contact import imports
from app.do_not_contact.services import DoNotContactError, add, lift
from app.extensions import db
from app.models import DoNotContactChannel, DoNotContactEntry, DoNotContactSource
from app.inputs import page_number
from app.web import owned_business_or_404, parse_uuid, render_partial_or_page

bp = Blueprint("do_not_contact", __name__, url_prefix="/businesses/<slug>/do-not-contact")

SOURCE_LABELS = {DoNotContactSource.MANUAL: "Added by you", DoNotContactSource.IMPORT: "Imported",
                 DoNotContactSource.CALL_OPT_OUT: "Asked on a call", DoNotContactSource.SMS_STOP: "Texted STOP",
                 DoNotContactSource.EMAIL_UNSUBSCRIBE: "Unsubscribed by email"}
PAGE_SIZE = 50


def _page(business, errors=None, values=None, status=200):
    show = request.args.get("show", "active")
    page = request.args.get("page", 1, type=page_number)
    query = select(DoNotContactEntry).where(DoNotContactEntry.business_id == business.id)
    if show != "all":
        query = query.where(DoNotContactEntry.lifted_at.is_(None))
    needle = (request.args.get("q") or "").strip()
    if needle:
        query = query.where(DoNotContactEntry.value.contains(needle.lower()))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    entries = db.session.scalars(query.order_by(DoNotContactEntry.created_at.desc())
                                 .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_partial_or_page(
        "do_not_contact/index.html", "do_not_contact/_entries.html", business=business, entries=entries,
        total=total, page=page, page_size=PAGE_SIZE, show=show, q=needle, errors=errors or {},
        values=values or {}, source_labels=SOURCE_LABELS), status


@bp.get("")
@login_required
def index(slug):
    return _page(owned_business_or_404(slug))


@bp.post("")
@login_required
def create(slug):
    business = owned_business_or_404(slug)
    channel = request.form.get("channel") or DoNotContactChannel.PHONE
    value, reason = request.form.get("value", ""), request.form.get("reason", "")
    if channel not in DoNotContactChannel.ALL:
        return _page(business, {"channel": "Choose phone or email."}, request.form, 422)
    try:
        add(business, channel, value, source=DoNotContactSource.MANUAL, reason=reason, actor=current_user)
    except DoNotContactError as exc:
        db.session.rollback()
        return _page(business, {"value": str(exc)}, request.form, 422)
    db.session.commit()
    flash(f"{value.strip()} is on the do-not-contact list.", "success")
    return redirect(url_for("do_not_contact.index", slug=slug))


@bp.post("/<entry_id>/lift")
@login_required
def lift_entry(slug, entry_id):
    business = owned_business_or_404(slug)
    entry = db.session.get(DoNotContactEntry, parse_uuid(entry_id)) if parse_uuid(entry_id) else None
    if entry is None or entry.business_id != business.id:
        abort(404)
    try:
        lift(business, entry, reason=request.form.get("reason", ""), actor=current_user)
    except DoNotContactError as exc:
        db.session.rollback()
        return _page(business, {f"lift-{entry.id}": str(exc)}, status=422)
    db.session.commit()
    flash(f"{entry.value} may be contacted again.", "success")
    return redirect(url_for("do_not_contact.index", slug=slug))


@bp.post("/import")
@login_required
def import_csv(slug):
    business = owned_business_or_404(slug)
    upload = request.files.get("file")
    try:
        added, already, problems = imports.import_csv(business, upload, actor=current_user)
    except imports.ImportProblem as exc:
        db.session.rollback()
        return _page(business, {"file": str(exc)}, status=422)
    db.session.commit()
    message = f"Imported {added} new entr{'y' if added == 1 else 'ies'}; {already} already listed."
    if problems:
        message += f" Skipped {len(problems)} row(s): " + "; ".join(problems[:5])
    flash(message, "success")
    return redirect(url_for("do_not_contact.index", slug=slug))
