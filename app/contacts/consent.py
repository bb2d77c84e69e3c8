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


# -- the importer's "Marketing consent" column ----------------------------------

CONSENT_YES = ("yes", "y", "true", "1", "x", "opted in", "opt-in", "opt in")
CONSENT_NO = ("", "no", "n", "false", "0")


def parse_consent_cell(text: str, business) -> datetime | None:
    """"yes" (consent captured at import), a date or date-time (captured then,
    in the business's zone), or "no"/empty. Raises ValueError otherwise."""
    value = (text or "").strip().lower()
    if value in CONSENT_NO:
        return None
    if value in CONSENT_YES:
        return utcnow()
    from app.timezones import zone_of

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("use yes, no, or the date it was given (2027-01-31)") from None
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=zone_of(business))).astimezone(zone_of("UTC"))
    if moment > utcnow():
        raise ValueError("the consent date is in the future")
    return moment


def record_imported_consents(business, captured: dict) -> int:
    """Consent rows for imported contacts ({contact id: captured at}); contacts
    that already hold an active consent keep theirs. The caller commits."""
    wanted = {cid: at for cid, at in captured.items() if at is not None}
    if not wanted:
        return 0
    have = consented_contact_ids(business.id, wanted)
    rows = [ContactConsent(business_id=business.id, contact_id=cid, consent_type=ConsentType.MARKETING,
                           method="import", captured_at=at, note="Imported from a CSV file")
            for cid, at in wanted.items() if cid not in have]
    db.session.add_all(rows)
    return len(rows)
