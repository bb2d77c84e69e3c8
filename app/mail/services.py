"""Queue and deliver email.

`send_email` only adds a row to the caller's transaction; once that
transaction commits, the delivery job is enqueued (a rolled-back change sends
nothing). A recurring sweep re-enqueues anything still queued, so a lost
enqueue (Redis down at the time) delays a mail but never drops it.
"""
from __future__ import annotations

import logging
import smtplib
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import select

from app.extensions import db
from app.jobs.after_commit import enqueue_after_commit
from app.models.base import utcnow
from app.models.mail import EmailStatus, OutboundEmail

log = logging.getLogger(__name__)


class MailDeliveryError(RuntimeError):
    """The SMTP server refused or could not be reached; the job retries."""


def render_email(template: str, **context) -> tuple[str, str, str | None]:
    """(subject, text, html) from templates/mail/<template>.subject.txt, .txt and optional .html."""
    subject = render_template(f"mail/{template}.subject.txt", **context).strip().splitlines()[0]
    text = render_template(f"mail/{template}.txt", **context)
    try:
        html = render_template(f"mail/{template}.html", **context)
    except TemplateNotFound:
        html = None
    return subject, text, html


def send_email(to: str, template: str, *, business=None, idempotency_key: str | None = None, **context) -> OutboundEmail | None:
    """Queue one email in the current transaction (the caller commits).
    With an idempotency key already used, nothing is queued and None is returned."""
    if idempotency_key and db.session.scalar(
        select(OutboundEmail.id).where(OutboundEmail.idempotency_key == idempotency_key)
    ):
        return None
    subject, text, html = render_email(template, business=business, **context)
    email = OutboundEmail(
        id=uuid.uuid4(),
        to_address=to.strip(),
        subject=subject[:255],
        text_body=text,
        html_body=html,
        template=template,
        business_id=getattr(business, "id", None),
        idempotency_key=idempotency_key,
        status=EmailStatus.QUEUED,
    )
    # A concurrent send with the same key fails the second transaction on the
    # unique index; the job that sent it retries and then finds the key used.
    db.session.add(email)
    enqueue_after_commit("app.mail.jobs.deliver_email_job", email.id, job_id=f"email:{email.id}")
    return email


def deliver(email_id) -> str:
    """Send one queued email. Idempotent: a sent email is not sent again."""
    email = db.session.get(OutboundEmail, uuid.UUID(str(email_id)))
    if email is None or email.status == EmailStatus.SENT:
        return "skipped"
    email.attempts += 1
    backend = current_app.config["MAIL_BACKEND"]
    try:
        if backend == "smtp":
            _send_smtp(email)
        elif backend != "outbox":
            raise MailDeliveryError(f"unknown MAIL_BACKEND {backend!r}")
    except Exception as exc:
        email.error = f"{type(exc).__name__}: {exc}"[:2000]
        final = email.attempts > len(current_app.config["JOB_RETRY_INTERVALS"])
        email.status = EmailStatus.FAILED if final else EmailStatus.QUEUED
        db.session.commit()
        raise
    email.status = EmailStatus.SENT
    email.error = None
    email.sent_at = utcnow()
    db.session.commit()
    return "sent"


def _send_smtp(email: OutboundEmail) -> None:
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = formataddr((config["MAIL_SENDER_NAME"], config["MAIL_DEFAULT_SENDER"]))
    message["To"] = email.to_address
    message["Message-ID"] = make_msgid(idstring=str(email.id))
    message.set_content(email.text_body)
    if email.html_body:
        message.add_alternative(email.html_body, subtype="html")
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    try:
        with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"]) as smtp:
            if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailDeliveryError(str(exc)) from exc


def sweep_queued_emails(older_than: timedelta = timedelta(minutes=2)) -> int:
    """Re-enqueue emails still queued a while after they were written."""
    from app.jobs import enqueue

    cutoff = utcnow() - older_than
    ids = db.session.scalars(
        select(OutboundEmail.id).where(OutboundEmail.status == EmailStatus.QUEUED, OutboundEmail.updated_at < cutoff)
        .order_by(OutboundEmail.created_at).limit(500)
    ).all()
    for email_id in ids:
        enqueue("app.mail.jobs.deliver_email_job", str(email_id), job_id=f"email:{email_id}")
    return len(ids)
