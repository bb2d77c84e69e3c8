"""Staff or resources and closures (advanced scheduling, AI Sales Assistant
and up). Lower packages see what they would get; a downgraded business sees
its kept rows read-only beside the upgrade offer."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.appointments import staffing
from app.appointments.rules import FEATURE, advanced_enabled, closures_of, staff_of
from app.appointments.settings import settings_for
from app.models import WEEKDAYS
from app.models.scheduling import StaffKind
from app.packages.offers import feature_label, smallest_package_with
from app.timezones import local_today
from app.web import owned_business_or_404

bp = Blueprint("scheduling", __name__, url_prefix="/businesses/<slug>/appointments")


def _type_names(business) -> list[str]:
    return [t["name"] for t in settings_for(business).appointment_types or []]


def _page(business, *, errors=None, values=None, editing=None, closure_errors=None, status=200):
    advanced = advanced_enabled(business)
    return render_template(
        "appointments/staff.html", business=business, advanced=advanced, staff=staff_of(business),
        closures=closures_of(business, local_today(business)), type_names=_type_names(business),
        weekdays=WEEKDAYS, kinds=StaffKind.LABELS, errors=errors or {}, values=values, editing=editing,
        closure_errors=closure_errors or {}, today=local_today(business), settings=settings_for(business),
        feature=feature_label(FEATURE), offer=None if advanced else smallest_package_with(FEATURE),
    ), status


def _advanced_or_403(business):
    if not advanced_enabled(business):
        abort(403)


@bp.get("/staff")
@login_required
def staff(slug):
    business = owned_business_or_404(slug)
    editing = staffing.get_staff(business, request.args.get("edit")) if request.args.get("edit") else None
    return _page(business, editing=editing)


def _save_staff(business, member=None):
    _advanced_or_403(business)
    try:
        saved = staffing.save_staff(business, request.form, _type_names(business), member)
    except staffing.StaffingError as exc:
        return _page(business, errors=exc.errors, values=request.form, editing=member, status=422)
    flash(f"{saved.name} {'saved' if member else 'added'}. Your AI assistant books them within a minute.", "success")
    return redirect(url_for("scheduling.staff", slug=business.slug))


@bp.post("/staff")
@login_required
def add_staff(slug):
    return _save_staff(owned_business_or_404(slug))


@bp.post("/staff/<staff_id>")
@login_required
def edit_staff(slug, staff_id):
    business = owned_business_or_404(slug)
    member = staffing.get_staff(business, staff_id)
    if member is None:
        abort(404)
    return _save_staff(business, member)


@bp.post("/staff/<staff_id>/delete")
@login_required
def delete_staff(slug, staff_id):
    business = owned_business_or_404(slug)
    member = staffing.get_staff(business, staff_id)
    if member is None:
        abort(404)
    staffing.remove_staff(business, member)  # allowed after a downgrade too: removing never adds anything sold
    flash(f"{member.name} removed. Their appointments stay on the calendar.", "success")
    return redirect(url_for("scheduling.staff", slug=slug))


@bp.post("/closures")
@login_required
def add_closure(slug):
    business = owned_business_or_404(slug)
    _advanced_or_403(business)
    try:
        closure = staffing.add_closure(business, request.form, local_today(business))
    except staffing.StaffingError as exc:
        return _page(business, closure_errors=exc.errors, values=request.form, status=422)
    days = closure.first_day.strftime("%a %b %-d") + (
        "" if closure.last_day == closure.first_day else " – " + closure.last_day.strftime("%a %b %-d"))
    flash(f"Closed {days}. Nobody can book then, on calls, chats or here.", "success")
    return redirect(url_for("scheduling.staff", slug=slug))


@bp.post("/closures/<closure_id>/delete")
@login_required
def delete_closure(slug, closure_id):
    business = owned_business_or_404(slug)
    closure = staffing.get_closure(business, closure_id)
    if closure is None:
        abort(404)
    staffing.remove_closure(business, closure)
    flash("Closure removed; those days are bookable again.", "success")
    return redirect(url_for("scheduling.staff", slug=slug))
