"""Notification jobs: thin wrappers taking ids."""
from __future__ import annotations


def send_sms_job(delivery_id: str) -> str:
    from app.notifications.delivery import send_sms

    return send_sms(delivery_id)


def sweep_notifications_job() -> dict:
    """Recurring: quiet hours that ended, digests due, SMS the carrier refused,
    and SMS whose job was never enqueued."""
    from sqlalchemy import select

    from app.extensions import db
    from app.jobs import enqueue
    from app.models import DeliveryStatus, NotificationDelivery
    from app.notifications.delivery import confirm_sms_outcomes, release_held, send_digests

    released = release_held()
    digests = send_digests()
    failed = confirm_sms_outcomes()
    queued = db.session.scalars(select(NotificationDelivery.id).where(
        NotificationDelivery.channel == "sms", NotificationDelivery.status == DeliveryStatus.QUEUED)).all()
    for delivery_id in queued:
        enqueue(send_sms_job, str(delivery_id), job_id=f"notify-sms:{delivery_id}")
    return {"released": released, "digests": digests, "sms_failed": failed, "sms_queued": len(queued)}
