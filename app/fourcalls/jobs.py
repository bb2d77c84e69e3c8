"""Background jobs of the 4calls integration: thin, taking ids."""
from __future__ import annotations

import uuid


def sync_assistant(business_id: str, run_id: str | None = None) -> None:
    """Make 4calls match the business's package, status, profile and coordinators."""
    from app.fourcalls.sync import run_sync

    run_sync(uuid.UUID(business_id), run_id)


def resync_stale_assistants() -> None:
    """Recurring safety net: re-queue syncs whose changes 4calls has not confirmed."""
    from app.fourcalls.provisioning import resync_stale

    resync_stale()
