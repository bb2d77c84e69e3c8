"""AlphaSite staff pages. Until billing lands, this is where a package is
switched on for a business. Everyone who is not an admin gets 404."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.admin.forms import ActivatePackageForm, StatusChangeForm
from app.inputs import page_number
from app.extensions import db
from app.fourcalls import provisioning
from app.models import Business
from app.packages.catalog import PACKAGES, get_package

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50


@bp.before_request
def admins_only():
    if not current_user.is_authenticated or not current_user.is_admin:
        abort(404)
    # -- accounts (issue 12): in production an admin without two-factor is sent to set it up.
    if current_app.config.get("ADMIN_REQUIRE_TWO_FACTOR") and not current_user.has_two_factor:
        flash("Admin pages need two-factor sign-in. Set it up first.", "warning")
        return redirect(url_for("account.two_factor_setup"))


def _business_or_404(business_id: uuid.UUID) -> Business:
    business = db.session.get(Business, business_id)
    if business is None:
        abort(404)
    return business


@bp.get("/")
def index():
    query = request.args.get("q", "").strip()
    page = request.args.get("page", 1, type=page_number)
    stmt = select(Business).options(selectinload(Business.integration), selectinload(Business.owner))
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(func.lower(Business.name).like(like), func.lower(Business.city).like(like)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    businesses = db.session.scalars(
        stmt.order_by(Business.owner_id.is_(None), Business.name).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "admin/index.html", businesses=businesses, total=total, query=query, page=page, page_size=PAGE_SIZE,
        activate_form=ActivatePackageForm(), status_form=StatusChangeForm(),
        package_names={p.slug: p.name for p in PACKAGES},
    )


@bp.post("/businesses/<uuid:business_id>/activate")
def activate(business_id: uuid.UUID):
    business = _business_or_404(business_id)
    form = ActivatePackageForm()
    if not form.validate_on_submit():
        flash("Choose one of the packages to activate.", "error")
        return redirect(url_for("admin.index"))
    package = get_package(form.package.data)
    integration = business.integration
    if integration is not None and integration.target_status == "active" and integration.service_package != package.slug:
        provisioning.change_package(business, package.slug)
    else:
        reason = (form.reason.data or "").strip() or f"Activated by {current_user.email}"
        provisioning.activate_package(business, package.slug, reason)
    flash(f"{package.name} is being set up for {business.name}.", "success")
    return redirect(url_for("admin.index", q=request.args.get("q") or None))


def _status_change(business_id: uuid.UUID, action, default_reason: str, done: str):
    business = _business_or_404(business_id)
    form = StatusChangeForm()
    if not form.validate_on_submit():
        abort(400)
    if business.integration is None:
        flash(f"{business.name} has no AI package.", "error")
        return redirect(url_for("admin.index"))
    reason = (form.reason.data or "").strip() or default_reason
    action(business, reason)
    flash(f"{business.name}: {done}.", "success")
    return redirect(url_for("admin.index", q=request.args.get("q") or None))


@bp.post("/businesses/<uuid:business_id>/suspend")
def suspend(business_id: uuid.UUID):
    return _status_change(business_id, provisioning.suspend, f"Suspended by {current_user.email}", "assistant suspended")


@bp.post("/businesses/<uuid:business_id>/cancel")
def cancel(business_id: uuid.UUID):
    return _status_change(business_id, provisioning.cancel, f"Cancelled by {current_user.email}", "service cancelled")


@bp.post("/businesses/<uuid:business_id>/resume")
def resume(business_id: uuid.UUID):
    return _status_change(business_id, lambda business, _reason: provisioning.resume(business),
                          "", "assistant resuming")
