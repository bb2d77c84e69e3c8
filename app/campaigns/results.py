"""Dial results: from the `campaign.target.completed` webhook, from the
answer to a dial request, or from reconciliation (asking 4calls by key for
every dial still open). All three meet in `apply_dial`, which is idempotent:
a dial completes once, so duplicates and late or out-of-order deliveries
change nothing."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from app.do_not_contact.opt_outs import note_call_opt_out
from app.extensions import db
from app.fourcalls.errors import FourCallsError
from app.models import Campaign, CampaignDial, CampaignTarget, DialState, TargetStatus, WebhookEvent
from app.models.base import utcnow
from app.crm_sync.upserts import apply_remote_calls

log = logging.getLogger(__name__)
LOOKUP_BATCH = 200  # dial keys asked about per request
RESULT_STATUS = {"answered": TargetStatus.ANSWERED, "voicemail": TargetStatus.VOICEMAIL,
                 "no_answer": TargetStatus.NO_ANSWER, "busy": TargetStatus.BUSY, "failed": TargetStatus.FAILED}


def _dial_for(business, dial_key: str) -> CampaignDial | None:
    return db.session.scalar(select(CampaignDial).join(Campaign, Campaign.id == CampaignDial.campaign_id)
                             .where(CampaignDial.dial_key == dial_key, Campaign.business_id == business.id))


def _retry_delay(campaign: Campaign, attempt: int) -> timedelta:
    delays = campaign.retry_delays_minutes or [60]
    return timedelta(minutes=delays[min(attempt - 1, len(delays) - 1)])


def _settle_target(campaign: Campaign, target: CampaignTarget, dial: CampaignDial) -> None:
    """The target's next state after this attempt: final, or a retry after the escalating delay
    (the window is applied when the retry comes due)."""
    if target.status != TargetStatus.DIALLING or target.attempts != dial.attempt:
        return  # a stale result for an earlier attempt: the ledger keeps it, the target has moved on
    now = utcnow()
    result = dial.result or "failed"
    target.outcome = dial.outcome
    target.talk_seconds += dial.duration_seconds
    target.call_remote_id = dial.call_remote_id or target.call_remote_id
    target.updated_at = now
    retry = (result in (campaign.retry_results or []) and not target.opted_out
             and target.attempts < campaign.max_attempts)
    if retry:
        target.status = TargetStatus.SCHEDULED
        target.next_attempt_at = now + _retry_delay(campaign, dial.attempt)
    else:
        target.status = RESULT_STATUS.get(result, TargetStatus.FAILED)
        target.next_attempt_at = None
        target.finished_at = now


def finish_without_call(campaign: Campaign, target: CampaignTarget, dial: CampaignDial) -> None:
    """4calls refused the dial (no call was placed): the attempt ends as failed."""
    dial.result, dial.completed_at = "failed", utcnow()
    if target.status == TargetStatus.DIALLING and target.attempts == dial.attempt:
        target.status, target.finished_at, target.next_attempt_at = TargetStatus.FAILED, utcnow(), None


def apply_dial(business, remote: dict) -> str:
    """Apply a 4calls Dial; returns what happened (for the webhook log)."""
    dial = _dial_for(business, str(remote.get("dial_key") or ""))
    if dial is None:
        return "ignored_unknown_dial"
    if dial.state == DialState.COMPLETED:
        return "duplicate"
    if remote.get("id"):
        dial.remote_id = remote["id"]
    if remote.get("status") != "completed":
        if dial.state == DialState.REQUESTED:
            dial.state = DialState.ACCEPTED
        db.session.commit()
        return "accepted"
    campaign = db.session.get(Campaign, dial.campaign_id)
    target = db.session.get(CampaignTarget, dial.target_id)
    call = remote.get("call") if isinstance(remote.get("call"), dict) else None
    if call and call.get("id"):
        apply_remote_calls(business, [call])  # call log, contact timeline, outbound minutes, opt-out words
    dial.state, dial.completed_at, dial.error = DialState.COMPLETED, utcnow(), None
    dial.result = remote.get("result") if remote.get("result") in RESULT_STATUS else "failed"
    dial.outcome = remote.get("outcome")
    dial.duration_seconds = int(remote.get("duration_seconds") or 0)
    dial.call_remote_id = remote.get("call_id")
    if call and note_call_opt_out(business, call, flagged=bool(remote.get("opted_out"))):
        target.opted_out = True
    _settle_target(campaign, target, dial)
    db.session.commit()
    from app.campaigns.jobs import queue_dispatch

    queue_dispatch(campaign.id)
    return "applied"


def reconcile(campaign: Campaign, client) -> int:
    """Ask 4calls about every open dial of the campaign: apply finished ones,
    re-send (under the same key) those it never received. Returns dials settled."""
    from app.campaigns.dispatch import send_dials

    settled = 0
    open_dials = db.session.scalars(select(CampaignDial).where(
        CampaignDial.campaign_id == campaign.id, CampaignDial.state.in_(DialState.OPEN)
    ).order_by(CampaignDial.requested_at)).all()
    if not open_dials or not campaign.remote_id:
        return 0
    found: dict[str, dict] = {}
    for start in range(0, len(open_dials), LOOKUP_BATCH):
        keys = [d.dial_key for d in open_dials[start:start + LOOKUP_BATCH]]
        try:
            found.update(client.find_dials(campaign.remote_id, keys))
        except FourCallsError as exc:
            log.info("reconcile %s: 4calls did not answer (%s)", campaign.id, exc)
            return settled  # nothing is re-sent on a guess: the next round asks again
    never_received = []
    for dial in open_dials:
        remote = found.get(dial.dial_key)
        if remote is None:
            never_received.append(dial)
        elif apply_dial(campaign.business, remote) == "applied":
            settled += 1
    send_dials(client, campaign, never_received)  # the same keys: 4calls cannot place them twice
    return settled


def apply_dial_event(event: WebhookEvent) -> str:
    """`campaign.target.completed` webhook handler."""
    from app.models import Business

    business = db.session.get(Business, event.business_id) if event.business_id else None
    if business is None:
        return "ignored_unknown_organization"
    data = (event.payload or {}).get("data") or {}
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not obj.get("dial_key"):
        return "invalid_object"
    return apply_dial(business, obj)
