"""Appointment reminders sent through 4calls messages.

One row per reminder (24 h and 1 h before by default, per the owner's
settings). `send_reminder` is queued with a delay for its send time; the
recurring `sweep_reminders` is the safety net: it sends anything due that a
lost job missed, gives AI-booked appointments their reminders, and follows
each message's delivery (queued → sent → delivered | failed), sending a
failed one again up to MAX_ATTEMPTS times.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, select

from app.appointments.settings import settings_for
from app.extensions import db
from app.fourcalls import FourCallsError, NotProvisioned, ValidationError, plain_words
from app.assistant.connection import organization_client
from app.models import Appointment, AppointmentReminder, Business, ReminderStatus
from app.models.base import utcnow
from app.timezones import spoken_time

MAX_ATTEMPTS = 3
EARLY_SECONDS = 30  # a delayed job may wake slightly early
LOOKAHEAD_DAYS = 15


def describe_offset(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days * 24} h before" if days == 1 else f"{days} days before"
    if minutes % 60 == 0:
        return f"{minutes // 60} h before"
    return f"{minutes} min before"


def schedule_reminders(appointment: Appointment) -> list[AppointmentReminder]:
    """(Re)plan an appointment's reminders after booking, rescheduling or cancelling."""
    from app.jobs import enqueue

    business = db.session.get(Business, appointment.business_id)
    db.session.execute(delete(AppointmentReminder).where(
        AppointmentReminder.appointment_id == appointment.id,
        AppointmentReminder.status == ReminderStatus.SCHEDULED,
    ))
    now = utcnow()
    planned = []
    if appointment.status == "scheduled" and appointment.starts_at > now:
        have = set(db.session.scalars(select(AppointmentReminder.offset_minutes)
                                      .where(AppointmentReminder.appointment_id == appointment.id)))
        for offset in settings_for(business).reminder_offsets:
            send_at = appointment.starts_at - timedelta(minutes=offset)
            if send_at > now and offset not in have:
                reminder = AppointmentReminder(business_id=business.id, appointment_id=appointment.id,
                                               offset_minutes=offset, send_at=send_at)
                db.session.add(reminder)
                planned.append(reminder)
    db.session.commit()
    for reminder in planned:
        enqueue("app.appointments.jobs.send_reminder_job", str(reminder.id), job_id=f"reminder:{reminder.id}:{reminder.attempts}",
                delay=reminder.send_at - now)
    return planned


def reminder_text(business: Business, appointment: Appointment) -> str:
    what = appointment.appointment_type or "appointment"
    name = (appointment.customer_name or "").split(" ")[0]
    greeting = f"Hi {name}, this" if name else "This"
    return (f"{greeting} is a reminder of your {what} at {business.name} on "
            f"{spoken_time(appointment.starts_at, business)}. "
            f"To change it, call {business.phone or 'us'}.")


def send_reminder(reminder_id) -> str:
    reminder = db.session.get(AppointmentReminder, uuid.UUID(str(reminder_id)))
    if reminder is None or reminder.status != ReminderStatus.SCHEDULED:
        return "nothing to do"
    appointment = db.session.get(Appointment, reminder.appointment_id)
    if appointment.status != "scheduled":
        reminder.status = ReminderStatus.CANCELLED
        db.session.commit()
        return "cancelled"
    if reminder.send_at > utcnow() + timedelta(seconds=EARLY_SECONDS):
        return "not due"  # moved later by a reschedule; the sweep sends it on time
    business = db.session.get(Business, appointment.business_id)
    channel, to = ("sms", appointment.customer_phone) if appointment.customer_phone else ("email", appointment.customer_email)
    if not to:
        return _give_up(reminder, "The customer has no phone number or email address.")
    reminder.channel = channel
    reminder.attempts += 1
    payload = {"channel": channel, "to": to, "body": reminder_text(business, appointment)}
    if channel == "email":
        payload["subject"] = f"Reminder: your appointment at {business.name}"[:200]
    if appointment.remote_id:
        payload["appointment_id"] = appointment.remote_id
    try:
        client = organization_client(business)
        message = client.send_message(client.organization_id, payload,
                                      idempotency_key=f"reminder:{reminder.id}:{reminder.attempts}")
    except (ValidationError, NotProvisioned) as exc:
        return _give_up(reminder, plain_words(exc))
    except FourCallsError as exc:
        reminder.error = plain_words(exc)[:1000]
        if reminder.attempts >= MAX_ATTEMPTS:
            return _give_up(reminder, reminder.error)
        db.session.commit()
        raise  # retried by the queue, and by the sweep after that
    reminder.message_remote_id = message["id"]
    reminder.status = message.get("status") or ReminderStatus.QUEUED
    reminder.error = None
    reminder.sent_at = utcnow()
    db.session.commit()
    return reminder.status


def _give_up(reminder: AppointmentReminder, why: str) -> str:
    reminder.status = ReminderStatus.FAILED
    reminder.error = why[:1000]
    db.session.commit()
    return "failed"


def refresh_delivery(reminder: AppointmentReminder) -> str:
    """Ask 4calls how the message is doing; a failed delivery is sent again."""
    business = db.session.get(Business, reminder.business_id)
    client = organization_client(business)
    message = client.get_message(client.organization_id, reminder.message_remote_id)
    status = message.get("status")
    if status == "failed":
        reminder.error = message.get("error") or "4calls could not deliver the message."
        if reminder.attempts < MAX_ATTEMPTS:
            reminder.status = ReminderStatus.SCHEDULED  # the sweep sends a fresh message
            reminder.send_at = utcnow()
        else:
            reminder.status = ReminderStatus.FAILED
    elif status in (ReminderStatus.QUEUED, ReminderStatus.SENT, ReminderStatus.DELIVERED):
        reminder.status = status
    db.session.commit()
    return reminder.status


def can_retry(reminder: AppointmentReminder, appointment: Appointment) -> bool:
    """The retry rule: only a failed reminder of an appointment still scheduled is sent again."""
    return reminder.status == "failed" and appointment.status == "scheduled"


def retry_reminder(reminder: AppointmentReminder, appointment: Appointment) -> bool:
    """The owner's "send again" on a failed reminder. False when the rule says no."""
    from app.jobs import enqueue

    if not can_retry(reminder, appointment):
        return False
    reminder.status = ReminderStatus.SCHEDULED
    reminder.send_at = utcnow()
    reminder.attempts = 0
    reminder.error = None
    db.session.commit()
    enqueue("app.appointments.jobs.send_reminder_job", str(reminder.id), job_id=f"reminder:{reminder.id}:retry")
    return True


def sweep_reminders() -> dict:
    """Recurring: plan missing reminders, send due ones, follow deliveries."""
    from app.jobs import enqueue

    now = utcnow()
    planned = 0
    unplanned = db.session.scalars(
        select(Appointment).where(
            Appointment.status == "scheduled", Appointment.starts_at > now,
            Appointment.starts_at < now + timedelta(days=LOOKAHEAD_DAYS),
            ~select(AppointmentReminder.id).where(AppointmentReminder.appointment_id == Appointment.id).exists(),
        ).limit(500)
    ).all()
    for appointment in unplanned:
        planned += len(schedule_reminders(appointment))
    due = db.session.scalars(select(AppointmentReminder.id).where(
        AppointmentReminder.status == ReminderStatus.SCHEDULED, AppointmentReminder.send_at <= now).limit(500)).all()
    for reminder_id in due:
        enqueue("app.appointments.jobs.send_reminder_job", str(reminder_id), job_id=f"reminder:{reminder_id}:sweep")
    followed = 0
    waiting = db.session.scalars(select(AppointmentReminder).where(
        AppointmentReminder.status.in_(ReminderStatus.WAITING_ON_4CALLS)).limit(500)).all()
    for reminder in waiting:
        try:
            refresh_delivery(reminder)
            followed += 1
        except FourCallsError:
            db.session.rollback()  # asked again on the next sweep
    return {"planned": planned, "due": len(due), "followed": followed}
