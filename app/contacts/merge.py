"""Merging duplicate contacts (advanced CRM).

`merge_plan` is the preview: the value kept for each detail (the owner may pick
another contact's), tags and custom fields combined, and how many calls,
appointments, leads, messages and consents move. `merge` applies it in one
transaction: everything moves to the kept contact, the others become
tombstones pointing at it (`merged_into_id`), and both are pushed to 4calls
(the kept contact updated, the others deleted), so nothing is half-merged.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from app.contacts import services
from app.extensions import db
from app.models import (Appointment, Call, CampaignTarget, ChatConversation, Contact, ContactConsent, ContactMessage,
                        ContactTag, Lead, TakenMessage, TextBack)
from app.models.base import utcnow
from app.web import parse_uuid

MAX_CONTACTS = 5
CHOSEN_FIELDS = ("name", "phone", "email")
# What moves to the kept contact, with the words the preview uses.
MOVED = ((Call, "call", "calls"), (Appointment, "appointment", "appointments"), (Lead, "lead", "leads"),
         (ContactMessage, "message", "messages"), (ContactConsent, "consent record", "consent records"),
         (ChatConversation, "chat", "chats"), (TakenMessage, "message taken", "messages taken"),
         (TextBack, "missed-call text", "missed-call texts"))


class MergeError(ValueError):
    pass


@dataclass
class MergePlan:
    kept: Contact
    others: list
    values: dict = field(default_factory=dict)  # field -> value kept
    choices: dict = field(default_factory=dict)  # field -> [(contact id, value)] to choose from
    tags: list = field(default_factory=list)
    custom_fields: dict = field(default_factory=dict)
    notes: str | None = None
    moves: dict = field(default_factory=dict)  # plural label -> count

    @property
    def moves_text(self) -> list[str]:
        """["1 call", "2 appointments"] in MOVED order."""
        from app.wording import plural

        return [plural(self.moves[many], one, many) for _model, one, many in MOVED if many in self.moves]

    @property
    def contacts(self) -> list:
        return [self.kept, *self.others]


def load_group(business, ids) -> list[Contact]:
    """The business's live contacts with these ids, in the order given; MergeError otherwise."""
    keys = []
    for raw in ids:
        key = parse_uuid(raw)
        if key is None:
            raise MergeError("One of the contacts to merge does not exist.")
        if key not in keys:
            keys.append(key)
    if len(keys) < 2:
        raise MergeError("Choose at least two contacts to merge.")
    if len(keys) > MAX_CONTACTS:
        raise MergeError(f"Merge at most {MAX_CONTACTS} contacts at once.")
    found = {c.id: c for c in db.session.scalars(services.live_contacts(business).where(Contact.id.in_(keys))
                                                  .execution_options(populate_existing=True))}
    if len(found) != len(keys):
        raise MergeError("One of the contacts was deleted or merged meanwhile. Check the duplicates again.")
    return [found[k] for k in keys]


def merge_plan(business, contacts: list[Contact], kept_id=None, picks: dict | None = None) -> MergePlan:
    """What a merge keeps. `picks` maps a detail to the id of the contact whose value wins."""
    kept = next((c for c in contacts if str(c.id) == str(kept_id)), contacts[0])
    others = [c for c in contacts if c is not kept]
    plan = MergePlan(kept=kept, others=others)
    for name in CHOSEN_FIELDS:
        options = [(c.id, getattr(c, name)) for c in plan.contacts if getattr(c, name)]
        plan.choices[name] = options
        picked = next((v for cid, v in options if str(cid) == str((picks or {}).get(name))), None)
        if (picks or {}).get(name) and picked is None:
            raise MergeError(f"Choose the {name} from one of the contacts being merged.")
        plan.values[name] = picked or (options[0][1] if options else None)
    plan.tags = services.clean_tags([t for c in plan.contacts for t in c.tag_names])[:50]
    for contact in reversed(plan.contacts):  # the kept contact's values win, then the earlier others'
        plan.custom_fields.update({k: v for k, v in (contact.custom_fields or {}).items() if v is not None})
    plan.notes = _combined_notes(plan)
    ids = [c.id for c in others]
    for model, _one, many in MOVED:
        count = db.session.scalar(select(func.count()).select_from(model)
                                  .where(model.business_id == business.id, model.contact_id.in_(ids))) or 0
        if count:
            plan.moves[many] = count
    return plan


def _combined_notes(plan: MergePlan) -> str | None:
    parts = [plan.kept.notes] if plan.kept.notes else []
    for other in plan.others:
        kept_values = {str(v).lower() for v in plan.values.values() if v}
        lost = [v for v in (other.phone, other.email) if v and v.lower() not in kept_values]
        lines = [f"Merged from {other.name or other.phone or other.email}"
                 + (f" (also reachable at {', '.join(lost)})" if lost else "") + ":"]
        if other.notes:
            lines.append(other.notes)
        if other.notes or lost:
            parts.append("\n".join(lines))
    text = "\n\n".join(parts).strip()
    return text[:10000] or None


def merge(business, plan: MergePlan, actor=None) -> Contact:
    """Apply the plan in one transaction, then queue the 4calls pushes."""
    kept, others, now = plan.kept, plan.others, utcnow()
    ids = [c.id for c in others]
    try:
        if not kept.remote_id:  # keep 4calls' history: the kept contact takes over a duplicate's 4calls record
            donor = next((c for c in others if c.remote_id), None)
            if donor is not None:
                remote_id, donor.remote_id = donor.remote_id, None
                db.session.flush()  # free the remote id first: it is unique per business
                kept.remote_id = remote_id
        for other in others:
            other.deleted_at, other.merged_into_id = now, kept.id
            services.mark_pending(other)
        db.session.flush()
        # Earlier merges into a contact merged now follow it to the kept one.
        # Each UPDATE names the business: the dashboard's change mark moves for it alone.
        db.session.execute(update(Contact).where(Contact.business_id == kept.business_id, Contact.merged_into_id.in_(ids))
                           .values(merged_into_id=kept.id)
                           .execution_options(synchronize_session=False))
        for model, _one, _many in MOVED:
            db.session.execute(update(model).where(model.business_id == kept.business_id, model.contact_id.in_(ids))
                               .values(contact_id=kept.id)
                               .execution_options(synchronize_session=False))
        _move_campaign_targets(kept, ids)
        for name in CHOSEN_FIELDS:
            setattr(kept, name, plan.values[name])
        kept.custom_fields = dict(plan.custom_fields)
        kept.notes = plan.notes
        moments = [c.last_interaction_at for c in plan.contacts if c.last_interaction_at]
        kept.last_interaction_at = max(moments) if moments else None
        have = set(kept.tag_names)
        for tag in plan.tags:
            if tag not in have:
                kept.tags.append(ContactTag(tag=tag, business_id=business.id))
        services.mark_pending(kept)
        services.count_contacts(business, -len(others))
        from app.audit.services import record
        from app.integrations.wiring import emit_contact_change

        record("contacts.merged", business=business, actor=actor, target_type="contact", target_id=kept.id,
               target_label=kept.name or kept.phone or kept.email,
               before={"merged": [{"id": str(c.id), "name": c.name, "phone": c.phone, "email": c.email} for c in others]},
               after={"name": kept.name, "phone": kept.phone, "email": kept.email, "moved": plan.moves})
        emit_contact_change(kept)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for contact in (kept, *others):
        services.queue_push(contact)
    return kept


def _move_campaign_targets(kept: Contact, ids: list) -> None:
    """A duplicate's campaign targets move unless the kept contact is already in that
    campaign (one target per contact and campaign); those stay with the tombstone as history."""
    for other_id in ids:
        already = select(CampaignTarget.campaign_id).where(CampaignTarget.contact_id == kept.id)
        db.session.execute(update(CampaignTarget)
                           .where(CampaignTarget.contact_id == other_id, CampaignTarget.campaign_id.not_in(already))
                           .values(contact_id=kept.id).execution_options(synchronize_session=False))
