"""Operator console background jobs: thin functions."""
from __future__ import annotations


def rebuild_metric_snapshots() -> int:
    """Recurring (hourly), after a history row lands in a closed month, and when a page finds a
    snapshot missing: recompute closed months' snapshots (MRR, retention, cohorts, usage)."""
    from app.admin.metrics import snapshots
    from app.jobs.records import recorded_run

    with recorded_run("metric_snapshots") as run:
        months = snapshots.rebuild()
        run.counts = {"months": months}
    return months
