"""How the product words things, in one place: counts with the right plural,
"a"/"an", package and role names as proper names, and the one status map
(name and badge colour of every status, wherever it is shown)."""
from __future__ import annotations

from markupsafe import Markup

# (label, badge tone) per kind of status. Tones are the badge classes in app.css.
STATUSES: dict[str, dict[str, tuple[str, str]]] = {
    "call": {
        "answered": ("Answered", "ok"),
        "missed": ("Missed", "bad"),
        "voicemail": ("Voicemail", "warn"),
        "forwarded": ("Forwarded", "brand"),
    },
    "outcome": {
        "booked": ("Booked", "brand"),
        "lead": ("Lead", "brand"),
        "message": ("Message", ""),
        "question": ("Question", ""),
        "no_answer": ("No answer", ""),
        "not_interested": ("Not interested", ""),
        "wrong_number": ("Wrong number", ""),
        "forwarded": ("Forwarded", "brand"),
    },
    "appointment": {
        "scheduled": ("Scheduled", "brand"),
        "completed": ("Completed", "ok"),
        "cancelled": ("Cancelled", "bad"),
        "no_show": ("No show", "bad"),
    },
    "reminder": {
        "scheduled": ("Scheduled", ""),
        "queued": ("Queued", "warn"),
        "sent": ("Sent", "brand"),
        "delivered": ("Delivered", "ok"),
        "failed": ("Failed", "bad"),
        "cancelled": ("Cancelled", ""),
    },
    "sync": {
        "pending": ("Pending", "warn"),
        "error": ("Not synced", "bad"),
        "synced": ("Synced", "ok"),
    },
    "invoice": {
        "paid": ("Paid", "ok"),
        "open": ("Open", "warn"),
        "draft": ("Draft", ""),
        "uncollectible": ("Uncollectible", "bad"),
        "void": ("Void", ""),
    },
    "lead": {
        "new": ("New", "brand"),
        "contacted": ("Contacted", ""),
        "qualified": ("Qualified", "warn"),
        "won": ("Won", "ok"),
        "lost": ("Lost", "bad"),
    },
    "campaign": {
        "draft": ("Draft", ""),
        "scheduled": ("Scheduled", "warn"),
        "running": ("Running", "ok"),
        "paused": ("Paused", "warn"),
        "completed": ("Completed", ""),
        "cancelled": ("Cancelled", "bad"),
    },
    "billing": {
        "none": ("No subscription", ""),
        "active": ("Active", "ok"),
        "past_due": ("Payment failed", "warn"),
        "suspended": ("Suspended", "bad"),
        "cancelled": ("Cancelled", ""),
    },
    "assistant": {
        "pending": ("Not set up", ""),
        "provisioning": ("Setting up", "brand"),
        "active": ("Active", "ok"),
        "past_due": ("Payment overdue", "warn"),
        "suspended": ("Paused", "warn"),
        "cancelled": ("Cancelled", ""),
        "error": ("Needs attention", "bad"),
    },
}

# Words that keep their capitals inside a sentence.
_ACRONYMS = {"ai": "AI", "sms": "SMS", "faq": "FAQ", "csv": "CSV"}


def status_label(value: str | None, kind: str) -> str:
    if not value:
        return ""
    return STATUSES.get(kind, {}).get(value, (value.replace("_", " ").capitalize(), ""))[0]


def status_tone(value: str | None, kind: str) -> str:
    return STATUSES.get(kind, {}).get(value or "", ("", ""))[1]


def _format_badge(value: str, kind: str) -> Markup:
    return Markup('<span class="badge {tone} status-{kind}-{value}" data-{kind}-status="{value}">{label}</span>').format(
        tone=status_tone(value, kind), kind=kind, value=value, label=status_label(value, kind))


# Every known badge, formatted once: lists show one or two per row, and
# Markup.format is most of a row's rendering time. Unknown values are
# formatted on each use (and never stored, so odd input cannot grow this).
_KNOWN_BADGES = {(kind, value): _format_badge(value, kind) for kind, values in STATUSES.items() for value in values}


def status_badge(value: str | None, kind: str) -> Markup:
    """`{{ call.status|status('call') }}`: the badge, same name and colour everywhere."""
    if not value:
        return Markup("")
    return _KNOWN_BADGES.get((kind, value)) or _format_badge(value, kind)


def title_words(text: str | None) -> str:
    """"ai_receptionist" -> "AI Receptionist" (never "Ai Receptionist")."""
    words = (text or "").replace("_", " ").split()
    return " ".join(_ACRONYMS.get(w.lower(), w[:1].upper() + w[1:]) for w in words)


def sentence_words(text: str | None) -> str:
    """A label inside a sentence: "Inbound minutes" -> "inbound minutes", "AI assistants" stays."""
    words = (text or "").split()
    return " ".join(_ACRONYMS.get(w.lower(), w.lower()) for w in words)


def package_name(slug: str | None) -> str:
    from app.packages.catalog import get_package

    package = get_package(slug) if slug else None
    return package.name if package else title_words(slug)


def role_name(role: str | None) -> str:
    """The role's proper name ("scheduler" reads "Booking"), from the assistant's role defaults."""
    from app.assistant.scripting import role_label

    return role_label(role) if role else ""


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """1 call, 2 calls, 1,000 inbound minutes, 1 AI assistant."""
    count = int(count or 0)
    if count == 1:
        return f"1 {singular}"
    if plural_form is None:
        head, _, last = singular.rpartition(" ")
        last_plural = last + ("es" if last.endswith(("s", "sh", "ch", "x")) else "s")
        plural_form = f"{head} {last_plural}" if head else last_plural
    return f"{count:,} {plural_form}"


def with_article(noun: str | None) -> str:
    """"an appointment", "a haircut", "an AI assistant"."""
    noun = (noun or "").strip()
    if not noun:
        return ""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"
