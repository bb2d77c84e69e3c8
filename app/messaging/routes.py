"""Messages: the inbox of conversations, a contact's thread and composer,
saved templates, missed-call text-back settings, and lifting a block."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import and_, case, func, select

from app.contacts.services import get_contact_or_none
from app.do_not_contact import services as dnc
from app.extensions import db
from app.leads.gating import LEADS, MESSAGING, feature_offer, gated, has_feature
from app.messaging import services, templates as saved
from app.messaging.compose import DraftError, check_draft, sms_segments, unknown_variables
from app.messaging.textback import SettingsError, settings_for, update_settings
from app.models import Contact, DoNotContactEntry
from app.models.messaging import ContactMessage, MessageDirection
from app.web import owned_business_or_404

bp = Blueprint("messaging", __name__, url_prefix="/businesses/<slug>/messages")


def _contact_or_404(business, contact_id):
    contact = get_contact_or_none(business, contact_id)
    if contact is None:
        abort(404)
    return contact


def thread_context(business, contact, **extra) -> dict:
    return {"business": business, "contact": contact, "messages": services.thread(business, contact),
            "templates": saved.list_templates(business),
            "blocked_phone": dnc.active_entry(business.id, "phone", contact.phone) if contact.phone else None,
            "blocked_email": dnc.active_entry(business.id, "email", contact.email) if contact.email else None,
            "errors": {}, "values": {}, **extra}


@bp.get("")
@login_required
@gated(MESSAGING, "messaging.inbox")
def inbox(business):
    last = (select(ContactMessage.contact_id, func.max(ContactMessage.created_at).label("last_at"),
                   func.sum(case((and_(ContactMessage.direction == MessageDirection.INBOUND,
                                       ContactMessage.read_at.is_(None)), 1), else_=0)).label("unread"))
            .where(ContactMessage.business_id == business.id, ContactMessage.contact_id.is_not(None))
            .group_by(ContactMessage.contact_id).subquery())
    rows = db.session.execute(select(Contact, last.c.last_at, last.c.unread).join(last, last.c.contact_id == Contact.id)
                              .order_by(last.c.unread.desc(), last.c.last_at.desc()).limit(200)).all()
    return render_template("messaging/inbox.html", business=business, rows=rows)


@bp.get("/contacts/<contact_id>/thread")
@login_required
@gated(MESSAGING, "messaging.inbox", missing="404")
def thread(business, contact_id):
    """The conversation, polled by the open contact page (statuses and replies arrive live)."""
    contact = _contact_or_404(business, contact_id)
    services.mark_read(business, contact)
    return render_template("messaging/_thread.html", oob=True, **thread_context(business, contact))


@bp.post("/contacts/<contact_id>/send")
@login_required
@gated(MESSAGING, "messaging.inbox", missing="403")
def send(business, contact_id):
    contact = _contact_or_404(business, contact_id)
    values = {"channel": request.form.get("channel", "sms"), "subject": request.form.get("subject", ""),
              "body": request.form.get("body", "")}
    notice = None
    try:
        draft = check_draft(business, contact, values["channel"], values["body"], values["subject"])
        message = services.queue_message(business, contact, draft, actor=current_user)
    except DraftError as exc:
        db.session.rollback()
        return render_template("messaging/_conversation.html",
                               **thread_context(business, contact, errors=exc.errors, values=values)), 422
    if message.send_after:
        notice = services.hold_notice(message, business, contact)
    if request.headers.get("HX-Request") != "true":
        flash(notice or "Message queued.", "warning" if notice else "success")
        return redirect(url_for("contacts.detail", slug=business.slug, contact_id=contact.id), code=303)
    return render_template("messaging/_conversation.html",
                           **thread_context(business, contact, notice=notice, values={"channel": values["channel"]}))


@bp.post("/contacts/<contact_id>/preview")
@login_required
@gated(MESSAGING, "messaging.inbox", missing="404")
def preview(business, contact_id):
    """The composer's counter: characters and SMS segments of the filled-in text."""
    contact = _contact_or_404(business, contact_id)
    body = request.form.get("body", "")
    unknown = unknown_variables(body)
    filled = None
    if not unknown and body.strip():
        from app.messaging.compose import render

        filled = render(body, business, contact)
    return render_template("messaging/_counter.html", channel=request.form.get("channel", "sms"), unknown=unknown,
                           count=sms_segments(filled if filled is not None else body), filled=filled)


@bp.post("/contacts/<contact_id>/do-not-contact/<entry_id>/lift")
@login_required
def lift_block(slug, contact_id, entry_id):
    business = owned_business_or_404(slug)
    contact = _contact_or_404(business, contact_id)
    from app.web import parse_uuid

    entry = db.session.get(DoNotContactEntry, parse_uuid(entry_id)) if parse_uuid(entry_id) else None
    if entry is None or entry.business_id != business.id or entry.value not in (contact.phone, (contact.email or "").lower()):
        abort(404)
    try:
        dnc.lift(business, entry, reason=request.form.get("reason", ""), actor=current_user)
    except dnc.DoNotContactError as exc:
        flash(str(exc), "error")
        return redirect(url_for("contacts.detail", slug=business.slug, contact_id=contact.id), code=303)
    db.session.commit()
    flash(f"{entry.value} may be contacted again. The reason is recorded.", "success")
    return redirect(url_for("contacts.detail", slug=business.slug, contact_id=contact.id), code=303)


@bp.route("/templates", methods=["GET", "POST"])
@login_required
@gated(MESSAGING, "messaging.inbox")
def templates(business):
    errors, values = {}, {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            saved.save_template(business, values.get("name"), values.get("subject"), values.get("body"))
        except saved.TemplateError as exc:
            errors = exc.errors
        else:
            flash(f"Template “{values.get('name', '').strip()}” saved.", "success")
            return redirect(url_for("messaging.templates", slug=business.slug), code=303)
    return render_template("messaging/templates.html", business=business, templates=saved.list_templates(business),
                           errors=errors, values=values), (422 if errors else 200)


@bp.post("/templates/<template_id>/delete")
@login_required
@gated(MESSAGING, "messaging.inbox")
def delete_template(business, template_id):
    template = saved.get_template_or_none(business, template_id)
    if template is None:
        abort(404)
    saved.delete_template(template)
    flash("Template deleted.", "success")
    return redirect(url_for("messaging.templates", slug=business.slug), code=303)


@bp.route("/text-back", methods=["GET", "POST"])
@login_required
@gated(LEADS, "leads.index")
def text_back(business):
    settings = settings_for(business)
    db.session.commit()
    errors, values = {}, None
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            update_settings(business, enabled=bool(request.form.get("enabled")), delay=request.form.get("delay", ""),
                            text=request.form.get("text", ""))
        except SettingsError as exc:
            errors = exc.errors
        else:
            flash("Missed-call text-back saved.", "success")
            return redirect(url_for("messaging.text_back", slug=business.slug), code=303)
    from app.messaging.textback import text_back_figures

    return render_template("messaging/text_back.html", business=business, settings=settings, errors=errors,
                           values=values, figures=text_back_figures(business)), (422 if errors else 200)


@bp.app_template_global("nav_badge")
def nav_badge(business, endpoint) -> int:
    """Unread customer messages beside "Messages" in the business navigation."""
    if endpoint != "messaging.inbox" or not has_feature(business, MESSAGING):
        return 0
    return services.unread_count(business)


@bp.app_template_global("contact_messaging")
def contact_messaging(business, contact) -> dict:
    """What the contact page shows of leads and messaging (each gated by its package feature)."""
    from app.leads.services import open_leads_for_contact

    context = {"leads": open_leads_for_contact(business, contact) if has_feature(business, LEADS) else None,
               "messaging": has_feature(business, MESSAGING), "offer": feature_offer(business, MESSAGING)}
    if context["messaging"]:
        services.mark_read(business, contact)
        context.update(thread_context(business, contact))
    else:
        context.update({"blocked_phone": dnc.active_entry(business.id, "phone", contact.phone) if contact.phone else None,
                        "blocked_email": dnc.active_entry(business.id, "email", contact.email) if contact.email else None})
    return context
