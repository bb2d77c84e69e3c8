"""Contacts CSV import (upload, mapping and preview, progress) and export."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import login_required
from werkzeug.exceptions import RequestEntityTooLarge

from app.contacts import import_templates as templates, importer
from app.contacts.advanced import enabled as crm_enabled, upsell
from app.contacts.csvfile import CsvProblem
from app.contacts.exporter import export_rows
from app.contacts.forms import ImportUploadForm
from app.contacts.routes import bp
from app.contacts.services import ContactSearch
from app.extensions import db
from app.models import ImportStatus, JobRun
from app.audit.exports import record_export
from app.web import owned_business_or_404, render_partial_or_page


def _import_or_404(business, import_id):
    found = importer.get_import(business, import_id)
    if found is None:
        abort(404)
    return found


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_upload(slug):
    business = owned_business_or_404(slug)
    try:
        form = ImportUploadForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        limit_mb = (request.max_content_length or 0) // (1024 * 1024)
        form, error = ImportUploadForm(formdata=None), f"That file is larger than {limit_mb} MB. Split it into smaller files and import them one after another."
        return render_template("contacts/import_upload.html", business=business, form=form, error=error), 413
    error = None
    if submitted:
        upload = form.file.data
        if not upload or not upload.filename:
            error = "Choose a CSV file to upload."
        else:
            try:
                contact_import, encoding = importer.create_import(business, upload.filename, upload.read())
            except CsvProblem as exc:
                error = str(exc)
            else:
                if encoding != "UTF-8":
                    flash(f"The file is not UTF-8; it was read as {encoding}. Check in the preview that names with accents look right.", "warning")
                return redirect(url_for("contacts.import_review", slug=slug, import_id=contact_import.id))
    elif form.is_submitted():
        error = "Your form expired. Please choose the file again."
    return render_template("contacts/import_upload.html", business=business, form=form, error=error), (422 if error else 200)


@bp.route("/import/<import_id>", methods=["GET", "POST"])
@login_required
def import_review(slug, import_id):
    """Column mapping and a preview; POST saves the mapping and starts the import."""
    business = owned_business_or_404(slug)
    contact_import = _import_or_404(business, import_id)
    error = None
    action = request.form.get("action")
    if request.method == "POST" and action in ("save_template", "apply_template") and not crm_enabled(business):
        return upsell(business, "Import templates")
    if request.method == "POST" and contact_import.status in (ImportStatus.UPLOADED, ImportStatus.FAILED):
        chosen = {target: request.form.get(f"map_{target}", "") for target, _ in importer.mapping_targets(business)}
        chosen = {t: h for t, h in chosen.items() if h}
        try:
            if action == "apply_template":
                chosen = _template_mapping(business, contact_import)
            importer.set_mapping(business, contact_import, chosen)
            if action == "save_template":
                saved = templates.save_template(business, request.form.get("template_name", ""), contact_import.mapping)
                db.session.commit()
                flash(f"Saved the mapping as “{saved.name}”: the next file with these columns starts from it.", "success")
        except (CsvProblem, templates.TemplateError) as exc:
            db.session.rollback()
            error = str(exc)
        else:
            if action == "start":
                importer.start_import(business, contact_import)
            return redirect(url_for("contacts.import_review", slug=slug, import_id=contact_import.id))
    return render_template(
        "contacts/import_review.html", business=business, imp=contact_import, error=error,
        targets=importer.mapping_targets(business), preview=importer.preview(business, contact_import),
        run=db.session.get(JobRun, contact_import.job_run_id) if contact_import.job_run_id else None,
        advanced=crm_enabled(business), templates=templates.templates_of(business) if crm_enabled(business) else [],
    ), (422 if error else 200)


def _template_mapping(business, contact_import) -> dict:
    template = templates.get_template(business, request.form.get("template_id", ""))
    if template is None:
        raise templates.TemplateError("Choose one of your saved templates.")
    return templates.mapping_for(template, contact_import.headers, {t for t, _ in importer.mapping_targets(business)})


@bp.get("/import/<import_id>/progress")
@login_required
def import_progress(slug, import_id):
    business = owned_business_or_404(slug)
    contact_import = _import_or_404(business, import_id)
    run = db.session.get(JobRun, contact_import.job_run_id) if contact_import.job_run_id else None
    return render_partial_or_page("contacts/import_review.html", "contacts/_import_progress.html",
                                  business=business, imp=contact_import, run=run, error=None,
                                  targets=importer.mapping_targets(business),
                                  preview=importer.preview(business, contact_import))


@bp.get("/export.csv")
@login_required
def export(slug):
    business = owned_business_or_404(slug)
    search = ContactSearch(query=request.args.get("q", ""), tag=request.args.get("tag", ""),
                           segment=request.args.get("segment", ""), saved=request.args.get("saved", ""))
    if search.saved:  # exporting a saved segment is advanced CRM
        from app.contacts.advanced import enabled, upsell
        from app.contacts.segments import get_segment

        if not enabled(business):
            return upsell(business, "Saved segments")
        if get_segment(business, search.saved) is None:
            abort(404)
    filename = f"{business.slug}-contacts.csv"
    record_export(business, "contacts", {"search": search.query, "tag": search.tag, "segment": search.segment,
                                         "saved_segment": search.saved})
    return Response(stream_with_context(export_rows(business, search)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
