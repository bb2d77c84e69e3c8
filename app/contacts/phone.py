"""Phone numbers to E.164, with errors an owner can act on.

Numbers written without a country code are read as North American (+1),
the directory's market; anything else must start with + or 00.
"""
from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s().\-/]")


class InvalidPhone(ValueError):
    pass


def normalise_phone(raw: str | None) -> str | None:
    """'(555) 201-1001' -> '+15552011001'. Empty input is None; bad input raises InvalidPhone."""
    text = (raw or "").strip()
    if not text:
        return None
    if re.search(r"[A-Za-z]", text):
        raise InvalidPhone(f"“{text}” is not a phone number: it contains letters.")
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not re.fullmatch(r"\+?\d+", compact):
        raise InvalidPhone(f"“{text}” is not a phone number: use digits, spaces, dashes and an optional leading +.")
    if compact.startswith("+"):
        digits = compact[1:]
        if digits.startswith("0") or not 7 <= len(digits) <= 15:
            raise InvalidPhone(f"“{text}” is not a valid international number (country code, then 7 to 15 digits in all).")
        return "+" + digits
    digits = compact
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10:
        if digits[0] in "01":
            raise InvalidPhone(f"“{text}” is not a valid North American number: the area code cannot start with {digits[0]}.")
        return "+1" + digits
    raise InvalidPhone(
        f"“{text}” has {len(digits)} digits. Enter a 10-digit North American number or start with + and the country code."
    )


def display_phone(e164: str | None) -> str:
    """+15552011001 -> +1 555 201 1001 (other countries stay compact)."""
    if not e164:
        return ""
    if e164.startswith("+1") and len(e164) == 12:
        return f"+1 {e164[2:5]} {e164[5:8]} {e164[8:]}"
    return e164
