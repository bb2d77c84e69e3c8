"""Builders for the rows most tests need, one way each.

Each factory writes its row, commits and returns it; keyword arguments set
any other column. `make_integration` is the one way to give a business an
active 4calls integration (the sandbox helpers call it after creating the
remote organization).
"""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta, timezone

from app.businesses.services import default_opening_hours, slugify
from app.extensions import db
from app.models import (Appointment, Business, Call, Contact, ContactTag, Coordinator, CoordinatorStatus,
                        FourCallsIntegration, IntegrationStatus, User)
from app.models.billing import BillingAccount

_counter = itertools.count(1)
_DEFAULT = object()


def make_user(email=None, password="correct-horse-battery", name="Test Owner", is_admin=False, verified=True) -> User:
    from app.models.base import utcnow

    user = User(email=email or f"owner{next(_counter)}@example.com", name=name, is_admin=is_admin,
                email_verified_at=utcnow() if verified else None)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def make_business(owner: User | None = None, name=None, category="Salon", city="Springfield", **fields) -> Business:
    name = name or f"Business {next(_counter)}"
    business = Business(
        name=name,
        slug=slugify(f"{name} {city}"),
        category=category,
        city=city,
        phone=fields.pop("phone", "+1 555 000 0000"),
        opening_hours=fields.pop("opening_hours", default_opening_hours()),
        services=fields.pop("services", ["Haircut"]),
        faq=fields.pop("faq", []),
        owner_id=owner.id if owner else None,
        **fields,
    )
    if owner:
        from app.models.base import utcnow

        business.claimed_at = utcnow()
    db.session.add(business)
    db.session.commit()
    return business


def make_integration(business, package="ai_receptionist", *, activated_at=_DEFAULT,
                     status=IntegrationStatus.ACTIVE, **fields) -> FourCallsIntegration:
    """The business's 4calls integration, active on `package` since yesterday
    unless told otherwise. Pass organization_id, api_key (already encrypted) and
    coordinator_id when a sandbox organization stands behind it."""
    if activated_at is _DEFAULT:
        activated_at = datetime.now(timezone.utc) - timedelta(days=1)
    integration = FourCallsIntegration(business_id=business.id, service_package=package, status=status,
                                       activated_at=activated_at, **fields)
    db.session.add(integration)
    db.session.commit()
    db.session.refresh(business)
    return integration


def make_coordinator(business, *, name="Sam", role="sales", status=CoordinatorStatus.ACTIVE, **fields) -> Coordinator:
    fields.setdefault("fourcalls_id", f"coord_{uuid.uuid4().hex[:8]}")
    coordinator = Coordinator(business_id=business.id, name=name, role=role, status=status, **fields)
    db.session.add(coordinator)
    db.session.commit()
    return coordinator


def make_contact(business, *, name="Dana Reed", phone=None, tags=(), **fields) -> Contact:
    contact = Contact(business_id=business.id, name=name, phone=phone or f"+1555{next(_counter):07d}", **fields)
    db.session.add(contact)
    db.session.flush()
    for tag in tags:
        db.session.add(ContactTag(contact_id=contact.id, business_id=business.id, tag=tag))
    db.session.commit()
    return contact


def make_call(business, *, direction="inbound", status="answered", started_at=None, **fields) -> Call:
    fields.setdefault("remote_id", f"call_{uuid.uuid4().hex[:10]}")
    call = Call(business_id=business.id, direction=direction, status=status,
                started_at=started_at or datetime.now(timezone.utc), **fields)
    db.session.add(call)
    db.session.commit()
    return call


def make_appointment(business, *, starts_at=None, minutes=45, customer_name="Ada", **fields) -> Appointment:
    starts_at = starts_at or datetime.now(timezone.utc) + timedelta(days=1)
    appointment = Appointment(business_id=business.id, customer_name=customer_name, starts_at=starts_at,
                              ends_at=fields.pop("ends_at", starts_at + timedelta(minutes=minutes)), **fields)
    db.session.add(appointment)
    db.session.commit()
    return appointment


def make_billing_account(business, *, status="active", package_slug="ai_receptionist", **fields) -> BillingAccount:
    account = BillingAccount(business_id=business.id, status=status, package_slug=package_slug, **fields)
    db.session.add(account)
    db.session.commit()
    return account
