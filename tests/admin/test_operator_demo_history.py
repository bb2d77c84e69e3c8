"""`flask seed-demo --history` builds a history the console can show, through the services, once."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Call, FourCallsIntegration, SubscriptionHistory


@pytest.mark.slow
def test_history_seed_writes_subscription_changes_and_usage_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--history", "--businesses", "30"])
    assert result.exit_code == 0, result.output
    reasons = dict(db.session.execute(
        select(SubscriptionHistory.reason, func.count()).group_by(SubscriptionHistory.reason)).all())
    assert reasons.get("subscribed", 0) >= 5 and reasons.get("upgraded", 0) + reasons.get("downgraded", 0) >= 1
    assert db.session.scalar(select(func.count()).select_from(Call)) > 500
    # 4calls is left alone: no organizations were provisioned for the history.
    assert db.session.scalar(select(func.count()).select_from(FourCallsIntegration)) == 0
    rows = db.session.scalar(select(func.count()).select_from(SubscriptionHistory))
    again = runner.invoke(args=["seed-demo", "--history", "--businesses", "30"])
    assert "History already built" in again.output
    assert db.session.scalar(select(func.count()).select_from(SubscriptionHistory)) == rows
