"""The widget's identity and branding: public key, colours, wording, and
which sites may embed it."""
from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Business
from app.models.chat import ChatWidget, WidgetPosition

MAX_ALLOWED_ORIGINS = 20
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_HOST = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


class InvalidOrigin(ValueError):
    pass


def new_public_key() -> str:
    return "w_" + secrets.token_urlsafe(18)


def widget_for(business: Business) -> ChatWidget:
    """The business's widget, created with sensible branding on first use."""
    widget = db.session.scalar(select(ChatWidget).where(ChatWidget.business_id == business.id))
    if widget is not None:
        return widget
    widget = ChatWidget(
        business_id=business.id,
        public_key=new_public_key(),
        assistant_name=business.name[:60],
        greeting=f"Hi! Ask us anything about {business.name}."[:300],
        position=WidgetPosition.RIGHT,
        allowed_origins=[],
    )
    db.session.add(widget)
    try:
        db.session.commit()
    except IntegrityError:
        # Two first requests raced; the other one created it.
        db.session.rollback()
        widget = db.session.scalar(select(ChatWidget).where(ChatWidget.business_id == business.id))
    return widget


def widget_by_public_key(public_key: str) -> ChatWidget | None:
    """Only widgets of claimed businesses answer: an unclaimed listing has nobody to chat for."""
    if not public_key or len(public_key) > 40:
        return None
    widget = db.session.scalar(select(ChatWidget).where(ChatWidget.public_key == public_key))
    if widget is None or not widget.business.is_claimed:
        return None
    return widget


def normalise_origin(raw: str) -> str:
    """'https://Example.com/' -> 'https://example.com'; wildcards only as a leading '*.'."""
    text = raw.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidOrigin(f"“{text}” is not a web origin: write it like https://www.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise InvalidOrigin(f"“{text}” should be only the site's address, without a page path (https://www.example.com)")
    host, _, port = parts.netloc.lower().partition(":")
    if not _HOST.match(host) or (port and not port.isdigit()):
        raise InvalidOrigin(f"“{text}” does not contain a valid host name")
    return f"{parts.scheme}://{host}{':' + port if port else ''}"


def parse_origins(text: str) -> list[str]:
    """One origin per line (commas and spaces also separate); duplicates dropped."""
    origins: list[str] = []
    for piece in re.split(r"[\s,]+", text or ""):
        if piece:
            origin = normalise_origin(piece)
            if origin not in origins:
                origins.append(origin)
    if len(origins) > MAX_ALLOWED_ORIGINS:
        raise InvalidOrigin(f"List at most {MAX_ALLOWED_ORIGINS} sites.")
    return origins


def update_branding(widget: ChatWidget, *, accent_color: str, assistant_name: str, greeting: str,
                    position: str, allowed_origins: list[str]) -> ChatWidget:
    widget.accent_color = accent_color.lower()
    widget.assistant_name = assistant_name.strip()
    widget.greeting = greeting.strip()
    widget.position = position if position in WidgetPosition.CHOICES else WidgetPosition.RIGHT
    widget.allowed_origins = list(allowed_origins)
    db.session.commit()
    return widget


def frame_ancestors(widget: ChatWidget) -> str:
    """The CSP frame-ancestors source list: AlphaSite itself plus the owner's sites."""
    return " ".join(["'self'", *widget.allowed_origins])


def readable_text_colour(accent: str) -> str:
    """White or near-black, whichever reads better on the accent colour (WCAG luminance)."""
    channels = [int(accent[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#111827" if luminance > 0.4 else "#ffffff"
