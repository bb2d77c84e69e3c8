"""Appointments: calendar views, booking a free slot, detail, reschedule,
cancel, reminders, and the owner's scheduling settings."""
from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.appointments import booking
from app.appointments.calendar import build_view, todays_appointments
from app.appointments.reminders import can_retry, describe_offset, retry_reminder
from app.appointments.rules import FEATURE, advanced_enabled, staff_of
from app.appointments.settings import SettingsError, reminders_as_text, settings_for, type_as_line, update_settings
from app.packages.offers import smallest_package_with
from app.inputs import iso_day
from app.extensions import db
from app.models import AppointmentReminder
from app.timezones import format_local, local_today, to_local
from app.web import owned_business_or_404, parse_uuid, render_partial_or_page

bp = Blueprint("appointments", __name__, url_prefix="/businesses/<slug>/appointments")


@bp.context_processor
def calendar_helpers():
    return {"describe_offset": describe_offset}


def _appointment_or_404(business, appointment_id):
    appointment = booking.get_appointment(business, appointment_id)
    if appointment is None:
        abort(404)
    return appointment


@bp.get("")
@login_required
def calendar(slug):
    business = owned_business_or_404(slug)
    staff = staff_of(business)
    staff_filter = next((s for s in staff if str(s.id) == request.args.get("staff")), None)
    view = build_view(business, request.args.get("view", "week"), request.args.get("date"), staff_filter)
    return render_partial_or_page(
        "appointments/calendar.html", "appointments/_calendar.html", business=business, cal=view,
        today_list=todays_appointments(business), settings=settings_for(business),
        staff=staff, staff_filter=staff_filter, staff_names={s.id: s.name for s in staff},
    )


def _request_key(raw: str | None) -> str:
    """The booking form's idempotency key; anything but the hex we issued is replaced."""
    return raw if raw and len(raw) <= 64 and all(c in "0123456789abcdef" for c in raw) else uuid.uuid4().hex


def _day_arg(business) -> date:
    try:
        return iso_day(request.values.get("day", ""))
    except ValueError:
        return local_today(business)


def _slots_context(business, day, type_name, staff_id=""):
    slots, error = [], None
    try:
        slots = booking.free_slots(business, day, type_name, staff_id)
    except booking.BookingError as exc:
        error = str(exc)
    staff = staff_of(business, active_only=True) if advanced_enabled(business) else []
    return {"slots": slots, "slots_error": error, "staff_names": {str(s.id): s.name for s in staff}}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(slug):
    business = owned_business_or_404(slug)
    types = [t["name"] for t in booking.bookable_types(business)]
    form = booking.BookingRequest(
        starts_at=request.form.get("starts_at", ""),
        appointment_type=request.values.get("appointment_type") or (types[0] if types else ""),
        name=request.form.get("name", ""), phone=request.form.get("phone", ""),
        email=request.form.get("email", ""), notes=request.form.get("notes", ""),
        request_key=_request_key(request.form.get("request_key")),
        staff_id=request.values.get("staff_id", ""),
    )
    day = _day_arg(business)
    error = None
    if request.method == "POST":
        try:
            appointment = booking.book(business, form)
        except booking.BookingError as exc:
            error = exc
            if exc.fresh_key:
                form.request_key = uuid.uuid4().hex
        else:
            when = format_local(appointment.starts_at, business, "%a %b %-d at %H:%M")
            flash(f"Booked {appointment.customer_name} on {when}.", "success")
            local_day = to_local(appointment.starts_at, business).date()
            return redirect(url_for("appointments.calendar", slug=slug, view="week", date=local_day.isoformat()))
    staff = staff_of(business, active_only=True) if advanced_enabled(business) else []
    context = dict(business=business, form=form, day=day, types=types, error=error, staff=staff,
                   **_slots_context(business, day, form.appointment_type, form.staff_id))
    return render_template("appointments/new.html", **context), (422 if error else 200)


@bp.get("/slots")
@login_required
def slots(slug):
    """The free times for a day and type (htmx swaps them into the booking form)."""
    business = owned_business_or_404(slug)
    day = _day_arg(business)
    type_name = request.args.get("appointment_type", "")
    return render_template("appointments/_slots.html", business=business, day=day,
                           selected=request.args.get("selected", ""), field_name=request.args.get("field", "starts_at"),
                           **_slots_context(business, day, type_name, request.args.get("staff_id", "")))


@bp.get("/<appointment_id>")
@login_required
def detail(slug, appointment_id):
    business = owned_business_or_404(slug)
    appointment = _appointment_or_404(business, appointment_id)
    return _detail_page(business, appointment)


def _detail_page(business, appointment, error=None, status=200):
    from sqlalchemy import select

    reminders = db.session.scalars(select(AppointmentReminder).where(
        AppointmentReminder.appointment_id == appointment.id).order_by(AppointmentReminder.send_at)).all()
    day = _day_arg(business) if request.values.get("day") else to_local(appointment.starts_at, business).date()
    context = {}
    if request.values.get("reschedule") and appointment.status == "scheduled":
        context = _slots_context(business, day, appointment.appointment_type or "")
        if context["slots_error"] and "appointment types" in context["slots_error"]:
            context = {"slots": [], "slots_error": "This appointment's type is no longer offered; cancel and book again."}
    return render_template("appointments/detail.html", business=business, appt=appointment, reminders=reminders,
                           can_retry=can_retry, day=day, error=error, reason=request.form.get("reason", ""),
                           selected=request.form.get("starts_at", ""), **context), status


@bp.post("/<appointment_id>/reschedule")
@login_required
def reschedule(slug, appointment_id):
    business = owned_business_or_404(slug)
    appointment = _appointment_or_404(business, appointment_id)
    try:
        booking.reschedule(business, appointment, request.form.get("starts_at", ""))
    except booking.BookingError as exc:
        return _detail_page(business, appointment, error=str(exc), status=422)
    flash("Appointment moved. The customer's reminders follow the new time.", "success")
    return redirect(url_for("appointments.detail", slug=slug, appointment_id=appointment.id))


@bp.post("/<appointment_id>/cancel")
@login_required
def cancel(slug, appointment_id):
    business = owned_business_or_404(slug)
    appointment = _appointment_or_404(business, appointment_id)
    try:
        booking.cancel(business, appointment, request.form.get("reason", ""))
    except booking.BookingError as exc:
        return _detail_page(business, appointment, error=str(exc), status=422)
    flash("Appointment cancelled; its reminders will not be sent.", "success")
    return redirect(url_for("appointments.detail", slug=slug, appointment_id=appointment.id))


@bp.post("/<appointment_id>/reminders/<reminder_id>/retry")
@login_required
def retry(slug, appointment_id, reminder_id):
    business = owned_business_or_404(slug)
    appointment = _appointment_or_404(business, appointment_id)
    key = parse_uuid(reminder_id)
    reminder = db.session.get(AppointmentReminder, key) if key else None
    if reminder is None or reminder.appointment_id != appointment.id:
        abort(404)
    if retry_reminder(reminder, appointment):
        flash("The reminder will be sent again.", "success")
    return redirect(url_for("appointments.detail", slug=slug, appointment_id=appointment.id))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings(slug):
    business = owned_business_or_404(slug)
    current = settings_for(business)
    errors = {}
    if request.method == "POST":
        try:
            update_settings(business, request.form)
        except SettingsError as exc:
            errors = exc.errors
        else:
            flash("Settings saved. Your AI assistant receives them within a minute.", "success")
            return redirect(url_for("appointments.settings", slug=slug))
    advanced = advanced_enabled(business)
    return render_template("appointments/settings.html", business=business, settings=current, errors=errors,
                           reminders_text=reminders_as_text(current.reminder_offsets), advanced=advanced,
                           type_line=type_as_line, offer=None if advanced else smallest_package_with(FEATURE),
                           values=request.form if errors else None), (422 if errors else 200)
