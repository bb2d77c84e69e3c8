"""The operator console (AlphaSite staff only; everyone else gets 404).

This module: access, the businesses list and one business's page with its
actions. Metrics pages: metrics_routes.py; health, margin, rollout and the
audit log: operations_routes.py.
"""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.admin import actions, health, margin
from app.admin.forms import ActivatePackageForm, ReasonRequiredForm, StatusChangeForm
from app.admin.metrics.mrr import load_rows, movements_of
from app.admin.metrics.periods import current_month
from app.admin.search import PAGE_SIZE, search_businesses
from app.audit import services as audit
from app.inputs import page_number
from app.extensions import db
from app.models import AuditScope, Business, SubscriptionHistory
from app.packages.catalog import PACKAGES, get_package

bp = Blueprint("admin", __name__, url_prefix="/admin")



@bp.before_request
def admins_only():
    if not current_user.is_authenticated or not current_user.is_admin:
        abort(404)
    # -- accounts (issue 12): in production an admin without two-factor is sent to set it up.
    if current_app.config.get("ADMIN_REQUIRE_TWO_FACTOR") and not current_user.has_two_factor:
        flash("Admin pages need two-factor sign-in. Set it up first.", "warning")
        return redirect(url_for("account.two_factor_setup"))


def business_or_404(business_id: uuid.UUID) -> Business:
    business = db.session.get(Business, business_id)
    if business is None:
        abort(404)
    return business


def _back():
    """Where an action returns to: the business's page, or the list it came from."""
    target = request.form.get("next") or ""
    if target.startswith("/admin/") and "//" not in target:
        return redirect(target, 303)
    return redirect(url_for("admin.businesses", q=request.args.get("q") or None), 303)


@bp.get("/businesses")
def businesses():
    query = request.args.get("q", "").strip()
    page = request.args.get("page", 1, type=page_number)
    rows, total = search_businesses(query, page)
    return render_template(
        "admin/businesses.html", businesses=rows, total=total, query=query, page=page, page_size=PAGE_SIZE,
        activate_form=ActivatePackageForm(), status_form=StatusChangeForm(),
        package_names={p.slug: p.name for p in PACKAGES},
    )


@bp.get("/businesses/<uuid:business_id>")
def business(business_id: uuid.UUID):
    target = business_or_404(business_id)
    rows = load_rows_for(target)
    history = db.session.scalars(select(SubscriptionHistory).where(SubscriptionHistory.business_id == target.id)
                                 .order_by(SubscriptionHistory.started_at.desc())).all()
    health_rows = health.business_health([target.id])
    report = margin.margin_report(current_month())
    entries = db.session.scalars(audit.query(scope=AuditScope.ADMIN, business_id=target.id).limit(50)).all()
    return render_template(
        "admin/business.html", business=target, history=history, movements=movements_of(target.id, rows),
        health=health_rows[0] if health_rows else None,
        margin_row=next((r for r in report.rows if r.business_id == target.id), None), report=report,
        entries=entries, reason_form=ReasonRequiredForm(), activate_form=ActivatePackageForm(),
        package_names={p.slug: p.name for p in PACKAGES},
        failed_events=db.session.scalars(health.failed_webhooks_stmt(business_id=target.id).limit(20)).all(),
    )


def load_rows_for(target: Business):
    from app.models.base import utcnow

    return load_rows(utcnow()).get(target.id, [])


@bp.post("/businesses/<uuid:business_id>/activate")
def activate(business_id: uuid.UUID):
    target = business_or_404(business_id)
    form = ActivatePackageForm()
    if not form.validate_on_submit():
        flash("Choose one of the packages to activate.", "error")
        return _back()
    package = get_package(form.package.data)
    actions.activate(target, package.slug, actor=current_user, reason=(form.reason.data or "").strip() or None)
    flash(f"{package.name} is being set up for {target.name}.", "success")
    return _back()


def _status_change(business_id: uuid.UUID, action, done: str, reason_required: bool, default_reason: str = ""):
    target = business_or_404(business_id)
    form = ReasonRequiredForm() if reason_required else StatusChangeForm()
    if not form.validate_on_submit():
        if form.errors.get("csrf_token") or not reason_required:
            abort(400)
        flash(form.reason.errors[0], "error")
        return _back()
    reason = (form.reason.data or "").strip() or default_reason
    try:
        action(target, actor=current_user, reason=reason)
    except actions.ActionError as error:
        flash(str(error), "error")
        return _back()
    flash(f"{target.name}: {done}.", "success")
    return _back()


@bp.post("/businesses/<uuid:business_id>/suspend")
def suspend(business_id: uuid.UUID):
    return _status_change(business_id, actions.suspend, "assistant suspended", True)


@bp.post("/businesses/<uuid:business_id>/resume")
def resume(business_id: uuid.UUID):
    return _status_change(business_id, actions.restore, "assistant restoring", True)


@bp.post("/businesses/<uuid:business_id>/cancel")
def cancel(business_id: uuid.UUID):
    return _status_change(business_id, actions.cancel, "service and billing cancelled", False,
                          f"Cancelled by {current_user.email}")


# The other console pages register on the same blueprint.
from app.admin import metrics_routes, operations_routes  # noqa: E402,F401
