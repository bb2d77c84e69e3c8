"""Small helpers shared by the 4calls sandbox tests."""
from __future__ import annotations

import json
import time
from datetime import date, timedelta


def parse_sse(text: str) -> list[tuple[str, dict]]:
    """[(event, data), ...] from a complete text/event-stream body."""
    events = []
    for block in text.strip().split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


def next_weekday(weekday: int, weeks_ahead: int = 1) -> date:
    """A date with the given weekday (0 = Monday), at least two days from today."""
    day = date.today() + timedelta(days=2 + 7 * (weeks_ahead - 1))
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll until predicate() is truthy and return its value; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
