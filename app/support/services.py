"""Support requests: opened by an owner, answered by AlphaSite staff in the
console, a thread in the app with each reply also sent by email.

Requests from Enterprise businesses go to their account manager
automatically; each request carries its package's priority and
first-response deadline from when it was opened.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, select

from app.extensions import db
from app.mail import send_email
from app.models import (
    AccountManagerAssignment,
    Business,
    SupportMessage,
    SupportRequest,
    SupportStatus,
    User,
)
from app.models.base import utcnow
from app.models.support import SUPPORT_CATEGORIES
from app.support import targets
from app.support.attachments import AttachmentError, read_attachment
from app.web import parse_uuid

MAX_BODY = 10_000
MAX_SUBJECT = 160


class SupportError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _clean(subject: str | None, category: str | None, body: str | None, *, needs_subject=True) -> dict:
    errors = {}
    subject = " ".join((subject or "").split())
    body = (body or "").strip()
    if needs_subject and not subject:
        errors["subject"] = "Say in a few words what it is about."
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = f"Keep the subject under {MAX_SUBJECT} characters."
    if needs_subject and category not in SUPPORT_CATEGORIES:
        errors["category"] = "Choose a category."
    if not body:
        errors["body"] = "Write your message."
    elif len(body) > MAX_BODY:
        errors["body"] = f"Messages can be at most {MAX_BODY:,} characters."
    if errors:
        raise SupportError(errors)
    return {"subject": subject, "category": category, "body": body}


def _attachment(storage, errors: dict) -> tuple | None:
    try:
        return read_attachment(storage)
    except AttachmentError as exc:
        errors["attachment"] = str(exc)
        return None


def _message(request: SupportRequest, author: User, body: str, attachment, from_staff: bool) -> SupportMessage:
    message = SupportMessage(id=uuid.uuid4(), request_id=request.id, author_id=author.id, from_staff=from_staff,
                             body=body, created_at=utcnow())
    if attachment:
        message.attachment_name, message.attachment_type, message.attachment_data = attachment
    db.session.add(message)
    request.last_activity_at = message.created_at
    return message


# --- account managers -----------------------------------------------------------


def account_manager_of(business: Business) -> User | None:
    """The business's account manager while its package includes one."""
    from app.usage.services import has_feature

    if not has_feature(business, "account_manager"):
        return None
    assignment = db.session.get(AccountManagerAssignment, business.id)
    return assignment.manager if assignment and assignment.manager.is_admin else None


def assign_account_manager(business: Business, manager: User | None, actor: User) -> None:
    from app.audit.services import record
    from app.models import AuditScope
    from app.usage.services import has_feature

    if manager is not None and not manager.is_admin:
        raise SupportError({"manager": "Account managers are AlphaSite staff (admin users)."})
    if manager is not None and not has_feature(business, "account_manager"):
        raise SupportError({"manager": f"{business.name}'s package does not include an account manager."})
    assignment = db.session.get(AccountManagerAssignment, business.id)
    if manager is None:
        if assignment:
            db.session.delete(assignment)
    elif assignment is None:
        db.session.add(AccountManagerAssignment(business_id=business.id, manager_id=manager.id))
    else:
        assignment.manager_id, assignment.assigned_at = manager.id, utcnow()
    if manager is not None:
        # Their open requests nobody has picked up yet go to the new manager.
        for request in db.session.scalars(select(SupportRequest).where(
                SupportRequest.business_id == business.id, SupportRequest.assignee_id.is_(None),
                SupportRequest.status != SupportStatus.RESOLVED)):
            request.assignee_id = manager.id
    record("account_manager.assigned" if manager else "account_manager.removed", business=business, actor=actor,
           scope=AuditScope.ADMIN, target_type="user", target_id=getattr(manager, "id", None),
           target_label=getattr(manager, "email", None))
    db.session.commit()


# --- owners ---------------------------------------------------------------------


def requests_of(business: Business) -> list[SupportRequest]:
    return db.session.scalars(select(SupportRequest).where(SupportRequest.business_id == business.id)
                              .order_by(SupportRequest.last_activity_at.desc())).unique().all()


def get_request(business: Business, request_id) -> SupportRequest | None:
    key = parse_uuid(request_id)
    found = db.session.get(SupportRequest, key) if key else None
    return found if found is not None and found.business_id == business.id else None


def open_request(business: Business, owner: User, subject, category, body, upload=None) -> SupportRequest:
    errors = {}
    try:
        values = _clean(subject, category, body)
    except SupportError as exc:
        errors.update(exc.errors)
        values = None
    attachment = _attachment(upload, errors)
    if errors:
        raise SupportError(errors)
    package = targets.package_for(business)
    now = utcnow()
    manager = account_manager_of(business)
    request = SupportRequest(
        id=uuid.uuid4(), business_id=business.id, requester_id=owner.id, subject=values["subject"],
        category=values["category"], status=SupportStatus.OPEN, package_slug=package.slug if package else None,
        priority=targets.priority_of(package), assignee_id=manager.id if manager else None,
        first_response_due_at=now + timedelta(minutes=targets.target_minutes(package)), last_activity_at=now,
        created_at=now,
    )
    db.session.add(request)
    db.session.flush()
    message = _message(request, owner, values["body"], attachment, from_staff=False)
    _notify_staff(request, message, new=True)
    send_email(owner.email, "support/received", business=business, idempotency_key=f"support-received:{request.id}",
               request=request, link=_owner_link(request),
               target=targets.describe_minutes(targets.target_minutes(package)))
    db.session.commit()
    return request


def _reply(body, upload, extra_errors: dict | None = None) -> tuple[str, tuple | None]:
    """A reply's text and screenshot, every problem reported at once."""
    errors = dict(extra_errors or {})
    try:
        text = _clean(None, None, body, needs_subject=False)["body"]
    except SupportError as exc:
        errors.update(exc.errors)
    attachment = _attachment(upload, errors)
    if errors:
        raise SupportError(errors)
    return text, attachment


def owner_reply(business: Business, request: SupportRequest, owner: User, body, upload=None) -> SupportMessage:
    text, attachment = _reply(body, upload)
    message = _message(request, owner, text, attachment, from_staff=False)
    request.status = SupportStatus.OPEN  # back in the queue, resolved or not
    _notify_staff(request, message, new=False)
    db.session.commit()
    return message


def owner_resolve(request: SupportRequest) -> None:
    request.status = SupportStatus.RESOLVED
    db.session.commit()


# --- staff ----------------------------------------------------------------------


def queue(status: str | None = "active", assignee: User | None = None, limit: int = 200) -> list[SupportRequest]:
    """Highest package priority first, then oldest first."""
    stmt = select(SupportRequest)
    if status == "active":
        stmt = stmt.where(SupportRequest.status != SupportStatus.RESOLVED)
    elif status in SupportStatus.ALL:
        stmt = stmt.where(SupportRequest.status == status)
    if assignee is not None:
        stmt = stmt.where(SupportRequest.assignee_id == assignee.id)
    waiting_on_us = case((SupportRequest.status == SupportStatus.OPEN, 0), else_=1)
    return db.session.scalars(stmt.order_by(waiting_on_us, SupportRequest.priority.desc(),
                                            SupportRequest.created_at.asc()).limit(limit)).unique().all()


def get_any_request(request_id) -> SupportRequest | None:
    key = parse_uuid(request_id)
    return db.session.get(SupportRequest, key) if key else None


def staff_reply(request: SupportRequest, staff: User, body, status: str | None = None, upload=None) -> SupportMessage:
    bad_status = {"status": "Choose a status."} if status and status not in SupportStatus.ALL else None
    text, attachment = _reply(body, upload, bad_status)
    message = _message(request, staff, text, attachment, from_staff=True)
    if request.first_responded_at is None:
        request.first_responded_at = message.created_at
    request.status = status or SupportStatus.WAITING
    if request.assignee_id is None:
        request.assignee_id = staff.id
    send_email(request.requester.email, "support/reply", business=request.business,
               idempotency_key=f"support-reply:{message.id}", request=request, message=message, staff=staff,
               link=_owner_link(request))
    db.session.commit()
    return message


def set_status(request: SupportRequest, status: str) -> None:
    if status not in SupportStatus.ALL:
        raise SupportError({"status": "Choose a status."})
    request.status = status
    db.session.commit()


def assign(request: SupportRequest, assignee: User | None) -> None:
    if assignee is not None and not assignee.is_admin:
        raise SupportError({"assignee": "Requests are assigned to AlphaSite staff."})
    request.assignee_id = assignee.id if assignee else None
    db.session.commit()


def staff_users() -> list[User]:
    return db.session.scalars(select(User).where(User.is_admin.is_(True)).order_by(User.name)).all()


# --- mail -----------------------------------------------------------------------


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def _owner_link(request: SupportRequest) -> str:
    return f"{_base_url()}/businesses/{request.business.slug}/help/requests/{request.id}"


def _notify_staff(request: SupportRequest, message: SupportMessage, new: bool) -> None:
    """The assignee, or every admin while nobody is assigned."""
    recipients = [request.assignee] if request.assignee_id and request.assignee else staff_users()
    link = f"{_base_url()}/admin/support/requests/{request.id}"
    for person in recipients[:20]:
        send_email(person.email, "support/staff_notice", business=request.business,
                   idempotency_key=f"support-staff:{message.id}:{person.id}", request=request, message=message,
                   new=new, link=link,
                   due_text=request.first_response_due_at.strftime("%Y-%m-%d %H:%M UTC"))
