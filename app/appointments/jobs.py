"""Appointment jobs: thin wrappers taking ids."""
from __future__ import annotations


def push_settings_job(business_id: str) -> str:
    from app.appointments.settings import push_settings

    return push_settings(business_id)


def send_reminder_job(reminder_id: str) -> str:
    from app.appointments.reminders import send_reminder

    return send_reminder(reminder_id)


def sweep_reminders_job() -> dict:
    """The calendar's recurring safety net: reminders, and settings 4calls has not received yet."""
    from app.appointments.reminders import sweep_reminders
    from app.appointments.settings import sweep_pending_settings

    return {**sweep_reminders(), "settings_queued": sweep_pending_settings()}
