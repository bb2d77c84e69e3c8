"""What the owner sees of a campaign, always derived from its targets and
dial ledger (never a stored second truth): counts per status, the funnel,
minutes, dials by local day, the target table and the CSV export. Each is a
fixed number of grouped queries, whatever the number of targets."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import case, func, select

from app.extensions import db
from app.models import Campaign, CampaignDial, CampaignTarget, DialState, SkipReason, TargetStatus
from app.timezones import to_local

STATUS_LABELS = {TargetStatus.PENDING: "Pending", TargetStatus.SCHEDULED: "Scheduled",
                 TargetStatus.DIALLING: "Dialling", TargetStatus.ANSWERED: "Answered",
                 TargetStatus.VOICEMAIL: "Voicemail", TargetStatus.NO_ANSWER: "No answer",
                 TargetStatus.BUSY: "Busy", TargetStatus.FAILED: "Failed", TargetStatus.SKIPPED: "Skipped"}
PAGE_SIZE = 50


@dataclass
class Counts:
    by_status: dict
    skipped: dict
    total: int

    @property
    def final(self) -> int:
        return sum(self.by_status.get(s, 0) for s in TargetStatus.FINAL)

    @property
    def percent(self) -> int:
        return int(self.final * 100 / self.total) if self.total else 0


def counts(campaign_id) -> Counts:
    rows = db.session.execute(select(CampaignTarget.status, CampaignTarget.skip_reason, func.count())
                              .where(CampaignTarget.campaign_id == campaign_id)
                              .group_by(CampaignTarget.status, CampaignTarget.skip_reason)).all()
    by_status = {s: 0 for s in TargetStatus.ALL}
    skipped: dict = {}
    for status, reason, number in rows:
        by_status[status] = by_status.get(status, 0) + number
        if status == TargetStatus.SKIPPED:
            skipped[reason or SkipReason.LIMIT] = skipped.get(reason or SkipReason.LIMIT, 0) + number
    return Counts(by_status, skipped, sum(by_status.values()))


def counts_for(campaign_ids) -> dict:
    """Counts of many campaigns in one query (the campaign list)."""
    ids = list(campaign_ids)
    result = {cid: Counts({s: 0 for s in TargetStatus.ALL}, {}, 0) for cid in ids}
    if not ids:
        return result
    for cid, status, number in db.session.execute(
            select(CampaignTarget.campaign_id, CampaignTarget.status, func.count())
            .where(CampaignTarget.campaign_id.in_(ids)).group_by(CampaignTarget.campaign_id, CampaignTarget.status)):
        result[cid].by_status[status] = number
        result[cid].total += number
    return result


def funnel(campaign_id) -> list[tuple[str, int]]:
    """targeted → dialled → answered by a person → conversation over 30 s → booked / lead / opted out."""
    t = CampaignTarget
    row = db.session.execute(select(
        func.count(),
        func.sum(case((t.attempts > 0, 1), else_=0)),
        func.sum(case((t.status == TargetStatus.ANSWERED, 1), else_=0)),
        func.sum(case((t.outcome == "booked", 1), else_=0)),
        func.sum(case((t.outcome == "lead", 1), else_=0)),
        func.sum(case((t.opted_out.is_(True), 1), else_=0)),
    ).where(t.campaign_id == campaign_id)).one()
    conversations = db.session.scalar(select(func.count(func.distinct(CampaignDial.target_id))).where(
        CampaignDial.campaign_id == campaign_id, CampaignDial.result == "answered",
        CampaignDial.duration_seconds > 30)) or 0
    targeted, dialled, answered, booked, lead, opted = (int(v or 0) for v in row)
    return [("Targeted", targeted), ("Dialled", dialled), ("Answered by a person", answered),
            ("Conversation over 30 s", conversations), ("Booked", booked), ("Lead", lead), ("Opted out", opted)]


def minutes_used(campaign_id) -> int:
    """As 4calls bills: each call rounded up to the minute."""
    # Integer division in SQL: (seconds + 59) / 60 is the ceiling, without reading every dial.
    return int(db.session.scalar(select(func.sum((CampaignDial.duration_seconds + 59) // 60)).where(
        CampaignDial.campaign_id == campaign_id, CampaignDial.state == DialState.COMPLETED,
        CampaignDial.duration_seconds > 0)) or 0)


def dials_by_day(campaign: Campaign, business) -> list[dict]:
    """Completed dials per local day of the business, with how many were answered."""
    # Grouped by UTC hour in SQL (a handful of rows), then folded into the business's local days:
    # every zone's day boundary falls on a whole UTC hour except a few half-hour zones, close enough for a chart.
    if db.session.get_bind().dialect.name == "postgresql":
        hour = func.date_trunc("hour", CampaignDial.completed_at)
    else:
        hour = func.strftime("%Y-%m-%d %H:00:00", CampaignDial.completed_at)
    answered = func.sum(case((CampaignDial.result == "answered", 1), else_=0))
    rows = db.session.execute(select(hour, func.count(), answered).where(
        CampaignDial.campaign_id == campaign.id, CampaignDial.state == DialState.COMPLETED).group_by(hour)).all()
    days: dict = {}
    for bucket, dials, answered_count in rows:
        moment = bucket if isinstance(bucket, datetime) else datetime.fromisoformat(str(bucket))
        day = to_local(moment.replace(tzinfo=moment.tzinfo or timezone.utc), business).date()
        entry = days.setdefault(day, {"day": day, "dials": 0, "answered": 0})
        entry["dials"] += dials
        entry["answered"] += int(answered_count or 0)
    ordered = [days[d] for d in sorted(days)]
    peak = max((d["dials"] for d in ordered), default=0)
    for entry in ordered:
        entry["percent"] = int(entry["dials"] * 100 / peak) if peak else 0
    return ordered


def targets_page(campaign_id, status: str | None, page: int) -> tuple[list[CampaignTarget], int]:
    query = select(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)
    count_query = select(func.count()).select_from(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id)
    if status in TargetStatus.ALL:
        query = query.where(CampaignTarget.status == status)
        count_query = count_query.where(CampaignTarget.status == status)
    total = db.session.scalar(count_query) or 0
    rows = db.session.scalars(query.order_by(CampaignTarget.position)
                              .limit(PAGE_SIZE).offset(max(page - 1, 0) * PAGE_SIZE)).all()
    return list(rows), total


def export_csv(campaign: Campaign, business) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "phone", "time_zone", "status", "skip_reason", "attempts", "outcome", "talk_seconds",
                     "opted_out", "next_attempt_at_local", "finished_at_local", "call_id"])
    rows = db.session.scalars(select(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id)
                              .order_by(CampaignTarget.position)).yield_per(1000)
    for t in rows:
        writer.writerow([_safe(t.name), t.phone, t.zone, t.status, t.skip_reason or "", t.attempts, t.outcome or "",
                         t.talk_seconds, "yes" if t.opted_out else "no",
                         _local(t.next_attempt_at, business), _local(t.finished_at, business),
                         t.call_remote_id or ""])
    return out.getvalue()


def _local(moment, business) -> str:
    local = to_local(moment, business)
    return local.strftime("%Y-%m-%d %H:%M %Z") if local else ""


def _safe(text: str) -> str:
    # Spreadsheet apps execute cells starting with these; prefix a quote.
    return "'" + text if text and text[0] in "=+-@" else text
