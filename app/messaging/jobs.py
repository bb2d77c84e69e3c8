"""Messaging jobs: thin wrappers taking ids."""
from __future__ import annotations


def send_message_job(message_id: str) -> str:
    from app.messaging.services import send_message

    return send_message(message_id)


def send_text_back_job(text_back_id: str) -> str:
    from app.messaging.textback import send_text_back

    return send_text_back(text_back_id)


def analyse_text_back_reply_job(text_back_id: str, message_id: str) -> str:
    from app.messaging.textback import analyse_reply

    return analyse_reply(text_back_id, message_id)


def sync_messages_job() -> int:
    """Replies, STOPs and statuses a lost webhook did not bring."""
    from app.messaging.sync import sync_all_messages

    return sync_all_messages()


def sweep_messages_job() -> dict:
    """Held messages due at 08:00, sends 4calls never confirmed, deliveries in flight, lost text-backs."""
    from app.messaging.services import sweep_messages
    from app.messaging.textback import sweep_text_backs

    return {**sweep_messages(), "text_backs_queued": sweep_text_backs()}
