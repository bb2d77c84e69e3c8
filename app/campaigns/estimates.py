"""What a campaign will cost before launch: targets × expected attempts ×
average call length, against the outbound minutes left this period."""
from __future__ import annotations

import math

from sqlalchemy import func, select

from app.extensions import db
from app.models import Call
from app.usage.services import OUTBOUND_MINUTES, usage_summary

UNREACHED_SHARE = 0.42  # share of dials that reach no one, for the estimate
DEFAULT_CALL_SECONDS = 120


def average_call_seconds(business) -> int:
    average = db.session.scalar(select(func.avg(Call.duration_seconds)).where(
        Call.business_id == business.id, Call.direction == "outbound", Call.duration_seconds > 0))
    return int(average or DEFAULT_CALL_SECONDS)


def estimate(business, targets: int, campaign_or_values) -> dict:
    """Targets × expected attempts × average call length, against the outbound minutes left."""
    max_attempts = getattr(campaign_or_values, "max_attempts", None) or 1
    retried = bool(getattr(campaign_or_values, "retry_results", None))
    attempts = sum(UNREACHED_SHARE ** k for k in range(max_attempts if retried else 1))
    seconds = average_call_seconds(business)
    minutes = math.ceil(targets * attempts * seconds / 60)
    meter = next((m for m in usage_summary(business) if m.service_type == OUTBOUND_MINUTES), None)
    left = None if meter is None or meter.unlimited else max(meter.limit - meter.used, 0)
    return {"targets": targets, "attempts": round(attempts, 2), "call_seconds": seconds, "minutes": minutes,
            "minutes_left": left, "fits": left is None or minutes <= left}
