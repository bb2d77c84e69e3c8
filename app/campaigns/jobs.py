"""Campaign jobs: one dispatch job per campaign (unique job id, so never two
at once for the same campaign from this queue) and a sweep that starts due
campaigns, retries that came due, resumes those whose minutes returned and
enrols new segment members into auto-enrolling campaigns."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from app.extensions import db
from app.jobs import enqueue
from app.jobs.records import recorded_run
from app.models import Campaign, CampaignStatus


def queue_dispatch(campaign_id) -> None:
    enqueue(dispatch_campaign_job, str(campaign_id), job_id=f"campaign-dispatch:{campaign_id}")


def dispatch_campaign_job(campaign_id: str) -> None:
    from app.campaigns.dispatch import dispatch

    campaign = db.session.get(Campaign, uuid.UUID(campaign_id))
    if campaign is None:
        return
    with recorded_run("campaign_dispatch", campaign.business_id) as run:
        report = dispatch(campaign_id)
        run.counts = {"claimed": report.claimed, "sent": report.sent, "unsent": report.unsent,
                      "rescheduled": report.rescheduled, **{f"skipped_{k}": v for k, v in report.skipped.items()}}


def sweep_campaigns() -> int:
    """Every minute: queue a dispatch for each live campaign (due retries and windows
    opening, lost results to reconcile), after resuming those whose minutes returned."""
    from app.campaigns.audience import enrol
    from app.campaigns.lifecycle import resume_where_minutes_returned
    from app.campaigns.services import rules_of

    resume_where_minutes_returned()
    from app.models import CampaignDial, DialState

    open_dials = select(CampaignDial.id).where(CampaignDial.campaign_id == Campaign.id,
                                               CampaignDial.state.in_(DialState.OPEN)).exists()
    campaigns = db.session.scalars(select(Campaign).where(
        Campaign.status.in_((CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.PAUSED))
        | ((Campaign.status == CampaignStatus.CANCELLED) & open_dials))).all()
    for campaign in campaigns:
        if campaign.auto_enrol and campaign.status == CampaignStatus.RUNNING and campaign.audience_source == "segment":
            enrol(campaign, rules_of(campaign))
            db.session.commit()
        queue_dispatch(campaign.id)
    return len(campaigns)
