"""How a coordinator words the business's own facts (hours, services, FAQ)."""
from __future__ import annotations

from .call_scripts import script_for
from .scheduling import WEEKDAYS


def _clock(value: str) -> str:
    if value == "24:00":
        return "midnight"
    hour, minute = (int(p) for p in value.split(":"))
    suffix = "AM" if hour < 12 else "PM"
    hour12 = hour % 12 or 12
    return f"{hour12}:{minute:02d} {suffix}" if minute else f"{hour12} {suffix}"


def describe_hours(org: dict) -> str:
    if (org.get("profile") or {}).get("hours"):
        return org["profile"]["hours"]
    groups: list[tuple[list[str], str]] = []
    for day in WEEKDAYS:
        hours = org["business_hours"].get(day)
        text = f"{_clock(hours['open'])} to {_clock(hours['close'])}" if hours else "closed"
        if groups and groups[-1][1] == text:
            groups[-1][0].append(day)
        else:
            groups.append(([day], text))
    parts = []
    for days, text in groups:
        span = days[0].title() if len(days) == 1 else f"{days[0].title()} to {days[-1].title()}"
        parts.append(f"{span} {text}")
    return "; ".join(parts) + "."


def services_of(org: dict) -> list[str]:
    return list((org.get("profile") or {}).get("services") or script_for(org.get("category")).services)


def describe_services(org: dict) -> str:
    services = services_of(org)
    if len(services) == 1:
        return services[0]
    return ", ".join(services[:-1]) + f" and {services[-1]}"


def with_article(noun: str) -> str:
    """"an appointment", "a haircut": never "a appointment"."""
    noun = (noun or "").strip()
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}" if noun else noun
