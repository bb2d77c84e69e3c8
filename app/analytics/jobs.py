"""Analytics jobs: thin functions taking ids."""
from __future__ import annotations

import uuid

from app.extensions import db


def rebuild_rollups_job(business_id: str) -> None:
    from app.analytics import rollups
    from app.models import Business

    business = db.session.get(Business, uuid.UUID(business_id))
    if business is None:
        return
    rollups.rebuild(business)
    db.session.commit()


def send_due_reports_job() -> None:
    """Recurring: weekly reports on each business's local Monday morning and
    the saved reports whose daily/weekly/monthly delivery is due."""
    from app.analytics.delivery import send_due_reports

    send_due_reports()


def sync_insights_job(business_id: str, run_id: str | None = None) -> None:
    from app.analytics.insights import RUN_KIND, sync_business_insights
    from app.jobs.records import recorded_run
    from app.models import Business

    business = db.session.get(Business, uuid.UUID(business_id))
    if business is None:
        return
    with recorded_run(RUN_KIND, business.id, run_id) as run:
        run.counts = {"insights": sync_business_insights(business)}


def sync_all_insights_job() -> None:
    """Recurring: queue an insights sync for every business whose package has them."""
    from app.analytics.insights import businesses_with_insights
    from app.jobs import enqueue

    for business_id in businesses_with_insights():
        enqueue("app.analytics.jobs.sync_insights_job", str(business_id), job_id=f"insights:{business_id}")
