"""Saved segments (advanced CRM): the list and the AND/OR builder.

The builder works without script: "Add condition", "Add group" and "Remove"
are submit buttons that re-render the form with one row more or less, and
"Preview" counts the matching contacts without saving.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from app.contacts.advanced import gated
from app.contacts.fields import field_definitions
from app.contacts.routes import bp
from app.contacts.segment_conditions import (MATCHES, MAX_CONDITIONS, MAX_GROUPS, NO_VALUE, LEAD_STATUSES,
                                             operator_choices, subject_choices)
from app.contacts.segments import SegmentError, clean_segment, count_matching, describe, get_segment, segment_contacts, segments_of
from app.extensions import db
from app.models import Contact, ContactSegment

PREVIEW_NAMES = 10


def builder_rows(form) -> tuple[str, list[dict]]:
    """(match, groups) from the builder's inputs g<i>_match and g<i>c<j>_subject/op/value."""
    groups = []
    for i in range(MAX_GROUPS + 1):
        if f"g{i}_match" not in form:
            break
        conditions = []
        for j in range(MAX_CONDITIONS + 1):
            if f"g{i}c{j}_subject" not in form:
                break
            conditions.append({k: form.get(f"g{i}c{j}_{k}", "") for k in ("subject", "op", "value")})
        groups.append({"match": form.get(f"g{i}_match", "all"), "conditions": conditions})
    return form.get("match", "all"), groups


def _editable(rules: dict) -> list[dict]:
    """Saved groups as builder rows (a field condition shows as its field:<key> subject)."""
    groups = []
    for group in rules.get("groups") or []:
        rows = [{"subject": f"field:{c['key']}" if c["subject"] == "field" else c["subject"], "op": c["op"],
                 "value": c.get("value", "")} for c in group["conditions"]]
        groups.append({"match": group.get("match", "all"), "conditions": rows})
    return groups


def _apply_action(action: str, groups: list[dict]) -> None:
    blank = {"subject": "", "op": "", "value": ""}
    if action == "add_group" and len(groups) < MAX_GROUPS:
        groups.append({"match": "all", "conditions": [dict(blank)]})
    elif action.startswith("add_condition:"):
        index = _int(action.split(":")[1])
        if index is not None and index < len(groups) and len(groups[index]["conditions"]) < MAX_CONDITIONS:
            groups[index]["conditions"].append(dict(blank))
    elif action.startswith("remove:"):
        parts = action.split(":")
        i, j = (_int(parts[1]), _int(parts[2])) if len(parts) == 3 else (None, None)
        if i is not None and j is not None and i < len(groups) and j < len(groups[i]["conditions"]):
            del groups[i]["conditions"][j]
            if not groups[i]["conditions"]:
                del groups[i]


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _builder(business, segment, name, match, groups, errors=None, preview=None, status=200):
    return render_template(
        "contacts/segment_form.html", business=business, segment=segment, name=name, match=match,
        groups=groups or [{"match": "all", "conditions": [{"subject": "", "op": "", "value": ""}]}],
        errors=errors or {}, preview=preview, subjects=subject_choices(business), operators=operator_choices(),
        matches=MATCHES, no_value=NO_VALUE, lead_statuses=LEAD_STATUSES,
        max_groups=MAX_GROUPS, max_conditions=MAX_CONDITIONS,
    ), status


def _preview(business, rules: dict) -> dict:
    names = db.session.scalars(segment_contacts(business, rules).order_by(Contact.name, Contact.id).limit(PREVIEW_NAMES))
    return {"count": count_matching(business, rules), "contacts": list(names)}


@bp.get("/segments")
@gated("Saved segments")
def segments(business):
    labels = {d.key: d.label for d in field_definitions(business)}
    rows = [(s, describe(s.rules or {}, labels), count_matching(business, s.rules or {})) for s in segments_of(business)]
    return render_template("contacts/segments.html", business=business, rows=rows)


@bp.route("/segments/new", methods=["GET", "POST"], defaults={"segment_id": None})
@bp.route("/segments/<segment_id>", methods=["GET", "POST"])
@gated("Saved segments")
def segment_edit(business, segment_id):
    segment = None
    if segment_id is not None:
        segment = get_segment(business, segment_id)
        if segment is None:
            abort(404)
    if request.method == "GET":
        rules = segment.rules if segment else {}
        return _builder(business, segment, segment.name if segment else "", rules.get("match", "all"), _editable(rules))
    name = " ".join(request.form.get("name", "").split())[:120]
    match, groups = builder_rows(request.form)
    action = request.form.get("action", "save")
    if action not in ("save", "preview"):
        _apply_action(action, groups)
        return _builder(business, segment, name, match, groups)
    try:
        rules = clean_segment(business, {"match": match, "groups": groups})
    except SegmentError as exc:
        return _builder(business, segment, name, match, groups, errors=exc.errors, status=422)
    if action == "preview":
        return _builder(business, segment, name, match, groups, preview=_preview(business, rules))
    errors = _name_errors(business, segment, name)
    if not rules["groups"]:
        errors["groups"] = "Add at least one condition."
    if errors:
        return _builder(business, segment, name, match, groups, errors=errors, status=422)
    if segment is None:
        segment = ContactSegment(business_id=business.id, name=name, rules=rules)
        db.session.add(segment)
    else:
        segment.name, segment.rules = name, rules
    db.session.commit()
    flash(f"Saved the segment “{name}”: {count_matching(business, rules)} contacts match it now.", "success")
    return redirect(url_for("contacts.segments", slug=business.slug))


def _name_errors(business, segment, name: str) -> dict[str, str]:
    if not name:
        return {"name": "Name the segment, e.g. “VIPs without a booking”."}
    clash = db.session.scalar(select(ContactSegment).where(ContactSegment.business_id == business.id,
                                                           ContactSegment.name == name))
    if clash is not None and clash is not segment:
        return {"name": f"You already have a segment called “{name}”."}
    return {}


@bp.post("/segments/<segment_id>/delete")
@gated("Saved segments")
def segment_delete(business, segment_id):
    segment = get_segment(business, segment_id)
    if segment is None:
        abort(404)
    from app.models import Campaign

    used = db.session.scalar(select(Campaign.name).where(Campaign.segment_id == segment.id).limit(1))
    if used is not None:
        flash(f"“{segment.name}” is the audience of the campaign “{used}”, so it is kept.", "error")
        return redirect(url_for("contacts.segments", slug=business.slug))
    db.session.delete(segment)
    db.session.commit()
    flash(f"Deleted the segment “{segment.name}”.", "success")
    return redirect(url_for("contacts.segments", slug=business.slug))
