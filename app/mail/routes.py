"""The local outbox, for `make run` and tests only: a newcomer can read the
mails the app sent and click their links. Not registered in production."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from app.extensions import db
from app.models.mail import OutboundEmail
from app.web import parse_uuid

bp = Blueprint("dev_outbox", __name__, url_prefix="/dev/outbox")


@bp.get("")
def index():
    emails = db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.created_at.desc()).limit(200)).all()
    return render_template("dev/outbox.html", emails=emails)


@bp.get("/<email_id>")
def show(email_id):
    email = db.session.get(OutboundEmail, parse_uuid(email_id)) if parse_uuid(email_id) else None
    if email is None:
        abort(404)
    return render_template("dev/outbox_email.html", email=email)
