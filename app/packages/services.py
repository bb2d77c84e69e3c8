from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AIServicePackage
from app.packages.catalog import FEATURES, PACKAGES


def sync_catalog() -> int:
    """Bring the packages table in line with the catalog. Idempotent; returns
    the number of rows inserted or changed."""
    existing = {p.slug: p for p in db.session.scalars(select(AIServicePackage))}
    changed = 0
    for definition in PACKAGES:
        values = {
            "name": definition.name,
            "description": definition.description,
            "monthly_price": definition.monthly_price(),
            "features": definition.features_json(),
            "coordinator_count": definition.coordinator_count,
            "call_minutes_inbound": definition.call_minutes_inbound,
            "call_minutes_outbound": definition.call_minutes_outbound,
            "contact_limit": definition.contact_limit,
            "campaign_limit": definition.campaign_limit,
            "is_active": True,
            "display_order": definition.display_order,
        }
        row = existing.get(definition.slug)
        if row is None:
            db.session.add(AIServicePackage(slug=definition.slug, **values))
            changed += 1
            continue
        if any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            changed += 1
    db.session.commit()
    return changed


def comparison_rows() -> list[dict]:
    """Rows for the side-by-side picker: limits first, then each feature yes/no."""
    def limit(value, unit=""):
        return "Unlimited" if value is None else f"{value:,}{unit}"

    rows = [
        {"label": "AI assistants", "cells": [str(p.coordinator_count) for p in PACKAGES]},
        {"label": "Inbound call minutes / month", "cells": [limit(p.call_minutes_inbound) for p in PACKAGES]},
        {
            "label": "Outbound call minutes / month",
            "cells": [limit(p.call_minutes_outbound) if p.call_minutes_outbound else "—" for p in PACKAGES],
        },
        {"label": "Contacts", "cells": [limit(p.contact_limit) for p in PACKAGES]},
    ]
    for feature in FEATURES:
        rows.append({"label": feature.label, "flags": [p.has(feature.key) for p in PACKAGES]})
    return rows
