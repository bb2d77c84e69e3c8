"""Transitions the system makes by itself: a scheduled start, the end of a
campaign, a pause when outbound minutes run out and the resume when they
are available again (renewal or upgrade)."""
from __future__ import annotations

from sqlalchemy import select

from app.audit.services import record as audit
from app.campaigns.dispatch import waiting_count
from app.campaigns.services import skip_waiting
from app.extensions import db
from app.models import Campaign, CampaignStatus, SkipReason
from app.models.base import utcnow
from app.usage.services import OUTBOUND_MINUTES, check_usage_limit


def _system_change(campaign: Campaign, status: str, action: str, **extra) -> None:
    before = campaign.status
    campaign.status = status
    audit(f"campaign.{action}", business=campaign.business, target_type="campaign", target_id=campaign.id,
          target_label=campaign.name, before={"status": before}, after={"status": status, "by": "system", **extra})


def start_if_due(campaign: Campaign) -> None:
    if campaign.status == CampaignStatus.SCHEDULED and campaign.starts_at <= utcnow():
        _system_change(campaign, CampaignStatus.RUNNING, "started")
        db.session.commit()


def finish_if_done(campaign: Campaign) -> bool:
    """Complete a running campaign whose targets are all final, or whose end
    has passed (waiting targets are then skipped as outside the window)."""
    if campaign.status not in (CampaignStatus.RUNNING, CampaignStatus.PAUSED):
        return False
    if campaign.ends_at is not None and utcnow() >= campaign.ends_at:
        skip_waiting(campaign, SkipReason.OUTSIDE_WINDOW)
        db.session.flush()
    if waiting_count(campaign):
        db.session.commit()
        return False
    campaign.finished_at = utcnow()
    campaign.paused_reason = None
    _system_change(campaign, CampaignStatus.COMPLETED, "completed")
    db.session.commit()
    return True


def pause_for_minutes(campaign: Campaign) -> None:
    """100 % of the outbound minutes used: pause before the next dial, with a notice."""
    if campaign.status != CampaignStatus.RUNNING:
        return
    campaign.paused_reason = "minutes"
    _system_change(campaign, CampaignStatus.PAUSED, "paused", reason="minutes")
    db.session.commit()


def resume_where_minutes_returned(business_id=None) -> list:
    """Campaigns paused for minutes resume once the meter has room (a renewal
    opened a new period, or an upgrade raised the limit). Returns their ids."""
    query = select(Campaign).where(Campaign.status == CampaignStatus.PAUSED, Campaign.paused_reason == "minutes")
    if business_id is not None:
        query = query.where(Campaign.business_id == business_id)
    resumed = []
    for campaign in db.session.scalars(query).all():
        if check_usage_limit(campaign.business, OUTBOUND_MINUTES, 1):
            campaign.paused_reason = None
            _system_change(campaign, CampaignStatus.RUNNING, "resumed", reason="minutes available")
            resumed.append(campaign.id)
    db.session.commit()
    return resumed
