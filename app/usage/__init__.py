"""Usage metering and package limits; see services.py."""
from app.usage.services import (
    check_usage_limit,
    has_feature,
    limit_message,
    record_usage,
    start_new_period,
    usage_summary,
)

__all__ = ["check_usage_limit", "has_feature", "limit_message", "record_usage", "start_new_period", "usage_summary"]
