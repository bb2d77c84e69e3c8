"""Inviting people to a business, changing their roles and removing them.

Every change is audited in the same transaction. A business always keeps at
least one owner: the business row is locked while owners are counted, so two
owners demoting each other at once cannot both succeed.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import url_for
from sqlalchemy import select

from app.audit.services import record
from app.auth.services import find_user_by_email, normalise_email
from app.extensions import db
from app.mail import send_email
from app.models import Business, Invitation, Membership, Role, User
from app.models.base import utcnow
from app.teams.access import forget_roles

INVITATION_DAYS = 7


class TeamError(Exception):
    """A change the rules refuse; the message is for the owner."""


@dataclass
class Member:
    user: User
    role: str
    is_account_holder: bool  # the account that claimed the business and pays for it


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def members(business: Business) -> list[Member]:
    rows = db.session.execute(
        select(Membership, User).join(User, User.id == Membership.user_id).where(Membership.business_id == business.id)
    ).all()
    found = {user.id: Member(user, membership.role, user.id == business.owner_id) for membership, user in rows}
    if business.owner_id and business.owner_id not in found:
        holder = db.session.get(User, business.owner_id)
        if holder is not None:
            found[holder.id] = Member(holder, Role.OWNER, True)
    order = {Role.OWNER: 0, Role.MANAGER: 1, Role.STAFF: 2}
    return sorted(found.values(), key=lambda m: (order.get(m.role, 9), m.user.name.lower()))


def pending_invitations(business: Business) -> list[Invitation]:
    return list(db.session.scalars(
        select(Invitation).where(
            Invitation.business_id == business.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        ).order_by(Invitation.created_at.desc())
    ))


def invite(business: Business, *, email: str, role: str, actor: User) -> Invitation:
    """Queue an invitation mail; an earlier open invitation to the same address is replaced."""
    if role not in Role.ALL:
        raise TeamError("Choose a role.")
    email = normalise_email(email)
    existing = find_user_by_email(email)
    if existing is not None and any(m.user.id == existing.id for m in members(business)):
        raise TeamError(f"{email} is already on the team.")
    for old in pending_invitations(business):
        if old.email == email:
            old.revoked_at = utcnow()
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        business_id=business.id, email=email, role=role, token_hash=token_hash(token),
        invited_by_id=actor.id, expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    db.session.flush()
    send_email(
        email, "team/invitation", business=business, idempotency_key=f"invitation:{invitation.id}",
        inviter=actor, role_label=Role.LABELS[role], days=INVITATION_DAYS,
        link=url_for("team.accept", token=token, _external=True),
    )
    record("team.invited", business=business, actor=actor, target_type="invitation", target_id=invitation.id,
           target_label=email, after={"email": email, "role": role})
    db.session.commit()
    return invitation


def revoke_invitation(business: Business, invitation_id, *, actor: User) -> None:
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.business_id == business.id)
    )
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        raise TeamError("That invitation is no longer open.")
    invitation.revoked_at = utcnow()
    record("team.invitation_revoked", business=business, actor=actor, target_type="invitation",
           target_id=invitation.id, target_label=invitation.email)
    db.session.commit()


def open_invitation(token: str) -> Invitation | None:
    """The invitation behind a link, if it can still be accepted."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token or "")))
    if invitation is None or invitation.accepted_at or invitation.revoked_at or invitation.expires_at <= utcnow():
        return None
    return invitation


def accept(invitation: Invitation, user: User) -> Business:
    """Add the business to the user's account with the invited role (single use)."""
    business = invitation.business
    claimed = db.session.execute(
        Invitation.__table__.update()
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .values(accepted_at=utcnow())
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise TeamError("This invitation has already been used.")
    if not user.is_verified and normalise_email(user.email) == invitation.email:
        # Following the link proves the address is theirs.
        user.email_verified_at = utcnow()
    current = _membership(business, user)
    holder = business.owner_id == user.id
    if current is None and not holder:
        db.session.add(Membership(business_id=business.id, user_id=user.id, role=invitation.role))
    record("team.joined", business=business, actor=user, target_type="user", target_id=user.id,
           target_label=user.email, after={"role": invitation.role})
    db.session.commit()
    return business


def change_role(business: Business, user_id, role: str, *, actor: User) -> None:
    if role not in Role.ALL:
        raise TeamError("Choose a role.")
    _lock(business)
    member = _member(business, user_id)
    if member.role == role:
        return
    if member.role == Role.OWNER and role != Role.OWNER:
        _keep_an_owner(business, leaving=member)
    membership = _materialise(business, member)
    membership.role = role
    forget_roles()
    record("team.role_changed", business=business, actor=actor, target_type="user", target_id=member.user.id,
           target_label=member.user.email, before={"role": member.role}, after={"role": role})
    db.session.commit()


def remove(business: Business, user_id, *, actor: User) -> None:
    _lock(business)
    member = _member(business, user_id)
    if member.role == Role.OWNER:
        _keep_an_owner(business, leaving=member)
    membership = _membership(business, member.user)
    if membership is not None:
        db.session.delete(membership)
    record("team.removed", business=business, actor=actor, target_type="user", target_id=member.user.id,
           target_label=member.user.email, before={"role": member.role})
    db.session.commit()
    forget_roles()


def _lock(business: Business) -> None:
    db.session.execute(select(Business.id).where(Business.id == business.id).with_for_update())


def _member(business: Business, user_id) -> Member:
    for member in members(business):
        if member.user.id == user_id:
            return member
    raise TeamError("That person is not on the team.")


def _membership(business: Business, user: User) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.business_id == business.id, Membership.user_id == user.id)
    )


def _materialise(business: Business, member: Member) -> Membership:
    membership = _membership(business, member.user)
    if membership is None:
        membership = Membership(business_id=business.id, user_id=member.user.id, role=member.role)
        db.session.add(membership)
    return membership


def _keep_an_owner(business: Business, *, leaving: Member) -> None:
    """Refuse to lose the last owner; when the account holder steps down, the
    account (billing, 4calls) passes to another owner."""
    others = [m for m in members(business) if m.role == Role.OWNER and m.user.id != leaving.user.id]
    if not others:
        raise TeamError("A business needs at least one owner. Make someone else an owner first.")
    if leaving.is_account_holder:
        _materialise(business, others[0])
        business.owner_id = others[0].user.id
