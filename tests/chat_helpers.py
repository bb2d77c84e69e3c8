"""Helpers for the chat widget tests: a business wired to a real 4calls
sandbox organization and coordinator, and a reader for the widget's SSE."""
from __future__ import annotations

import json
import re

from app.encryption import encrypt
from app.fourcalls import platform_client
from tests.factories import make_integration

OPEN_ALL_DAY = {day: {"open": "00:00", "close": "24:00"} for day in
                ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}


def provision_chat(business, *, package="ai_receptionist", faq=None):
    """Create the organization and coordinator in the sandbox the app points at
    (FOURCALLS_API_URL) and record them as the business's active integration.
    Open around the clock in UTC, so slots exist whenever the test runs."""
    client = platform_client()
    organization = client.create_organization({
        "name": business.name, "timezone": business.timezone, "business_hours": OPEN_ALL_DAY,
        "profile": {"description": business.description or "", "services": list(business.services or []),
                    "faq": faq or []},
    })
    coordinator = client.create_coordinator(organization["id"], {"name": "Ava", "role": "receptionist"})
    make_integration(business, package, organization_id=organization["id"], coordinator_id=coordinator["id"],
                     api_key=encrypt(organization["api_key"]))
    return organization


def widget_token(html: str) -> str:
    return re.search(r'data-token="([^"]+)"', html).group(1)


def sse_events(body: str) -> list[tuple[str, dict]]:
    events = []
    for block in body.strip().split("\n\n"):
        name, data = "message", ""
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
        if data:
            events.append((name, json.loads(data)))
    return events


def reply_text(events) -> str:
    return "".join(data["text"] for name, data in events if name == "token")
