"""What a package change takes away, told to the owner before they confirm it.

Features come from the catalog (rows the target package lacks). Areas that
keep data the owner made with a feature describe here what happens to it:
kept, but read-only.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from app.packages.catalog import FEATURES, PackageDefinition


@dataclass(frozen=True)
class Loss:
    feature: str
    label: str
    detail: str = ""  # what happens to the data already made with it


def _advanced_crm_detail(business) -> str:
    from app.models import Contact, ContactFieldDefinition, ContactSegment, ImportMappingTemplate

    fields = db.session.scalar(select(func.count()).select_from(ContactFieldDefinition)
                               .where(ContactFieldDefinition.business_id == business.id)) or 0
    if not fields:
        return "Segments, duplicate merge, bulk edit and import templates are no longer available."
    with_values = db.session.scalar(select(func.count()).select_from(Contact).where(
        Contact.business_id == business.id, Contact.deleted_at.is_(None), Contact.custom_fields != {})) or 0
    segments = db.session.scalar(select(func.count()).select_from(ContactSegment)
                                 .where(ContactSegment.business_id == business.id)) or 0
    templates = db.session.scalar(select(func.count()).select_from(ImportMappingTemplate)
                                  .where(ImportMappingTemplate.business_id == business.id)) or 0
    parts = [f"Your {fields} custom field{'s' if fields != 1 else ''} and their values on {with_values} "
             f"contact{'s' if with_values != 1 else ''} are kept but become read-only"]
    if segments:
        parts.append(f"{segments} saved segment{'s keep' if segments != 1 else ' keeps'} working for campaigns "
                     "already using it but can no longer be edited")
    if templates:
        parts.append(f"{templates} import template{'s are' if templates != 1 else ' is'} kept but not applied")
    return "; ".join(parts) + "."


DETAILS = {"advanced_crm": _advanced_crm_detail}


def losses(business, current: PackageDefinition | None, target: PackageDefinition) -> list[Loss]:
    """Features of the current package the target lacks, in comparison-table order."""
    if current is None:
        return []
    lost = [f for f in FEATURES if current.has(f.key) and not target.has(f.key)]
    return [Loss(f.key, f.label, DETAILS[f.key](business) if f.key in DETAILS else "") for f in lost]
