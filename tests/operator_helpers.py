"""Hand-written subscription histories for the operator console tests."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app.extensions import db
from app.models import SubscriptionHistory


def at(text: str) -> datetime:
    """"2027-03-05 12:00" (UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def history(business, *rows) -> None:
    """rows: (start "YYYY-MM-DD HH:MM", package, amount cents, status, reason); each row ends where the next starts."""
    for index, (start, package, amount, status, reason) in enumerate(rows):
        ended = at(rows[index + 1][0]) if index + 1 < len(rows) else None
        db.session.add(SubscriptionHistory(
            business_id=business.id, stripe_subscription_id=f"sub_{business.slug}", package_slug=package,
            unit_amount=amount, currency="usd", status=status, started_at=at(start), ended_at=ended, reason=reason,
            cancel_at_period_end=reason == "cancellation_scheduled"))
    db.session.commit()


@pytest.fixture
def new_york_mid_june(clock, app):
    """The frame of the hand-computed histories: operator zone America/New_York, "now" mid-June 2027.
    A test module uses it with `pytestmark = pytest.mark.usefixtures("new_york_mid_june")`."""
    app.config["OPERATOR_TIMEZONE"] = "America/New_York"
    clock.set(at("2027-06-15 12:00"))
    yield
    app.config["OPERATOR_TIMEZONE"] = "America/New_York"
