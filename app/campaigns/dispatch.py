"""Dispatch: claim due targets atomically, check eligibility at dial time,
record one ledger row per (target, attempt) before 4calls hears of it, then
send the dial under that row's key.

Exactly once per attempt:
* a claim is `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL and a
  conditional UPDATE (status and attempts as read) on SQLite, so two
  dispatchers never claim the same target;
* the ledger row's unique (target, attempt) and `dial_key` are committed
  before the request, and 4calls never places a second call for a key, so
  a retry, a crash before the answer or a re-send by reconciliation cannot
  double a dial;
* a dial whose answer was lost stays `requested` and reconciliation asks
  4calls for it by key (app/campaigns/results.py).

Eligibility (window in the contact's zone, do-not-call, consent, minutes,
pause) is decided here, at dial time, never only at creation.
"""
from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.campaigns import windows
from app.campaigns.purposes import needs_consent
from app.contacts.consent import consented_contact_ids
from app.extensions import db
from app.assistant.connection import organization_client
from app.fourcalls.errors import Conflict, FourCallsError, NotFound, ValidationError
from app.models import (Campaign, CampaignDial, CampaignStatus, CampaignTarget, DialState, DoNotContactChannel,
                        DoNotContactEntry, DoNotContactSource, SkipReason, TargetStatus)
from app.models.base import utcnow
from app.usage.services import OUTBOUND_MINUTES, check_usage_limit

log = logging.getLogger(__name__)
CLAIM_SCAN = 200  # targets looked at per claim round (out-of-window ones are rescheduled, not claimed)


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    unsent: int = 0
    rescheduled: int = 0
    skipped: dict = field(default_factory=dict)
    state: str = ""


def dial_key(target_id, attempt: int) -> str:
    return f"{target_id}:{attempt}"


def _blocked_numbers(business_id) -> dict[str, str]:
    """Active do-not-call numbers and why (an opt-out on a call, or any other listing)."""
    rows = db.session.execute(select(DoNotContactEntry.value, DoNotContactEntry.source).where(
        DoNotContactEntry.business_id == business_id, DoNotContactEntry.channel == DoNotContactChannel.PHONE,
        DoNotContactEntry.lifted_at.is_(None))).all()
    return {value: (SkipReason.OPTED_OUT if source == DoNotContactSource.CALL_OPT_OUT else SkipReason.DO_NOT_CALL)
            for value, source in rows}


def _due_candidates(campaign: Campaign, now, limit: int, exclude: set) -> list[CampaignTarget]:
    query = (select(CampaignTarget)
             .where(CampaignTarget.campaign_id == campaign.id,
                    CampaignTarget.status.in_(TargetStatus.WAITING),
                    (CampaignTarget.next_attempt_at.is_(None)) | (CampaignTarget.next_attempt_at <= now))
             .order_by(CampaignTarget.next_attempt_at.is_not(None), CampaignTarget.next_attempt_at,
                       CampaignTarget.position)
             .limit(limit))
    if exclude:
        query = query.where(CampaignTarget.id.not_in(list(exclude)))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query))


def _conditional(target: CampaignTarget, **values) -> bool:
    """Write `values` only if the target is still as we read it (SQLite's claim)."""
    values.setdefault("updated_at", utcnow())
    result = db.session.execute(
        update(CampaignTarget)
        .where(CampaignTarget.id == target.id, CampaignTarget.status == target.status,
               CampaignTarget.attempts == target.attempts)
        .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def claim_due_targets(campaign: Campaign, capacity: int, report: DispatchReport) -> list[CampaignDial]:
    """Claim up to `capacity` dialable targets and write their ledger rows; commits."""
    now = utcnow()
    blocked = _blocked_numbers(campaign.business_id)
    consent_needed = needs_consent(campaign.purpose)
    claimed: list[CampaignDial] = []
    looked_at: set = set()
    while len(claimed) < capacity:
        candidates = _due_candidates(campaign, now, CLAIM_SCAN, looked_at)
        if not candidates:
            break
        looked_at.update(t.id for t in candidates)
        consented = consented_contact_ids(campaign.business_id, [t.contact_id for t in candidates]) \
            if consent_needed else None
        for target in candidates:
            if target.phone in blocked:
                reason = blocked[target.phone]
                if _conditional(target, status=TargetStatus.SKIPPED, skip_reason=reason, next_attempt_at=None,
                                finished_at=now):
                    report.skipped[reason] = report.skipped.get(reason, 0) + 1
                continue
            if consented is not None and target.contact_id not in consented:
                if _conditional(target, status=TargetStatus.SKIPPED, skip_reason=SkipReason.NO_CONSENT,
                                next_attempt_at=None, finished_at=now):
                    report.skipped[SkipReason.NO_CONSENT] = report.skipped.get(SkipReason.NO_CONSENT, 0) + 1
                continue
            opening = windows.next_opening(campaign, target.zone, now)
            if opening is None:
                if _conditional(target, status=TargetStatus.SKIPPED, skip_reason=SkipReason.OUTSIDE_WINDOW,
                                next_attempt_at=None, finished_at=now):
                    report.skipped[SkipReason.OUTSIDE_WINDOW] = report.skipped.get(SkipReason.OUTSIDE_WINDOW, 0) + 1
                continue
            if opening > now:
                if _conditional(target, status=TargetStatus.SCHEDULED, next_attempt_at=opening):
                    report.rescheduled += 1
                continue
            if len(claimed) >= capacity:
                continue
            attempt = target.attempts + 1
            if not _conditional(target, status=TargetStatus.DIALLING, attempts=attempt, next_attempt_at=None):
                continue  # another dispatcher took it
            dial = CampaignDial(campaign_id=campaign.id, target_id=target.id, attempt=attempt,
                                dial_key=dial_key(target.id, attempt), state=DialState.REQUESTED, requested_at=now)
            try:
                with db.session.begin_nested():
                    db.session.add(dial)
            except IntegrityError:
                continue  # this attempt already has its dial
            claimed.append(dial)
        db.session.commit()
    report.claimed += len(claimed)
    return claimed


def dial_payload(campaign: Campaign, target: CampaignTarget, dial: CampaignDial) -> dict:
    contact = target.contact
    payload = {"dial_key": dial.dial_key, "phone": target.phone, "name": target.name or None,
               "opening": campaign.opening, "goal": campaign.goal,
               "voicemail": {"action": campaign.voicemail_action, "message": campaign.voicemail_message}}
    if contact is not None and contact.remote_id:
        payload["contact_id"] = contact.remote_id
    if campaign.coordinator and campaign.coordinator.fourcalls_id:
        payload["coordinator_id"] = campaign.coordinator.fourcalls_id
    return payload


SEND_THREADS = 8  # dial requests in flight at once (HTTP only; the database is written on this thread)


def send_dials(client, campaign: Campaign, dials: list[CampaignDial]) -> int:
    """POST each dial under its key, several at a time; returns how many 4calls confirmed."""
    if not dials:
        return 0
    targets = {t.id: t for t in db.session.scalars(select(CampaignTarget).where(
        CampaignTarget.id.in_([d.target_id for d in dials])))}
    payloads = [dial_payload(campaign, targets[d.target_id], d) for d in dials]

    def post(payload):
        try:
            return client.create_dial(campaign.remote_id, payload)
        except FourCallsError as exc:
            return exc

    if len(dials) == 1:
        answers = [post(payloads[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(SEND_THREADS, len(dials))) as pool:
            answers = list(pool.map(post, payloads))
    return sum(1 for dial, answer in zip(dials, answers) if record_answer(campaign, targets[dial.target_id], dial, answer))


def send_dial(client, campaign: Campaign, dial: CampaignDial) -> bool:
    return send_dials(client, campaign, [dial]) == 1


def record_answer(campaign: Campaign, target: CampaignTarget, dial: CampaignDial, answer) -> bool:
    """4calls' answer to a dial request. A lost answer leaves it `requested` for reconciliation;
    a refusal (invalid number, ...) ends the attempt as failed without a call."""
    from app.campaigns.results import apply_dial, finish_without_call

    if isinstance(answer, (ValidationError, NotFound, Conflict)):
        dial.state, dial.error = DialState.REJECTED, str(answer)[:500]
        finish_without_call(campaign, target, dial)
        db.session.commit()
        return False
    if isinstance(answer, Exception):
        dial.error = f"not confirmed yet: {answer}"[:500]
        db.session.commit()
        return False
    remote = answer
    dial.remote_id, dial.sent_at, dial.error = remote["id"], utcnow(), None
    if dial.state == DialState.REQUESTED:
        dial.state = DialState.ACCEPTED
    db.session.commit()
    if remote.get("status") == "completed":
        apply_dial(campaign.business, remote)
    return True


def ensure_remote_campaign(client, campaign: Campaign) -> None:
    """The 4calls campaign the dials belong to (per_target: 4calls never schedules it)."""
    if campaign.remote_id:
        return
    remote = client.create_campaign(client.organization_id, {
        "name": campaign.name, "coordinator_id": campaign.coordinator.fourcalls_id,
        "dispatch": "per_target", "script": campaign.opening}, idempotency_key=f"campaign:{campaign.id}")
    campaign.remote_id = remote["id"]
    db.session.commit()


def dialling_count(campaign: Campaign) -> int:
    return db.session.scalar(select(func.count()).select_from(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign.id, CampaignTarget.status == TargetStatus.DIALLING)) or 0


def waiting_count(campaign: Campaign) -> int:
    return db.session.scalar(select(func.count()).select_from(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign.id,
        CampaignTarget.status.in_((*TargetStatus.WAITING, TargetStatus.DIALLING)))) or 0


def dispatch(campaign_id, client=None) -> DispatchReport:
    """One dispatch round for a campaign: reconcile, check pause/minutes/end, claim and dial."""
    from app.campaigns.lifecycle import finish_if_done, pause_for_minutes, start_if_due
    from app.campaigns.results import reconcile

    report = DispatchReport()
    campaign = db.session.get(Campaign, uuid.UUID(str(campaign_id)))
    if campaign is None:
        report.state = "missing"
        return report
    start_if_due(campaign)
    if campaign.status == CampaignStatus.CANCELLED and dialling_count(campaign):
        reconcile(campaign, client or organization_client(campaign.business))  # calls in progress still finish
    if campaign.status not in (CampaignStatus.RUNNING, CampaignStatus.PAUSED):
        report.state = campaign.status
        return report
    client = client or organization_client(campaign.business)
    reconcile(campaign, client)  # results are collected even while paused: calls in progress finish
    if campaign.status == CampaignStatus.PAUSED or finish_if_done(campaign):
        report.state = campaign.status
        return report
    if not check_usage_limit(campaign.business, OUTBOUND_MINUTES, 1):
        pause_for_minutes(campaign)
        report.state = campaign.status
        return report
    capacity = campaign.concurrency - dialling_count(campaign)
    if capacity > 0:
        ensure_remote_campaign(client, campaign)
        claimed = claim_due_targets(campaign, capacity, report)
        report.sent = send_dials(client, campaign, claimed)
        report.unsent = len(claimed) - report.sent
    finish_if_done(campaign)
    report.state = campaign.status
    return report
