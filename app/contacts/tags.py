"""The one rule for contact tags, wherever they come from (the owner's
edits, a CSV import, segment rules, the 4calls sync): white space folded,
lower case, at most TAG_LENGTH characters. "VIP" and " vip " are one tag."""
from __future__ import annotations

TAG_LENGTH = 50


def normalize_tag(text) -> str:
    return " ".join(str(text or "").split()).lower()[:TAG_LENGTH]


def clean_tags(tags) -> list[str]:
    """Normalised, without blanks or repeats, in the order given."""
    cleaned = []
    for tag in tags or []:
        tag = normalize_tag(tag)
        if tag and tag not in cleaned:
            cleaned.append(tag)
    return cleaned
