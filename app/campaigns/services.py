"""Campaign rules: drafting with field errors, package gates, the lifecycle
draft → scheduled → running ⇄ paused → completed | cancelled, and follow-ups.
Every state change is written to the audit log (who, when)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from app.audit.services import record as audit
from app.campaigns import audience, csv_audience
from app.campaigns.estimates import estimate  # noqa: F401  (the pages ask the services for it)
from app.campaigns.purposes import PURPOSES_BY_KEY, purpose_of
from app.campaigns.windows import EARLIEST, LATEST, parse_clock
from app.contacts.segments import SegmentError, clean_rules, save_segment
from app.extensions import db
from app.models import (Campaign, CampaignStatus, CampaignTarget, ContactSegment, Coordinator, SkipReason,
                        TargetStatus)
from app.models.base import utcnow
from app.packages.catalog import outbound_lines
from app.timezones import zone_of
from app.web import parse_uuid
from app.usage.services import (OUTBOUND_MINUTES, current_period, has_feature, limit_for, package_of)

DEFAULT_RETRY_DELAYS = [60, 1440]  # 1 hour, then the next day
RETRYABLE = ("no_answer", "busy", "voicemail")
AUDIENCE_SOURCES = ("segment", "csv")  # what the form offers; follow-ups are drafted from a finished campaign


class CampaignError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# --- gates --------------------------------------------------------------------


def can_run_campaigns(business) -> bool:
    return has_feature(business, "campaigns")


def is_advanced(business) -> bool:
    return has_feature(business, "advanced_campaigns")


def max_concurrency(business) -> int:
    return outbound_lines(package_of(business))


def launches_left(business) -> int | None:
    """Launches left this billing period under the package's campaign_limit (None: unlimited)."""
    package = package_of(business)
    if package is None:
        return 0
    if package.campaign_limit is None:
        return None
    period = current_period(business)
    launched = db.session.scalar(select(func.count()).select_from(Campaign).where(
        Campaign.business_id == business.id, Campaign.launched_at.is_not(None),
        *( [Campaign.launched_at >= period.start] if period else []))) or 0
    return max(package.campaign_limit - launched, 0)


# --- drafting -----------------------------------------------------------------


def _parse_local(raw: str | None, business, field: str, errors: dict) -> datetime | None:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        errors[field] = "Use a date and time like 2027-03-04 09:00."
        return None
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=zone_of(business))
    return naive.astimezone(zone_of("UTC"))


def _int(raw, field: str, errors: dict, low: int, high: int, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        errors[field] = "Enter a whole number."
        return default
    if not low <= value <= high:
        errors[field] = f"Enter a number from {low} to {high}."
    return value


def clean_campaign(business, data: dict, current_import_id=None) -> tuple[dict, dict]:
    """Validated column values and the audience rules from form data; raises CampaignError.
    A CSV audience is imported here, in the caller's transaction: the caller rolls
    back on CampaignError, so a refused form leaves neither campaign nor contacts.
    `current_import_id` is a draft's uploaded list, kept when no new file is chosen."""
    errors: dict[str, str] = {}
    values: dict = {}
    values["name"] = (data.get("name") or "").strip()[:120]
    if not values["name"]:
        errors["name"] = "Name the campaign."
    purpose = data.get("purpose") or ""
    if purpose not in PURPOSES_BY_KEY:
        errors["purpose"] = "Choose what the campaign is for."
    values["purpose"] = purpose
    values["opening"] = (data.get("opening") or "").strip()[:5000] or purpose_of(purpose).opening
    values["goal"] = (data.get("goal") or "").strip()[:5000] or purpose_of(purpose).goal
    coordinator_id = parse_uuid(data.get("coordinator_id"))
    coordinator = db.session.get(Coordinator, coordinator_id) if coordinator_id else None
    if coordinator is None or coordinator.business_id != business.id or not coordinator.is_live:
        errors["coordinator_id"] = "Choose one of this business's AI assistants."
    else:
        values["coordinator_id"] = coordinator.id
    source = data.get("audience_source") or "segment"
    if source not in AUDIENCE_SOURCES:
        errors["audience_source"] = "Choose a saved segment or upload a CSV file."
    values["audience_source"] = source
    rules, values["segment_id"], values["contact_import_id"] = {}, None, None
    if source == "csv":
        _csv_audience(business, data, values, errors, current_import_id)
    else:
        _segment_audience(business, data, values, errors)
        rules = values.pop("rules", {})
    values["auto_enrol"] = bool(data.get("auto_enrol")) and is_advanced(business) and source == "segment"
    starts_at = _parse_local(data.get("starts_at"), business, "starts_at", errors) or utcnow()
    ends_at = _parse_local(data.get("ends_at"), business, "ends_at", errors)
    if ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = "The end must be after the start."
    values["starts_at"], values["ends_at"] = starts_at, ends_at
    days = sorted({int(d) for d in data.get("days") or [] if str(d).isdigit() and 0 <= int(d) <= 6})
    if not days:
        errors["days"] = "Choose at least one day of the week."
    values["days"] = days
    for name, default in (("window_start", "09:00"), ("window_end", "19:00")):
        text = (data.get(name) or default).strip()
        try:
            clock = parse_clock(text)
        except ValueError:
            errors[name] = "Use a time like 09:00."
            continue
        if not EARLIEST <= clock <= LATEST:
            errors[name] = "Calls may be made only between 08:00 and 21:00 in the contact's time."
        values[name] = f"{clock:%H:%M}"
    if "window_start" in values and "window_end" in values and values["window_start"] >= values["window_end"]:
        errors["window_end"] = "The window must end after it starts."
    values["max_attempts"] = _int(data.get("max_attempts"), "max_attempts", errors, 1, 10, 3)
    values["retry_results"] = [r for r in RETRYABLE if data.get(f"retry_{r}")]
    delays = []
    for part in (data.get("retry_delays") or "60, 1440").replace(";", ",").split(","):
        if part.strip():
            delays.append(_int(part, "retry_delays", errors, 10, 7 * 1440, 60))
    values["retry_delays_minutes"] = delays or list(DEFAULT_RETRY_DELAYS)
    action = data.get("voicemail_action") or "hang_up"
    if action not in ("hang_up", "leave_message"):
        errors["voicemail_action"] = "Choose what to do on voicemail."
    values["voicemail_action"] = action
    values["voicemail_message"] = (data.get("voicemail_message") or "").strip()[:2000] or None
    if action == "leave_message" and not values["voicemail_message"]:
        errors["voicemail_message"] = "Write the message to leave."
    lines = max_concurrency(business)
    values["concurrency"] = _int(data.get("concurrency"), "concurrency", errors, 1, max(lines, 1), 1)
    if not errors and audience.preview(business, rules, purpose, import_id=values["contact_import_id"]).eligible == 0:
        errors["audience"] = "No contact in this audience can be called."
    if errors and values.get("csv_imported"):
        errors.setdefault(csv_audience.FIELD, "The file was read without problems, but nothing was saved: "
                                              "choose it again after fixing the fields above.")
    values.pop("csv_imported", None)
    if errors:
        raise CampaignError(errors)
    return values, rules


def _segment_audience(business, data: dict, values: dict, errors: dict) -> None:
    segment_id = (data.get("segment_id") or "").strip()
    if segment_id:
        segment = db.session.get(ContactSegment, parse_uuid(segment_id)) if parse_uuid(segment_id) else None
        if segment is None or segment.business_id != business.id:
            errors["segment_id"] = "Choose one of your saved segments."
        else:
            values["rules"], values["segment_id"] = segment.rules, segment.id
        return
    try:
        values["rules"] = clean_rules(data)
    except SegmentError as exc:
        errors.update(exc.errors)


def _csv_audience(business, data: dict, values: dict, errors: dict, current_import_id) -> None:
    """A new upload is imported now; without one, a draft keeps the list it has."""
    upload = data.get("csv_upload")
    if upload is None or not getattr(upload, "filename", ""):
        if current_import_id is None:
            errors[csv_audience.FIELD] = "Choose the CSV file with the people to call."
        values["contact_import_id"] = current_import_id
        return
    try:
        values["contact_import_id"] = csv_audience.import_list(business, upload).id
        values["csv_imported"] = True
    except csv_audience.CsvAudienceError as exc:
        errors[csv_audience.FIELD] = str(exc)


def create_draft(business, data: dict, actor=None) -> Campaign:
    values, rules = clean_campaign(business, data)
    if values["audience_source"] == "segment" and not values.get("segment_id"):
        # Saved under the owner's name for reuse, else under the campaign's.
        name = (data.get("segment_name") or "").strip() or f"{values['name']} audience · {utcnow():%Y-%m-%d %H:%M:%S}"
        values["segment_id"] = save_segment(business, name, rules).id
    campaign = Campaign(business_id=business.id, status=CampaignStatus.DRAFT,
                        created_by_user_id=getattr(actor, "id", None), **values)
    db.session.add(campaign)
    db.session.flush()
    audit("campaign.created", business=business, actor=actor, target_type="campaign", target_id=campaign.id,
          target_label=campaign.name)
    db.session.commit()
    return campaign


def update_draft(business, campaign: Campaign, data: dict, actor=None) -> Campaign:
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignError({"status": f"A {campaign.status} campaign's audience and settings cannot be edited."})
    values, rules = clean_campaign(business, data, current_import_id=campaign.contact_import_id)
    if values["audience_source"] == "segment" and not values.get("segment_id"):
        # The form shows the draft's segment as rules. A saved segment is never rewritten here (the owner
        # may have picked it, and other campaigns may use it): unchanged rules keep it, changed ones get a copy.
        if campaign.segment is not None and _same_rules(campaign.segment.rules, rules):
            values["segment_id"] = campaign.segment_id
        else:
            name = f"{values['name']} audience · {utcnow():%Y-%m-%d %H:%M:%S}"
            values["segment_id"] = save_segment(business, name, rules).id
    for key, value in values.items():
        setattr(campaign, key, value)
    audit("campaign.edited", business=business, actor=actor, target_type="campaign", target_id=campaign.id,
          target_label=campaign.name)
    db.session.commit()
    return campaign


def _same_rules(saved: dict | None, rules: dict) -> bool:
    """Whether a saved segment's rules, read as the form reads them, are these."""
    try:
        return clean_rules(saved or {}) == rules
    except SegmentError:
        return False


def rules_of(campaign: Campaign) -> dict:
    return (campaign.segment.rules if campaign.segment else None) or {}


def audience_of(campaign: Campaign) -> dict:
    """The keyword arguments naming a campaign's audience for app/campaigns/audience.py."""
    if campaign.audience_source == "csv":
        return {"rules": {}, "import_id": campaign.contact_import_id}
    return {"rules": rules_of(campaign), "import_id": None}


# --- lifecycle ----------------------------------------------------------------


def _change(campaign: Campaign, status: str, action: str, actor=None, **extra) -> None:
    before = campaign.status
    campaign.status = status
    audit(f"campaign.{action}", business=campaign.business, actor=actor, target_type="campaign",
          target_id=campaign.id, target_label=campaign.name, before={"status": before},
          after={"status": status, **extra})


def launch(business, campaign: Campaign, actor=None) -> int:
    """Enrol the audience and start (or schedule) the campaign. Returns the targets enrolled."""
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignError({"status": f"A {campaign.status} campaign cannot be launched."})
    if not can_run_campaigns(business):
        raise CampaignError({"status": "Your package does not include outbound campaigns."})
    if not is_advanced(business):
        running = db.session.scalar(select(func.count()).select_from(Campaign).where(
            Campaign.business_id == business.id, Campaign.status.in_(CampaignStatus.LIVE))) or 0
        if running:
            raise CampaignError({"status": "Your package runs one campaign at a time. Finish, cancel or "
                                           "upgrade to run several at once."})
    if launches_left(business) == 0:
        raise CampaignError({"status": f"Your package includes {package_of(business).campaign_limit} campaign "
                                       "launches per billing period, and they are used."})
    if campaign.audience_source == "follow_up":
        enrolled = db.session.scalar(select(func.count()).select_from(CampaignTarget)
                                     .where(CampaignTarget.campaign_id == campaign.id)) or 0
    else:
        enrolled = audience.enrol(campaign, **audience_of(campaign))
    if not enrolled:
        db.session.rollback()
        raise CampaignError({"audience": "No contact in this audience can be called now."})
    now = utcnow()
    campaign.launched_at = now
    _change(campaign, CampaignStatus.RUNNING if campaign.starts_at <= now else CampaignStatus.SCHEDULED,
            "launched", actor, targets=enrolled)
    db.session.commit()
    _kick(campaign)
    return enrolled


def pause(campaign: Campaign, actor=None, reason: str = "owner") -> None:
    """Takes effect before the next dial; calls in progress finish and their results still count."""
    if campaign.status not in (CampaignStatus.RUNNING, CampaignStatus.SCHEDULED):
        raise CampaignError({"status": f"A {campaign.status} campaign cannot be paused."})
    campaign.paused_reason = reason
    _change(campaign, CampaignStatus.PAUSED, "paused", actor, reason=reason)
    db.session.commit()


def resume(campaign: Campaign, actor=None) -> None:
    if campaign.status != CampaignStatus.PAUSED:
        raise CampaignError({"status": f"A {campaign.status} campaign cannot be resumed."})
    campaign.paused_reason = None
    _change(campaign, CampaignStatus.RUNNING if campaign.starts_at <= utcnow() else CampaignStatus.SCHEDULED,
            "resumed", actor)
    db.session.commit()
    _kick(campaign)


def cancel(campaign: Campaign, actor=None) -> None:
    """Stop for good: waiting targets are skipped; calls in progress finish."""
    if campaign.status not in (CampaignStatus.DRAFT, *CampaignStatus.LIVE):
        raise CampaignError({"status": f"A {campaign.status} campaign cannot be cancelled."})
    skip_waiting(campaign, SkipReason.LIMIT)
    campaign.finished_at = utcnow()
    _change(campaign, CampaignStatus.CANCELLED, "cancelled", actor)
    db.session.commit()


def skip_waiting(campaign: Campaign, reason: str) -> None:
    db.session.execute(update(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign.id, CampaignTarget.status.in_(TargetStatus.WAITING)
    ).values(status=TargetStatus.SKIPPED, skip_reason=reason, next_attempt_at=None, finished_at=utcnow(),
             updated_at=utcnow()).execution_options(synchronize_session=False))


def follow_up(business, campaign: Campaign, actor=None) -> Campaign:
    """A draft call campaign of the targets this one did not reach (advanced packages)."""
    if not is_advanced(business):
        raise CampaignError({"status": "Follow-up campaigns come with the advanced campaign packages."})
    if campaign.status not in CampaignStatus.FINAL:
        raise CampaignError({"status": "Follow up once the campaign has finished."})
    unreached = db.session.scalars(select(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign.id,
        CampaignTarget.status.in_((TargetStatus.NO_ANSWER, TargetStatus.BUSY, TargetStatus.VOICEMAIL,
                                   TargetStatus.FAILED)),
        CampaignTarget.opted_out.is_(False)).order_by(CampaignTarget.position)).all()
    if not unreached:
        raise CampaignError({"status": "Everyone in this campaign was reached or is excluded."})
    copy_fields = ("purpose", "opening", "goal", "coordinator_id", "segment_id", "days", "window_start", "window_end",
                   "max_attempts", "retry_results", "retry_delays_minutes", "voicemail_action",
                   "voicemail_message", "concurrency")
    follow = Campaign(business_id=business.id, name=f"{campaign.name} · follow-up"[:120], status=CampaignStatus.DRAFT,
                      audience_source="follow_up", follow_up_of_id=campaign.id, starts_at=utcnow(),
                      created_by_user_id=getattr(actor, "id", None),
                      **{name: getattr(campaign, name) for name in copy_fields})
    db.session.add(follow)
    db.session.flush()
    ids = [t.contact_id for t in unreached if t.contact_id]
    audience.enrol(follow, {}, contact_ids=ids)
    audit("campaign.follow_up_created", business=business, actor=actor, target_type="campaign",
          target_id=follow.id, target_label=follow.name, after={"from": str(campaign.id), "targets": len(ids)})
    db.session.commit()
    return follow


def _kick(campaign: Campaign) -> None:
    from app.campaigns.jobs import queue_dispatch

    queue_dispatch(campaign.id)


def outbound_limit(business) -> int:
    return limit_for(package_of(business), OUTBOUND_MINUTES)
