"""First-response targets and queue priority per package. The catalog
decides who is priority (the `priority_support` feature); operators may
change each package's target in the console."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Business, SupportResponseTarget
from app.packages.catalog import PACKAGES, PackageDefinition

NO_PACKAGE = "none"
PRIORITY_TARGET_MINUTES = 2 * 60
STANDARD_TARGET_MINUTES = 24 * 60
NO_PACKAGE_TARGET_MINUTES = 48 * 60


def default_minutes(package: PackageDefinition | None) -> int:
    if package is None:
        return NO_PACKAGE_TARGET_MINUTES
    return PRIORITY_TARGET_MINUTES if package.has("priority_support") else STANDARD_TARGET_MINUTES


def priority_of(package: PackageDefinition | None) -> int:
    """Higher first in the queue: priority-support packages above all, then by package rank."""
    if package is None:
        return 0
    return package.display_order + (100 if package.has("priority_support") else 0)


def all_targets() -> list[dict]:
    overrides = {t.package_slug: t.minutes for t in db.session.scalars(select(SupportResponseTarget))}
    rows = [{"slug": p.slug, "name": p.name, "priority": p.has("priority_support"),
             "default": default_minutes(p), "minutes": overrides.get(p.slug, default_minutes(p))}
            for p in sorted(PACKAGES, key=lambda p: -p.display_order)]
    rows.append({"slug": NO_PACKAGE, "name": "No active package", "priority": False,
                 "default": default_minutes(None), "minutes": overrides.get(NO_PACKAGE, default_minutes(None))})
    return rows


def target_minutes(package: PackageDefinition | None) -> int:
    slug = package.slug if package else NO_PACKAGE
    override = db.session.get(SupportResponseTarget, slug)
    return override.minutes if override else default_minutes(package)


def set_targets(minutes_by_slug: dict[str, int]) -> None:
    known = {row["slug"] for row in all_targets()}
    for slug, minutes in minutes_by_slug.items():
        if slug not in known:
            continue
        row = db.session.get(SupportResponseTarget, slug)
        if row is None:
            db.session.add(SupportResponseTarget(package_slug=slug, minutes=minutes))
        else:
            row.minutes = minutes
    db.session.commit()


def package_for(business: Business) -> PackageDefinition | None:
    from app.usage.services import package_of

    return package_of(business)


def describe_minutes(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"
