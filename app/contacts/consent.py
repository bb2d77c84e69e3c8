"""Consent records on contacts: the type, when and how it was captured.
Marketing campaigns call only contacts with an active marketing consent."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.audit.services import record as audit
from app.extensions import db
from app.models.campaigns import ConsentType, ContactConsent
from app.models.base import utcnow

METHOD_LABELS = {"verbal": "Verbal (on a call or in person)", "written": "Written / signed form",
                 "web_form": "Web form", "import": "Imported list", "other": "Other"}


class ConsentError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def active_consent(contact, consent_type: str = ConsentType.MARKETING) -> ContactConsent | None:
    return db.session.scalar(
        select(ContactConsent).where(ContactConsent.contact_id == contact.id,
                                     ContactConsent.consent_type == consent_type,
                                     ContactConsent.revoked_at.is_(None))
        .order_by(ContactConsent.captured_at.desc()).limit(1))


def consented_contact_ids(business_id, contact_ids, consent_type: str = ConsentType.MARKETING) -> set:
    """Which of these contacts hold an active consent: one query for a batch."""
    ids = list(contact_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        select(ContactConsent.contact_id).where(ContactConsent.business_id == business_id,
                                                ContactConsent.consent_type == consent_type,
                                                ContactConsent.revoked_at.is_(None),
                                                ContactConsent.contact_id.in_(ids))))


def consented_subquery(business_id, consent_type: str = ConsentType.MARKETING):
    return select(ContactConsent.contact_id).where(ContactConsent.business_id == business_id,
                                                   ContactConsent.consent_type == consent_type,
                                                   ContactConsent.revoked_at.is_(None))


def record_consent(business, contact, *, method: str, captured_at: datetime | None = None, note: str | None = None,
                   consent_type: str = ConsentType.MARKETING, actor=None) -> ContactConsent:
    """Record a consent (the caller commits). A capture time in the future is refused."""
    errors = {}
    if method not in METHOD_LABELS:
        errors["method"] = "Choose how the consent was given."
    if consent_type not in ConsentType.ALL:
        errors["consent_type"] = "Unknown consent type."
    captured_at = captured_at or utcnow()
    if captured_at > utcnow():
        errors["captured_at"] = "The consent cannot be captured in the future."
    if errors:
        raise ConsentError(errors)
    consent = ContactConsent(business_id=business.id, contact_id=contact.id, consent_type=consent_type,
                             method=method, captured_at=captured_at, note=(note or "").strip()[:1000] or None,
                             recorded_by_user_id=getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None)
    db.session.add(consent)
    audit("contact.consent_recorded", business=business, actor=actor, target_type="contact",
          target_label=contact.name or contact.phone or "", after={"type": consent_type, "method": method})
    return consent


def revoke_consent(business, contact, consent_type: str = ConsentType.MARKETING, actor=None) -> bool:
    consent = active_consent(contact, consent_type)
    if consent is None:
        return False
    consent.revoked_at = utcnow()
    audit("contact.consent_revoked", business=business, actor=actor, target_type="contact",
          target_label=contact.name or contact.phone or "", after={"type": consent_type})
    return True
