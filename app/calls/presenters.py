"""How a call is shown wherever calls are listed."""
from __future__ import annotations

from markupsafe import Markup

from app.wording import status_badge

_TEST_BADGE = Markup('<span class="badge">Test call</span>')
_FORWARDED = Markup('<span class="forward-reason muted" data-forward-reason>→ {}{} · {}</span>')


def call_badges(call) -> Markup:
    """A call's status, outcome, test and forwarding badges (`{{ call_badges(call) }}`):
    the call log's rows, the dashboard's recent calls, a call's page, the test call.

    A function rather than a Jinja macro: the call log draws it on every row,
    and a macro call cost about as much as the rest of the row."""
    status, outcome = call.status, call.outcome
    parts = [status_badge(status, "call")]
    if outcome and outcome != status:
        parts.append(status_badge(outcome, "outcome"))
    if call.is_test:
        parts.append(_TEST_BADGE)
    if call.forwarded_to:
        not_answered = " (not answered)" if call.forward_answered is False else ""
        parts.append(_FORWARDED.format(call.forwarded_to, not_answered, call.forward_reason))
    return Markup("\n").join(parts)
