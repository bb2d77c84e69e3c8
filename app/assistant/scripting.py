"""Role defaults, in one place: what a coordinator of each role is called and
told (greeting, persona, script, goals), written from the business profile.

The owner can rewrite all of it on the AI assistant page and reset it to these
defaults; they are starting points that already sound like the business.
"""
from __future__ import annotations

import re

# Names handed out per role, in order, so two receptionists differ.
ROLE_NAMES = {
    "receptionist": ("Ava", "Jordan", "Maya"),
    "sales": ("Max", "Elena", "Leo"),
    "support": ("Sam", "Nora", "Theo"),
    "scheduler": ("Riley", "Iris", "Owen"),
    "concierge": ("Grace", "Luca", "Zoe"),
    "custom": ("Alex", "Robin", "Quinn"),
}

ROLE_TITLES = {
    "receptionist": "receptionist",
    "sales": "sales assistant",
    "support": "customer support assistant",
    "scheduler": "scheduling assistant",
    "concierge": "concierge",
    "custom": "assistant",
}

ROLE_DUTIES = {
    "receptionist": (
        "Answer questions about the business from its profile: services, opening hours and the FAQ.",
        "Offer free appointment slots and book them when the caller agrees.",
        "Take a message with the caller's name, number and reason when you cannot help directly.",
        "Treat anything urgent as urgent: take details and promise a prompt call back.",
    ),
    "sales": (
        "Find out what the caller needs, their timeline and budget, politely and briefly.",
        "Explain the services that fit and what makes this business a good choice.",
        "Capture every interested caller as a lead with name, phone or email and a short note.",
        "Offer a consultation slot to callers who are ready, and book it.",
    ),
    "support": (
        "Help existing customers with questions about a past visit, order or appointment.",
        "Look the caller up by phone number and use their history.",
        "When a problem needs staff, take details and promise a call back.",
    ),
    "scheduler": (
        "Book, move and cancel appointments within opening hours.",
        "Always confirm the day, time and the customer's name and number before booking.",
        "Offer the nearest free slots when the requested time is taken.",
    ),
    "concierge": (
        "Welcome callers warmly and direct them to what they need.",
        "Answer questions from the profile and book appointments when asked.",
    ),
    "custom": (
        "Help callers using the business profile; book appointments and take messages.",
    ),
}


# The roles an owner can pick (packages permitting), in menu order, as shown.
# "scheduler" is the booking assistant (the 4calls role name).
ROLE_LABELS = {
    "receptionist": "Receptionist",
    "sales": "Sales",
    "support": "Support",
    "scheduler": "Booking",
    "custom": "Custom",
}

ROLE_GOALS = {
    "receptionist": "Every caller gets an answer, a booking or a message taken; urgent calls reach the team.",
    "sales": "Qualify interested callers and turn them into leads or booked consultations.",
    "support": "Solve existing customers' questions; hand anything staff must handle over as a message.",
    "scheduler": "Fill the calendar: book, move and cancel appointments without double bookings.",
    "concierge": "Welcome callers and get them to what they need quickly.",
    "custom": "Help callers the way the business describes in the script.",
}


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role.replace("_", " ").capitalize())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _kind_of_business(business) -> str:
    category = (business.category or "business").strip().lower()
    article = "an" if re.match(r"[aeiou]", category) else "a"
    where = f" in {business.city}" if business.city else ""
    return f"{article} {category}{where}"


def coordinator_name(role: str, ordinal: int) -> str:
    names = ROLE_NAMES.get(role, ROLE_NAMES["custom"])
    return names[ordinal % len(names)]


def default_coordinator(business, role: str, ordinal: int = 0) -> dict:
    """Name, greeting, persona and script for the `ordinal`-th coordinator of
    `role` (0 for the first), all within the limits 4calls accepts."""
    first_name = coordinator_name(role, ordinal)
    title = ROLE_TITLES.get(role, "assistant")
    kind = _kind_of_business(business)
    services = [s for s in (business.services or []) if s]
    service_text = ", ".join(services[:8]) if services else "the services listed in the profile"
    greeting = {
        "sales": f"Hi, thanks for calling {business.name}! This is {first_name}. What can we do for you?",
        "support": f"Thanks for calling {business.name} support, this is {first_name}. How can I help?",
        "scheduler": f"Thanks for calling {business.name}, this is {first_name}. Would you like to book an appointment?",
    }.get(role, f"Thank you for calling {business.name}, this is {first_name}. How can I help you today?")
    persona = (
        f"You are {first_name}, the {title} for {business.name}, {kind}. "
        "You are warm, concise and professional. You never invent prices, availability or policies: "
        "you answer from the business profile and say so when you do not know."
    )
    duties = "\n".join(f"- {line}" for line in ROLE_DUTIES.get(role, ROLE_DUTIES["custom"]))
    script = (
        f"Greet the caller as {first_name} from {business.name}.\n"
        f"{business.name} offers: {service_text}.\n"
        f"Your job as the {title}:\n{duties}\n"
        "Before ending the call, summarise what will happen next."
    )
    return {
        "name": _clip(f"{first_name} · {title.capitalize()}", 100),
        "greeting": _clip(greeting, 1000),
        "persona": _clip(persona, 4000),
        "script": _clip(script, 20000),
        "goals": _clip(ROLE_GOALS.get(role, ROLE_GOALS["custom"]), 2000),
    }
