"""Operator console background jobs: thin functions."""
from __future__ import annotations


def rebuild_metric_snapshots() -> int:
    """Recurring (hourly) and on demand: recompute closed months' MRR snapshots."""
    from app.admin.metrics import snapshots
    from app.jobs.records import recorded_run

    with recorded_run("metric_snapshots") as run:
        months = snapshots.rebuild()
        run.counts = {"months": months}
    return months
