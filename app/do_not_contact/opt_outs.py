"""Calls in which the person asked not to be called again put their number
on the business's do-not-call list, with when and why.

Checked on every call as it first arrives (webhook or sync) and on campaign
dial results, so a later campaign, retry or follow-up can never reach them.
"""
from __future__ import annotations

import re

from app.do_not_contact.services import DoNotContactError, add
from app.models import DoNotContactChannel, DoNotContactSource
from app.timezones import format_local

# What a callee says when they want no more calls (matched on their own turns only).
OPT_OUT_PATTERNS = re.compile(
    r"\b(stop calling|remove me|take me off|don'?t call|do not call|never call|no more calls|"
    r"unsubscribe me|lose my number)\b", re.IGNORECASE)
CALLEE_SPEAKERS = ("caller", "customer", "callee", "contact", "user")


def opt_out_phrase(transcript) -> str | None:
    """The callee's words that ask for no more calls, if any."""
    for turn in transcript or []:
        if not isinstance(turn, dict) or str(turn.get("speaker") or "").lower() not in CALLEE_SPEAKERS:
            continue
        text = str(turn.get("text") or "")
        if OPT_OUT_PATTERNS.search(text):
            return text[:200]
    return None


def note_call_opt_out(business, call: dict, *, flagged: bool = False) -> bool:
    """List the callee's number when the call shows an opt-out: their words, or
    4calls flagging it (`flagged`, e.g. outcome not_interested with opt-out).
    Returns True when the number is (now) listed. The caller commits."""
    phrase = opt_out_phrase(call.get("transcript"))
    if not phrase and not flagged:
        return False
    number = call.get("caller_number")
    if not number:
        return False
    from app.crm_sync.upserts import parse_timestamp

    when = format_local(parse_timestamp(call.get("started_at")), business) if call.get("started_at") else ""
    said = f"said “{phrase}”" if phrase else f"call outcome {call.get('outcome') or 'opt-out'}, flagged as an opt-out"
    reason = f"On the {call.get('direction') or ''} call of {when}, {said}".replace("  ", " ")
    try:
        add(business, DoNotContactChannel.PHONE, number, source=DoNotContactSource.CALL_OPT_OUT, reason=reason)
    except DoNotContactError:
        return False
    return True


def note_opt_outs(business, calls) -> int:
    """For newly arrived calls (sync and webhooks); returns how many numbers were listed."""
    return sum(1 for call in calls if isinstance(call, dict) and note_call_opt_out(business, call))
