"""Contacts: list and search, contact page with click-to-edit, tags, custom fields."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.contacts import services
from app.contacts.fields import FieldDefinitionError, add_field_definition, field_definitions, remove_field_definition
from app.contacts.forms import ContactForm, FieldDefinitionForm
from app.contacts.advanced import FEATURE, PROMISES, enabled as crm_enabled, read_only_message, upsell
from app.packages.offers import smallest_package_with
from app.contacts.segments import segments_of
from app.contacts.timeline import contact_timeline
from app.inputs import page_number
from app.web import owned_business_or_404, render_partial_or_page

bp = Blueprint("contacts", __name__, url_prefix="/businesses/<slug>/contacts")


def _contact_or_404(business, contact_id):
    contact = services.get_contact_or_none(business, contact_id)
    if contact is None:
        abort(404)
    return contact


@bp.get("")
@login_required
def index(slug):
    business = owned_business_or_404(slug)
    advanced = crm_enabled(business)
    if request.args.get("saved") and not advanced:
        return upsell(business, "Saved segments")
    search = services.search_contacts(business, services.ContactSearch(
        query=request.args.get("q", ""), tag=request.args.get("tag", ""),
        segment=request.args.get("segment", ""), sort=request.args.get("sort", "name"),
        page=request.args.get("page", 1, type=page_number), saved=request.args.get("saved", ""),
    ))
    return render_partial_or_page(
        "contacts/index.html", "contacts/_results.html", business=business, search=search,
        tags=services.business_tags(business), segments=services.SEGMENTS, advanced=advanced,
        saved_segments=segments_of(business) if advanced else [],
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(slug):
    business = owned_business_or_404(slug)
    form = ContactForm()
    if form.validate_on_submit():
        try:
            contact = services.create_contact(business, form.data, tags=(form.tags.data or "").split(","))
        except services.ContactError as exc:
            for name, message in exc.errors.items():
                getattr(form, name, form.name).errors.append(message)
        except services.ContactLimitReached as exc:
            flash(str(exc), "error")
            return render_template("contacts/new.html", business=business, form=form, upgrade=True), 422
        else:
            flash(f"{contact.name or contact.phone or contact.email} was added.", "success")
            return redirect(url_for("contacts.detail", slug=slug, contact_id=contact.id))
    status = 422 if form.is_submitted() else 200
    return render_template("contacts/new.html", business=business, form=form), status


@bp.get("/<contact_id>")
@login_required
def detail(slug, contact_id):
    business = owned_business_or_404(slug)
    contact = _contact_or_404(business, contact_id)
    return render_template(
        "contacts/detail.html", business=business, contact=contact,
        definitions=field_definitions(business), timeline=contact_timeline(business, contact),
        fields_read_only=None if crm_enabled(business) else read_only_message(business),
    )


def _field_context(business, contact, field):
    if field in services.EDITABLE_FIELDS:
        return {"field": field, "label": field.capitalize(), "definition": None}
    if field.startswith("cf_"):
        definition = next((d for d in field_definitions(business) if d.key == field[3:]), None)
        if definition is not None:
            read_only = None if crm_enabled(business) else read_only_message(business)
            return {"field": field, "label": definition.label, "definition": definition, "read_only": read_only}
    abort(404)


@bp.route("/<contact_id>/field/<field>", methods=["GET", "POST"])
@login_required
def field(slug, contact_id, field):
    """Click-to-edit: GET ?edit=1 gives the input, POST saves, GET gives the value."""
    business = owned_business_or_404(slug)
    contact = _contact_or_404(business, contact_id)
    context = dict(business=business, contact=contact, **_field_context(business, contact, field))
    if context.get("read_only"):  # kept after a downgrade, shown but not changed
        if request.method == "GET":
            return render_template("contacts/_field.html", **context)
        return render_template("contacts/_field.html", **context), 403
    if request.method == "GET":
        template = "contacts/_field_edit.html" if request.args.get("edit") else "contacts/_field.html"
        return render_template(template, **context)
    value = request.form.get("value", "")
    data = {"custom_fields": {field[3:]: value}} if field.startswith("cf_") else {field: value}
    try:
        services.update_contact(business, contact, data)
    except services.ContactError as exc:
        return render_template("contacts/_field_edit.html", value=value,
                               error=next(iter(exc.errors.values())), **context), 422
    return render_template("contacts/_field.html", **context)


@bp.post("/<contact_id>/tags")
@login_required
def tags(slug, contact_id):
    business = owned_business_or_404(slug)
    contact = _contact_or_404(business, contact_id)
    error = None
    try:
        services.set_tags(contact, request.form.get("tags", "").split(","))
    except services.ContactError as exc:
        error = next(iter(exc.errors.values()))
    return render_template("contacts/_tags.html", business=business, contact=contact, error=error), (422 if error else 200)


@bp.post("/<contact_id>/delete")
@login_required
def delete(slug, contact_id):
    business = owned_business_or_404(slug)
    contact = _contact_or_404(business, contact_id)
    services.delete_contact(business, contact)
    flash(f"{contact.name or 'The contact'} was deleted.", "success")
    return redirect(url_for("contacts.index", slug=slug))


@bp.post("/bulk-tag")
@login_required
def bulk_tag(slug):
    business = owned_business_or_404(slug)
    add = request.form.get("action", "add") != "remove"
    try:
        changed = services.bulk_tag(business, request.form.getlist("ids"), request.form.get("tag", ""), add)
    except services.ContactError as exc:
        flash(next(iter(exc.errors.values())), "error")
    else:
        verb = "Tagged" if add else "Untagged"
        flash(f"{verb} {changed} contact{'s' if changed != 1 else ''}.", "success")
    index_url = url_for("contacts.index", slug=slug)
    back = request.form.get("next", "")
    # Only back to the filtered list it came from, never to another site.
    return redirect(back if back.startswith(index_url) else index_url)


@bp.route("/fields", methods=["GET", "POST"])
@login_required
def fields(slug):
    business = owned_business_or_404(slug)
    if not crm_enabled(business):
        # Lower packages see the offer; fields kept from a higher package are listed, read-only.
        return render_template("contacts/fields.html", business=business, form=None, definitions=field_definitions(business),
                               read_only=read_only_message(business), upsell_promises=PROMISES,
                               offer=smallest_package_with(FEATURE)), (200 if request.method == "GET" else 403)
    form = FieldDefinitionForm()
    status = 200
    if form.validate_on_submit():
        try:
            definition = add_field_definition(business, form.label.data, form.field_type.data)
        except FieldDefinitionError as exc:
            form.label.errors.append(str(exc))
            status = 422
        else:
            flash(f"Added the field “{definition.label}”.", "success")
            return redirect(url_for("contacts.fields", slug=slug))
    elif form.is_submitted():
        status = 422
    return render_template("contacts/fields.html", business=business, form=form,
                           definitions=field_definitions(business)), status


@bp.post("/fields/<definition_id>/delete")
@login_required
def delete_field(slug, definition_id):
    business = owned_business_or_404(slug)
    if not crm_enabled(business):
        return upsell(business, "Custom fields")
    if not remove_field_definition(business, definition_id):
        abort(404)
    flash("Field removed. Values already saved on contacts are kept.", "success")
    return redirect(url_for("contacts.fields", slug=slug))


@bp.context_processor
def contact_helpers():
    from app.contacts.fields import display_value
    from app.models import CustomFieldType

    return {"custom_display": display_value, "field_type_labels": CustomFieldType.LABELS}


from app.contacts import csv_routes  # noqa: E402,F401  (registers the CSV routes on bp)
from app.contacts import crm_routes, import_templates, segment_routes  # noqa: E402,F401  (advanced CRM routes)
