"""Background jobs of the 4calls integration: thin, taking ids."""
from __future__ import annotations

import uuid


def push_assistant(business_id: str, run_id: str | None = None) -> None:
    """Make 4calls match the business's package, status, profile and coordinators."""
    from app.assistant.push import run_push

    run_push(uuid.UUID(business_id), run_id)


def repush_stale_assistants() -> None:
    """Recurring safety net: re-queue syncs whose changes 4calls has not confirmed."""
    from app.assistant.provisioning import repush_stale

    repush_stale()
