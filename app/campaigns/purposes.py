"""What a campaign is for: the coordinator's default opening and goal, and
whether the purpose is marketing (then only consenting contacts are called)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Purpose:
    key: str
    label: str
    marketing: bool
    opening: str
    goal: str


PURPOSES = (
    Purpose("lead_follow_up", "Lead follow-up", False,
            "Hi {name}, this is {assistant} from {business}. You recently asked us about our services, "
            "and I'm calling to follow up.",
            "Answer their questions and book an appointment, or note when to call back."),
    Purpose("reactivation", "Reactivation", True,
            "Hi {name}, this is {assistant} from {business}. It's been a while since your last visit "
            "and we'd love to see you again.",
            "Offer a convenient time and book a return visit."),
    Purpose("appointment_confirmation", "Appointment confirmation", False,
            "Hi {name}, this is {assistant} from {business}, calling about your upcoming appointment.",
            "Confirm the appointment, or reschedule or cancel it if it no longer suits."),
    Purpose("custom", "Custom (marketing)", True,
            "Hi {name}, this is {assistant} from {business}.",
            "Describe what the assistant should achieve on each call."),
)
PURPOSES_BY_KEY = {p.key: p for p in PURPOSES}


def purpose_of(key: str) -> Purpose:
    return PURPOSES_BY_KEY.get(key, PURPOSES_BY_KEY["custom"])


def needs_consent(key: str) -> bool:
    return purpose_of(key).marketing
