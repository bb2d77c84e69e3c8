"""Exports are audited before the file streams: who downloaded what, with which filters."""
from __future__ import annotations

from app.audit.services import current_actor, record
from app.extensions import db


def record_export(business, what: str, filters: dict | None = None) -> None:
    summary = {str(k)[:40]: str(v)[:200] for k, v in (filters or {}).items() if v}
    action = "contacts.exported" if what == "contacts" else f"export.{what}"
    record(action, business=business, actor=current_actor(), target_type="export", target_label=f"{what} CSV",
           after=summary or None)
    db.session.commit()
