"""Import mapping templates (advanced CRM): a column mapping saved under a
name and remembered for the business. A new upload whose headers contain
every column of a template starts from that template instead of a guess."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from app.contacts.advanced import enabled, gated
from app.contacts.routes import bp
from app.extensions import db
from app.models import ImportMappingTemplate
from app.web import parse_uuid

MAX_TEMPLATES = 50


class TemplateError(ValueError):
    pass


def templates_of(business) -> list[ImportMappingTemplate]:
    return list(db.session.scalars(select(ImportMappingTemplate).where(ImportMappingTemplate.business_id == business.id)
                                   .order_by(ImportMappingTemplate.name)))


def get_template(business, template_id) -> ImportMappingTemplate | None:
    key = parse_uuid(template_id)
    found = db.session.get(ImportMappingTemplate, key) if key else None
    return found if found is not None and found.business_id == business.id else None


def save_template(business, name: str, mapping: dict) -> ImportMappingTemplate:
    """Create or replace the named template (the caller commits)."""
    name = " ".join((name or "").split())[:80]
    if not name:
        raise TemplateError("Name the template, e.g. “Salon booking export”.")
    if not mapping:
        raise TemplateError("Map at least one column before saving the template.")
    template = db.session.scalar(select(ImportMappingTemplate).where(
        ImportMappingTemplate.business_id == business.id, ImportMappingTemplate.name == name))
    if template is None:
        if len(templates_of(business)) >= MAX_TEMPLATES:
            raise TemplateError(f"You can keep up to {MAX_TEMPLATES} templates; delete one first.")
        template = ImportMappingTemplate(business_id=business.id, name=name, mapping=dict(mapping))
        db.session.add(template)
    else:
        template.mapping = dict(mapping)
    return template


def mapping_for(template: ImportMappingTemplate, headers: list[str], valid_targets: set[str]) -> dict:
    """The template's mapping limited to this file's headers and the fields that exist now."""
    return {t: h for t, h in (template.mapping or {}).items() if h in headers and t in valid_targets}


def remembered_mapping(business, headers: list[str], valid_targets: set[str]) -> dict | None:
    """The most recently saved template whose columns are all in this file, if any."""
    if not enabled(business):
        return None
    candidates = sorted(templates_of(business), key=lambda t: t.updated_at, reverse=True)
    for template in candidates:
        wanted = template.mapping or {}
        if wanted and all(h in headers for h in wanted.values()):
            return mapping_for(template, headers, valid_targets)
    return None


@bp.get("/import-templates")
@gated("Import templates")
def import_templates(business):
    return render_template("contacts/import_templates.html", business=business, templates=templates_of(business))


@bp.post("/import-templates/<template_id>/delete")
@gated("Import templates")
def import_template_delete(business, template_id):
    template = get_template(business, template_id)
    if template is None:
        abort(404)
    db.session.delete(template)
    db.session.commit()
    flash(f"Deleted the import template “{template.name}”.", "success")
    return redirect(url_for("contacts.import_templates", slug=business.slug))
