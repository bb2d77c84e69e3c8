"""A finished campaign's follow-up by text (advanced packages): the owner writes
one message; each contact the campaign did not reach gets it by SMS (or by
email, when offered, if they have an email but no phone) through messaging's
own rules: do-not-contact, quiet hours in the recipient's zone, the allowance.
Marketing campaigns text only contacts with an active marketing consent.

One `MessageFollowUp` row per campaign and contact is claimed before the
message is queued, so a second click (or a second tab) texts nobody twice."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audit.services import record as audit
from app.campaigns.purposes import needs_consent
from app.contacts.consent import consented_contact_ids
from app.extensions import db
from app.leads.errors import FieldErrors
from app.messaging.compose import DraftError, check_draft, render, sms_segments, unknown_variables_error
from app.messaging.services import blocked_reason, queue_message
from app.models import Campaign, CampaignStatus, CampaignTarget, Contact, TargetStatus
from app.models.campaigns import MessageFollowUp
from app.models.messaging import MessagePurpose, MessageState

UNREACHED = (TargetStatus.NO_ANSWER, TargetStatus.BUSY, TargetStatus.VOICEMAIL, TargetStatus.FAILED)


SKIP_LABELS = MessageFollowUp.SKIP_LABELS


class FollowUpError(FieldErrors):
    """A follow-up that cannot be sent (field errors, or `status`)."""


@dataclass
class Plan:
    """Who the message would go to, and who is skipped and why."""
    sms: list = field(default_factory=list)  # (target, contact)
    email: list = field(default_factory=list)
    skips: list = field(default_factory=list)  # (contact, reason)
    already: int = 0

    @property
    def skipped(self) -> dict:
        """reason -> count"""
        counts: dict = {}
        for _, reason in self.skips:
            counts[reason] = counts.get(reason, 0) + 1
        return counts


def unreached_targets(campaign: Campaign) -> list[CampaignTarget]:
    return list(db.session.scalars(select(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign.id, CampaignTarget.status.in_(UNREACHED),
        CampaignTarget.contact_id.is_not(None)).order_by(CampaignTarget.position)))


def check_allowed(business, campaign: Campaign) -> None:
    from app.campaigns.services import is_advanced

    if not is_advanced(business):
        raise FollowUpError({"status": "Following up by text comes with the advanced campaign packages."})
    if campaign.status not in CampaignStatus.FINAL:
        raise FollowUpError({"status": "Follow up once the campaign has finished."})


def plan(business, campaign: Campaign, use_email: bool) -> Plan:
    """Sorts the unreached as the send will (without queuing anything)."""
    result = Plan()
    targets = unreached_targets(campaign)
    done = set(db.session.scalars(select(MessageFollowUp.contact_id).where(MessageFollowUp.campaign_id == campaign.id)))
    consented = (consented_contact_ids(business.id, [t.contact_id for t in targets])
                 if needs_consent(campaign.purpose) else None)
    contacts = {c.id: c for c in db.session.scalars(select(Contact).where(
        Contact.id.in_([t.contact_id for t in targets])))} if targets else {}
    for target in targets:
        contact = contacts.get(target.contact_id)
        if contact is None:
            continue
        if contact.id in done:
            result.already += 1
            continue
        reason = _skip_reason(business, target, contact, consented, use_email)
        if reason:
            result.skips.append((contact, reason))
        else:
            (result.sms if contact.phone else result.email).append((target, contact))
    return result


def _skip_reason(business, target, contact, consented, use_email) -> str | None:
    if target.opted_out:
        return "opted_out"
    channel, to = ("sms", contact.phone) if contact.phone else ("email", contact.email if use_email else None)
    if not to:
        return "no_address"
    if blocked_reason(business, channel, to):
        return "do_not_contact"
    if consented is not None and contact.id not in consented:
        return "no_consent"
    return None


def clean(body: str | None, subject: str | None, use_email: bool) -> tuple[str, str | None]:
    body, subject = (body or "").strip(), (subject or "").strip() or None
    errors = {}
    if not body:
        errors["body"] = "Write the message to send."
    elif unknown_variables_error(body):
        errors["body"] = unknown_variables_error(body)
    if use_email and not subject:
        errors["subject"] = "Give the email a subject."
    elif subject and unknown_variables_error(subject):
        errors["subject"] = unknown_variables_error(subject)
    if errors:
        raise FollowUpError(errors)
    return body, subject


def sample(business, body: str, planned: Plan):
    """The message as the first recipient would read it, and its SMS segments."""
    contact = next((c for _, c in planned.sms + planned.email), None)
    if not body or unknown_variables_error(body):
        return None, None
    text = render(body, business, contact)
    return text, sms_segments(text)


def send(business, campaign: Campaign, body: str | None, subject: str | None = None, use_email: bool = False,
         actor=None) -> dict:
    """Queue the follow-up to every unreached contact not yet followed up. Returns the tally."""
    check_allowed(business, campaign)
    body, subject = clean(body, subject, use_email)
    planned = plan(business, campaign, use_email)
    tally = {"queued": 0, "held": 0, "skipped": dict(planned.skipped), "already": planned.already}
    actor_id = actor.id if actor is not None and getattr(actor, "is_authenticated", False) else None
    for contact, reason in planned.skips:  # recorded too: the page says why, and a later click skips them again
        if _claim(campaign, contact, None, reason, actor_id) is not None:
            db.session.commit()
    for channel, pairs in (("sms", planned.sms), ("email", planned.email)):
        for _, contact in pairs:
            outcome = _send_one(business, campaign, contact, channel, body, subject, actor, actor_id)
            if outcome in ("queued", "held"):
                tally[outcome] += 1
            elif outcome == "already":
                tally["already"] += 1
            else:
                tally["skipped"][outcome] = tally["skipped"].get(outcome, 0) + 1
    audit("campaign.message_follow_up", business=business, actor=actor, target_type="campaign",
          target_id=campaign.id, target_label=campaign.name,
          after={"queued": tally["queued"], "held": tally["held"], "skipped": sum(tally["skipped"].values()),
                 "email": use_email})
    db.session.commit()
    return tally


def _claim(campaign, contact, channel, skip_reason, actor_id) -> MessageFollowUp | None:
    """The contact's row for this campaign, or None when another request already made it."""
    row = MessageFollowUp(campaign_id=campaign.id, contact_id=contact.id, channel=channel, skip_reason=skip_reason,
                          sent_by_user_id=actor_id)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    return row


def _send_one(business, campaign, contact, channel, body, subject, actor, actor_id) -> str:
    row = _claim(campaign, contact, channel, None, actor_id)
    if row is None:
        return "already"
    try:
        draft = check_draft(business, contact, channel, body, subject if channel == "email" else None)
        message = queue_message(business, contact, draft, purpose=MessagePurpose.CAMPAIGN, actor=actor)
    except DraftError as exc:
        row.skip_reason = "allowance" if "allowance" in " ".join(exc.errors.values()) else (
            "do_not_contact" if "do-not-contact" in exc.errors.get("channel", "") else "message")
        db.session.commit()
        return row.skip_reason
    row.message_id = message.id
    db.session.commit()
    return "held" if message.status == MessageState.HELD else "queued"


@dataclass(frozen=True)
class Progress:
    total: int
    by_status: dict  # message status -> count
    skipped: dict  # reason -> count
    last_sent_at: object
    sent_by: str | None


def progress(campaign: Campaign) -> Progress | None:
    rows = db.session.scalars(select(MessageFollowUp).where(MessageFollowUp.campaign_id == campaign.id)
                              .order_by(MessageFollowUp.created_at)).all()
    if not rows:
        return None
    by_status, skipped = {}, {}
    for row in rows:
        if row.skip_reason:
            skipped[row.skip_reason] = skipped.get(row.skip_reason, 0) + 1
        elif row.message is not None:
            by_status[row.message.status] = by_status.get(row.message.status, 0) + 1
    from app.models import User

    last = rows[-1]
    user = db.session.get(User, last.sent_by_user_id) if last.sent_by_user_id else None
    return Progress(len(rows), by_status, skipped, last.created_at, user.email if user else None)
