"""Who a campaign calls: the segment's contacts (or an uploaded list's),
minus those it must not call, with the reason each excluded contact is left out. Shown before launch
and applied again (for do-not-call and consent) at every dial."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select

from app.campaigns.csv_audience import contact_ids_of
from app.campaigns.purposes import needs_consent
from app.contacts.consent import consented_subquery
from app.contacts.segments import segment_contacts
from app.extensions import db
from app.models import Campaign, CampaignStatus, CampaignTarget, Contact, DoNotContactChannel, TargetStatus
from app.models.base import utcnow
from app.do_not_contact.services import blocked_values
from app.timezones import recipient_zone

EXCLUSION_LABELS = {"no_phone": "no phone number", "do_not_call": "on the do-not-call list",
                    "no_consent": "no marketing consent", "in_running_campaign": "already in a running campaign"}


@dataclass
class AudiencePreview:
    matching: int = 0
    eligible: int = 0
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())


def _busy_contact_ids(business, except_campaign_id=None):
    """Contacts waiting or being dialled in another live campaign of the business."""
    query = (select(CampaignTarget.contact_id).join(Campaign, Campaign.id == CampaignTarget.campaign_id)
             .where(Campaign.business_id == business.id, Campaign.status.in_(CampaignStatus.LIVE),
                    CampaignTarget.status.in_((*TargetStatus.WAITING, TargetStatus.DIALLING))))
    if except_campaign_id is not None:
        query = query.where(Campaign.id != except_campaign_id)
    return query


def classify(business, rules: dict, purpose: str, except_campaign_id=None, contact_ids=None, import_id=None):
    """Rows (contact, exclusion reason or None) for the audience, in name order:
    the contacts matching `rules`, or with `import_id` exactly those of an uploaded list."""
    if import_id is not None:
        query = select(Contact).where(Contact.business_id == business.id, Contact.deleted_at.is_(None),
                                      Contact.id.in_(contact_ids_of(import_id)))
    else:
        query = segment_contacts(business, rules)
    if contact_ids is not None:
        query = query.where(Contact.id.in_(list(contact_ids)))
    contacts = db.session.scalars(query.order_by(Contact.name, Contact.id)).all()
    blocked = blocked_values(business.id, DoNotContactChannel.PHONE)
    busy = set(db.session.scalars(_busy_contact_ids(business, except_campaign_id)))
    consented = set(db.session.scalars(consented_subquery(business.id))) if needs_consent(purpose) else None
    for contact in contacts:
        if not contact.phone:
            yield contact, "no_phone"
        elif contact.phone in blocked:
            yield contact, "do_not_call"
        elif consented is not None and contact.id not in consented:
            yield contact, "no_consent"
        elif contact.id in busy:
            yield contact, "in_running_campaign"
        else:
            yield contact, None


def preview(business, rules: dict, purpose: str, except_campaign_id=None, import_id=None) -> AudiencePreview:
    result = AudiencePreview()
    for _contact, reason in classify(business, rules, purpose, except_campaign_id, import_id=import_id):
        result.matching += 1
        if reason is None:
            result.eligible += 1
        else:
            result.excluded[reason] = result.excluded.get(reason, 0) + 1
    return result


def enrol(campaign: Campaign, rules: dict, contact_ids=None, import_id=None) -> int:
    """Add the eligible contacts not yet in the campaign as pending targets (one
    bulk INSERT). Returns how many were added. The caller commits."""
    business = campaign.business
    present = set(db.session.scalars(select(CampaignTarget.contact_id).where(CampaignTarget.campaign_id == campaign.id)))
    position = db.session.scalar(select(func.coalesce(func.max(CampaignTarget.position), 0))
                                 .where(CampaignTarget.campaign_id == campaign.id)) or 0
    now = utcnow()
    rows = []
    for contact, reason in classify(business, rules, campaign.purpose, campaign.id, contact_ids, import_id):
        if reason is not None or contact.id in present:
            continue
        position += 1
        rows.append({"id": uuid.uuid4(), "campaign_id": campaign.id, "business_id": business.id,
                     "contact_id": contact.id, "position": position, "name": contact.name or "",
                     "phone": contact.phone, "zone": recipient_zone(contact, business).key,
                     "status": TargetStatus.PENDING, "attempts": 0, "talk_seconds": 0, "opted_out": False,
                     "created_at": now, "updated_at": now})
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(CampaignTarget), rows[start:start + 1000])
    return len(rows)
