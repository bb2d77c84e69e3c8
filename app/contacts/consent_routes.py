"""Capturing and revoking a contact's marketing consent from the contact page."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.contacts import services
from app.contacts.consent import METHOD_LABELS, ConsentError, active_consent, record_consent, revoke_consent
from app.extensions import db
from app.timezones import zone_of

bp = Blueprint("contact_consent", __name__, url_prefix="/businesses/<slug>/contacts/<contact_id>/consent")


@bp.app_template_global()
def contact_consent(contact):
    """The contact's active marketing consent, for the contact page."""
    return active_consent(contact)


@bp.app_template_global()
def consent_methods():
    return METHOD_LABELS


def _contact(slug, contact_id):
    from app.web import owned_business_or_404

    business = owned_business_or_404(slug)
    contact = services.get_contact_or_none(business, contact_id)
    if contact is None:
        abort(404)
    return business, contact


@bp.post("")
@login_required
def capture(slug, contact_id):
    business, contact = _contact(slug, contact_id)
    captured_at = None
    raw = (request.form.get("captured_at") or "").strip()
    errors = {}
    if raw:
        try:
            captured_at = datetime.fromisoformat(raw).replace(tzinfo=zone_of(business)).astimezone(zone_of("UTC"))
        except ValueError:
            errors["captured_at"] = "Use a date and time like 2027-03-04 09:00."
    if not errors:
        try:
            record_consent(business, contact, method=request.form.get("method", ""), captured_at=captured_at,
                           note=request.form.get("note"), actor=current_user)
        except ConsentError as exc:
            errors = exc.errors
    if errors:
        db.session.rollback()
        from app.contacts.fields import field_definitions
        from app.contacts.timeline import contact_timeline

        return render_template("contacts/detail.html", business=business, contact=contact,
                               definitions=field_definitions(business), timeline=contact_timeline(business, contact),
                               consent_errors=errors, consent_values=request.form), 422
    db.session.commit()
    flash("Marketing consent recorded.", "success")
    return redirect(url_for("contacts.detail", slug=slug, contact_id=contact.id))


@bp.post("/revoke")
@login_required
def revoke(slug, contact_id):
    business, contact = _contact(slug, contact_id)
    revoke_consent(business, contact, actor=current_user)
    db.session.commit()
    flash("Marketing consent withdrawn: marketing campaigns will not call this contact.", "success")
    return redirect(url_for("contacts.detail", slug=slug, contact_id=contact.id))
