"""The console's support queue (/admin/support): requests ordered by package
priority and age with overdue flags, replies, statuses, assignees; the
first-response targets per package; Enterprise account managers.
Everyone who is not an admin gets 404, as in the rest of the console."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import Business, SupportStatus, User
from app.models.base import utcnow
from app.models.support import SUPPORT_CATEGORIES
from app.packages.catalog import PACKAGES
from app.support import services, targets
from app.support.forms import AssignForm, ConfirmForm, StaffReplyForm, StatusForm
from app.support.views import attachment_response
from app.web import parse_uuid

bp = Blueprint("admin_support", __name__, url_prefix="/admin/support")

MAX_TARGET_MINUTES = 14 * 24 * 60


@bp.before_request
def admins_only():
    if not current_user.is_authenticated or not current_user.is_admin:
        abort(404)


def _request_or_404(request_id):
    found = services.get_any_request(request_id)
    if found is None:
        abort(404)
    return found


def _staff_choices():
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice("", "Nobody")] + [SelectChoice(str(u.id), u.name) for u in services.staff_users()]


@bp.get("")
def queue():
    status = request.args.get("status", "active")
    mine = request.args.get("mine") == "1"
    rows = services.queue(status, current_user if mine else None)
    return render_template("admin/support/queue.html", rows=rows, status=status, mine=mine, now=utcnow(),
                           package_names={p.slug: p.name for p in PACKAGES}, status_labels=SupportStatus.STAFF_LABELS,
                           categories=SUPPORT_CATEGORIES)


@bp.route("/requests/<request_id>", methods=["GET", "POST"])
def detail(request_id):
    support_request = _request_or_404(request_id)
    form = StaffReplyForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.staff_reply(support_request, current_user, form.body.data, form.status.data,
                                     request.files.get("attachment"))
            except services.SupportError as exc:
                for name, message in exc.errors.items():
                    getattr(form, name).errors.append(message)
            else:
                flash("Reply sent to the owner by email and in the app.", "success")
                return redirect(url_for("admin_support.detail", request_id=support_request.id))
        status = 422
    assign_form = AssignForm(assignee=str(support_request.assignee_id or ""))
    assign_form.assignee.choices = _staff_choices()
    return render_template("admin/support/request.html", req=support_request, form=form, assign_form=assign_form,
                           status_form=StatusForm(status=support_request.status), now=utcnow(),
                           package_names={p.slug: p.name for p in PACKAGES}, status_labels=SupportStatus.STAFF_LABELS,
                           categories=SUPPORT_CATEGORIES,
                           manager=services.account_manager_of(support_request.business)), status


@bp.post("/requests/<request_id>/assign")
def assign(request_id):
    support_request = _request_or_404(request_id)
    form = AssignForm()
    if not form.validate_on_submit():
        abort(400)
    key = parse_uuid(form.assignee.data) if form.assignee.data else None
    assignee = db.session.get(User, key) if key else None
    if form.assignee.data and assignee is None:
        abort(400)
    try:
        services.assign(support_request, assignee)
    except services.SupportError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Assigned to {assignee.name}." if assignee else "Unassigned.", "success")
    return redirect(url_for("admin_support.detail", request_id=support_request.id))


@bp.post("/requests/<request_id>/status")
def set_status(request_id):
    support_request = _request_or_404(request_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_status(support_request, form.status.data)
    except services.SupportError as exc:
        flash(str(exc), "error")
    else:
        flash("Status changed.", "success")
    return redirect(url_for("admin_support.detail", request_id=support_request.id))


@bp.get("/requests/<request_id>/messages/<message_id>/attachment")
def attachment(request_id, message_id):
    return attachment_response(_request_or_404(request_id), message_id)


@bp.route("/targets", methods=["GET", "POST"])
def response_targets():
    rows = targets.all_targets()
    errors = {}
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        wanted = {}
        for row in rows:
            raw = (request.form.get(f"hours-{row['slug']}") or "").strip()
            try:
                minutes = round(float(raw) * 60)
            except ValueError:
                errors[row["slug"]] = "Enter a number of hours."
                continue
            if not 1 <= minutes <= MAX_TARGET_MINUTES:
                errors[row["slug"]] = "Between a minute and 14 days."
                continue
            wanted[row["slug"]] = minutes
        if not errors:
            targets.set_targets(wanted)
            flash("First-response targets saved; new requests use them.", "success")
            return redirect(url_for("admin_support.response_targets"))
    return render_template("admin/support/targets.html", rows=rows, errors=errors, confirm=ConfirmForm(),
                           form_values=request.form), 422 if errors else 200


@bp.route("/account-managers", methods=["GET", "POST"])
def account_managers():
    from app.usage.services import has_feature

    eligible = [b for b in db.session.scalars(select(Business).where(Business.owner_id.is_not(None))
                                              .order_by(Business.name)) if has_feature(b, "account_manager")]
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        key = parse_uuid(request.form.get("business_id"))
        business = next((b for b in eligible if key and b.id == key), None)
        manager_key = parse_uuid(request.form.get("manager_id")) if request.form.get("manager_id") else None
        manager = db.session.get(User, manager_key) if manager_key else None
        if business is None or (request.form.get("manager_id") and manager is None):
            flash("Choose an Enterprise business and a staff member.", "error")
            return redirect(url_for("admin_support.account_managers"))
        try:
            services.assign_account_manager(business, manager, current_user)
        except services.SupportError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{manager.name} now manages {business.name}." if manager else f"{business.name} has no manager now.",
                  "success")
        return redirect(url_for("admin_support.account_managers"))
    return render_template("admin/support/managers.html", businesses=eligible, staff=services.staff_users(),
                           managers={b.id: services.account_manager_of(b) for b in eligible}, confirm=ConfirmForm())
