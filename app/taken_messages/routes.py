"""The "Messages taken" inbox."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.taken_messages import services
from app.web import is_htmx, owned_business_or_404, render_partial_or_page

bp = Blueprint("taken_messages", __name__, url_prefix="/businesses/<slug>/messages-taken")


@bp.get("")
@login_required
def inbox(slug: str):
    business = owned_business_or_404(slug)
    which = request.args.get("which", "open")
    if which not in services.FILTERS:
        which = "open"
    return render_partial_or_page("taken_messages/inbox.html", "taken_messages/_list.html", business=business,
                                  which=which, counts=services.counts(business),
                                  messages=services.messages(business, which))


def _message_or_404(business, message_id: uuid.UUID):
    message = services.message_or_none(business, message_id)
    if message is None:
        abort(404)
    return message


@bp.post("/<uuid:message_id>/read")
@login_required
def read(slug: str, message_id: uuid.UUID):
    business = owned_business_or_404(slug)
    message = _message_or_404(business, message_id)
    services.mark_read(message)
    return _answer(business, message)


@bp.post("/<uuid:message_id>/handled")
@login_required
def handled(slug: str, message_id: uuid.UUID):
    business = owned_business_or_404(slug)
    message = _message_or_404(business, message_id)
    services.set_handled(message, current_user, request.form.get("handled", "1") != "0")
    return _answer(business, message)


def _answer(business, message):
    if is_htmx():
        return render_template("taken_messages/_message.html", business=business, message=message,
                               counts=services.counts(business), oob_counts=True,
                               which=request.args.get("which", "open"))
    return redirect(url_for("taken_messages.inbox", slug=business.slug, which=request.args.get("which", "open")))
