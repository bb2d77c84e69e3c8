"""Advanced CRM pages: duplicates and merge, bulk edit."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.contacts import bulk_edit as bulk
from app.contacts.advanced import gated
from app.contacts.duplicates import find_duplicates
from app.contacts.fields import field_definitions
from app.contacts.merge import MergeError, load_group, merge, merge_plan
from app.contacts.routes import bp
from app.contacts.segments import segments_of


@bp.get("/duplicates")
@gated("Duplicate contacts")
def duplicates(business):
    return render_template("contacts/duplicates.html", business=business, groups=find_duplicates(business))


@bp.route("/merge", methods=["GET", "POST"])
@gated("Merge contacts")
def merge_contacts(business):
    """GET: the preview of what is kept (choices re-rendered with ?kept=&pick_*=); POST: the merge."""
    source = request.form if request.method == "POST" else request.args
    picks = {name: source.get(f"pick_{name}") for name in ("name", "phone", "email") if source.get(f"pick_{name}")}
    try:
        contacts = load_group(business, source.getlist("ids"))
        plan = merge_plan(business, contacts, source.get("kept"), picks)
    except MergeError as exc:
        flash(str(exc), "error")
        return redirect(url_for("contacts.duplicates", slug=business.slug))
    if request.method == "GET":
        return render_template("contacts/merge.html", business=business, plan=plan, picks=picks,
                               definitions=field_definitions(business))
    kept = merge(business, plan, actor=current_user)
    others = len(plan.others)
    flash(f"Merged {others + 1} contacts into {kept.name or kept.phone or kept.email}.", "success")
    return redirect(url_for("contacts.detail", slug=business.slug, contact_id=kept.id))


@bp.route("/bulk-edit", methods=["GET", "POST"])
@gated("Bulk edit")
def bulk_edit(business):
    """Choose the change for the selected contacts (or ?saved=<segment>), then apply it."""
    source = request.form if request.method == "POST" else request.args
    ids, saved = source.getlist("ids"), source.get("saved", "")
    values = {k: source.get(k, "") for k in ("action", "field", "value")}
    errors, selection, status = {}, None, 200
    try:
        selection = bulk.selection_from(business, ids, saved)
    except bulk.BulkEditError as exc:
        errors.update(exc.errors)
        status = 422 if request.method == "POST" else 200
    if selection is not None and request.method == "POST" and source.get("step") == "apply":
        try:
            change = bulk.clean_change(business, values["action"], values["field"], values["value"])
            changed = bulk.apply(business, selection, change, actor=current_user)
        except bulk.BulkEditError as exc:
            errors.update(exc.errors)
            status = 422
        else:
            flash(f"Changed {changed} contact{'s' if changed != 1 else ''}.", "success")
            if selection.segment is not None:
                return redirect(url_for("contacts.index", slug=business.slug, saved=selection.segment.id))
            return redirect(url_for("contacts.index", slug=business.slug))
    return render_template(
        "contacts/bulk_edit.html", business=business, selection=selection, errors=errors, values=values,
        count=bulk.count_selected(business, selection) if selection else 0, actions=bulk.ACTIONS,
        definitions=field_definitions(business), segments=segments_of(business), ids=ids, saved=saved,
    ), status
