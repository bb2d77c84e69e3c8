"""Campaign dispatch against the 4calls sandbox: faults, windows in each
contact's zone, do-not-call added mid-run, outbound minutes."""
from __future__ import annotations

import random
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.campaigns.dispatch import dispatch
from app.campaigns.jobs import sweep_campaigns
from app.campaigns.services import launch
from app.do_not_contact.services import add as dnc_add
from app.extensions import db
from app.fourcalls.errors import FourCallsError
from app.models import AIServiceUsage, Campaign, CampaignDial, CampaignStatus, CampaignTarget, TargetStatus
from sandbox.fourcalls.testing import running_fourcalls
from tests.campaign_helpers import (add_contacts, chicago_noon, complete_dials, deliver_events, dial_ledger,
                                    new_campaign, provision_with_coordinator, sandbox_events)


@pytest.fixture(scope="module")
def fourcalls(tmp_path_factory):
    # Dials never finish by themselves here: tests complete them when they choose.
    with running_fourcalls(tmp_path_factory.mktemp("fourcalls-campaigns"), dial_seconds=3600, seed=11) as sandbox:
        yield sandbox


@pytest.fixture
def wired(use_fourcalls, factories, logged_in_owner, clock):
    use_fourcalls(FOURCALLS_MAX_ATTEMPTS=2, FOURCALLS_BACKOFF_BASE_SECONDS=0.001, FOURCALLS_MAX_RETRY_AFTER_SECONDS=0)
    clock.set(chicago_noon())
    business = factories.business(owner=logged_in_owner, name="Dial Salon", timezone="America/Chicago")
    organization, coordinator = provision_with_coordinator(business)
    return business, organization, coordinator


def targets_of(campaign) -> list[CampaignTarget]:
    db.session.expire_all()
    return list(db.session.scalars(select(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id)))


def run_round(campaign, fourcalls, org_id, client, delivered: dict, webhooks=True):
    try:
        dispatch(campaign.id)
    except FourCallsError:
        pass  # creating the 4calls campaign failed under faults; the next round tries again
    complete_dials(fourcalls)
    if webhooks:  # a third of the rounds lose their webhooks: reconciliation must find those results
        events, delivered["after"] = sandbox_events(fourcalls, org_id, after=delivered["after"])
        random.shuffle(events)  # out of order, each one twice, and some again later under a new event id
        deliver_events(client, events, times=2)
        deliver_events(client, [{**e, "id": e["id"] + "_redelivered"} for e in events[:3]])


@pytest.mark.slow
def test_500_targets_under_faults_all_final_no_doubles_none_lost(wired, fourcalls, client, clock, run_jobs):
    business, organization, coordinator = wired
    phones = [f"+1512555{n:04d}" for n in range(500)]
    add_contacts(business, phones)
    campaign = new_campaign(business, coordinator)
    assert launch(business, campaign) == 500
    run_jobs()
    delivered = {"after": 0}
    for round_number in range(400):
        fourcalls.set_faults(error_rate=0.3, drop_rate=0.05, phase="after" if round_number % 2 else "before",
                             rate_limit_burst={"every": 25, "length": 4, "retry_after": 1})
        run_round(campaign, fourcalls, organization["id"], client, delivered, webhooks=round_number % 3 != 0)
        run_jobs()
        db.session.expire_all()
        if db.session.get(Campaign, campaign.id).status == CampaignStatus.COMPLETED:
            break
        if round_number % 10 == 9:
            clock.advance(minutes=61)  # retries come due (still inside Chicago's window for hours)
            if clock.now.hour >= 2 and clock.now.hour < 14:
                clock.advance(hours=12)
    fourcalls.clear_faults()
    targets = targets_of(campaign)
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.COMPLETED
    assert len(targets) == 500 and all(t.status in TargetStatus.FINAL for t in targets)
    ledger = dial_ledger(fourcalls, organization["id"])
    per_key = Counter(d["dial_key"] for d in ledger)
    assert max(per_key.values()) == 1  # 0 doubled dials: one 4calls dial per (target, attempt)
    assert all(d["calls_for_call_id"] <= 1 for d in ledger)
    sandbox_per_target = Counter(d["dial_key"].split(":")[0] for d in ledger)
    for target in targets:  # 0 lost: every attempt reached 4calls and came back
        assert sandbox_per_target[str(target.id)] == target.attempts
    local = db.session.execute(select(CampaignDial.state, func.count()).where(
        CampaignDial.campaign_id == campaign.id).group_by(CampaignDial.state)).all()
    assert dict(local) == {"completed": len(ledger)} or set(dict(local)) <= {"completed", "rejected"}


def test_los_angeles_and_new_york_each_called_inside_their_own_window(wired, fourcalls, clock):
    business, organization, coordinator = wired
    add_contacts(business, ["+13105550101", "+12125550102"])  # Los Angeles, New York
    # 13:30 UTC: 08:30 in New York (before 09:00), 05:30 in Los Angeles.
    clock.set(chicago_noon().replace(hour=13, minute=30))
    campaign = new_campaign(business, coordinator, window_start="09:00", window_end="17:00")
    launch(business, campaign)
    seen = {}
    for _ in range(24 * 4):
        dispatch(campaign.id)
        for target in targets_of(campaign):
            if target.attempts and target.phone not in seen:
                seen[target.phone] = clock.now
        complete_dials(fourcalls)
        dispatch(campaign.id)
        clock.advance(minutes=15)
        if len(seen) == 2:
            break
    from zoneinfo import ZoneInfo
    ny = seen["+12125550102"].astimezone(ZoneInfo("America/New_York"))
    la = seen["+13105550101"].astimezone(ZoneInfo("America/Los_Angeles"))
    assert 9 <= ny.hour < 17 and 9 <= la.hour < 17
    assert seen["+12125550102"] < seen["+13105550101"]  # New York's window opens three hours earlier


def test_number_added_to_do_not_call_while_running_is_never_dialled(wired, fourcalls, clock):
    business, organization, coordinator = wired
    phones = [f"+1512555{n:04d}" for n in range(600, 620)]
    add_contacts(business, phones)
    campaign = new_campaign(business, coordinator, concurrency="2", max_attempts="1")
    launch(business, campaign)
    dispatch(campaign.id)
    dnc_add(business, "phone", phones[-1], source="manual", reason="Asked by email")
    db.session.commit()
    for _ in range(30):
        complete_dials(fourcalls)
        dispatch(campaign.id)
    assert phones[-1] not in {d["phone"] for d in dial_ledger(fourcalls, organization["id"])}
    blocked = next(t for t in targets_of(campaign) if t.phone == phones[-1])
    assert (blocked.status, blocked.skip_reason, blocked.attempts) == ("skipped", "do_not_call", 0)


def test_minutes_exhausted_pauses_then_renewal_resumes(wired, fourcalls, clock, run_jobs):
    business, organization, coordinator = wired
    phones = [f"+1512555{n:04d}" for n in range(700, 706)]
    add_contacts(business, phones)
    campaign = new_campaign(business, coordinator, concurrency="1", max_attempts="1")
    launch(business, campaign)
    dispatch(campaign.id)
    # The period's outbound minutes are used up (by these calls or others).
    db.session.execute(AIServiceUsage.__table__.update().where(
        AIServiceUsage.business_id == business.id, AIServiceUsage.service_type == "outbound_minutes"
    ).values(usage_count=AIServiceUsage.usage_limit))
    db.session.commit()
    complete_dials(fourcalls)
    dispatch(campaign.id)
    db.session.expire_all()
    assert (campaign.status, campaign.paused_reason) == (CampaignStatus.PAUSED, "minutes")
    dialled = sum(t.attempts for t in targets_of(campaign))
    sweep_campaigns()
    run_jobs()
    assert sum(t.attempts for t in targets_of(campaign)) == dialled  # nothing dialled while out of minutes

    from app.usage.services import start_new_period

    clock.advance(days=40)
    start_new_period(business, clock.now, clock.now.replace(year=clock.now.year + 1))
    db.session.commit()
    sweep_campaigns()
    run_jobs()
    db.session.expire_all()
    assert campaign.status == CampaignStatus.RUNNING and campaign.paused_reason is None
    assert sum(t.attempts for t in targets_of(campaign)) > dialled


def test_cancel_lets_calls_in_progress_finish_and_skips_the_rest(wired, fourcalls):
    from app.campaigns.services import cancel

    business, organization, coordinator = wired
    phones = [f"+1512555{n:04d}" for n in range(800, 805)]
    add_contacts(business, phones)
    campaign = new_campaign(business, coordinator, concurrency="2", max_attempts="1")
    launch(business, campaign)
    dispatch(campaign.id)
    cancel(db.session.get(Campaign, campaign.id))
    complete_dials(fourcalls)  # the two calls in progress end; their webhooks are lost
    dispatch(campaign.id)  # reconciliation still collects them
    statuses = Counter(t.status for t in targets_of(campaign))
    assert statuses["skipped"] == 3 and statuses["dialling"] == 0 and sum(statuses.values()) == 5
    assert len(dial_ledger(fourcalls, organization["id"])) == 2
    from math import ceil

    from app.campaigns import reporting

    dials = db.session.scalars(select(CampaignDial).where(CampaignDial.campaign_id == campaign.id)
                               .execution_options(populate_existing=True)).all()  # the jobs' writes, not stale copies
    assert reporting.minutes_used(campaign.id) == sum(ceil(d.duration_seconds / 60) for d in dials)
    by_day = reporting.dials_by_day(db.session.get(Campaign, campaign.id), business)
    assert sum(day["dials"] for day in by_day) == 2 and by_day[0]["day"].isoformat() == "2027-03-03"
