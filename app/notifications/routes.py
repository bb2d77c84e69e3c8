"""The notification centre, the top-bar count and the owner's preferences."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.models import NotificationDelivery
from app.notifications import delivery as deliveries
from app.notifications import services
from app.notifications.events import CHANNEL_LABELS, CHANNELS, EVENT_KINDS
from app.notifications.forms import NotificationSettingsForm
from app.web import is_htmx, owned_business_or_404, render_partial_or_page

bp = Blueprint("notifications", __name__, url_prefix="/businesses/<slug>/notifications")


def _centre_context(business):
    return {"business": business, "notifications": services.recent(business, current_user),
            "unread": services.unread_count(business, current_user),
            "delivery_state": services.delivery_state, "delivery_attempts": services.delivery_attempts}


@bp.get("")
@login_required
def centre(slug: str):
    business = owned_business_or_404(slug)
    return render_partial_or_page("notifications/centre.html", "notifications/_list.html", **_centre_context(business))


@bp.get("/count")
@login_required
def count(slug: str):
    """The top-bar bell, polled every few seconds (one indexed COUNT)."""
    business = owned_business_or_404(slug)
    return render_template("notifications/_bell.html", business=business,
                           unread=services.unread_count(business, current_user))


@bp.post("/<uuid:notification_id>/read")
@login_required
def read(slug: str, notification_id: uuid.UUID):
    business = owned_business_or_404(slug)
    notification = services.notification_or_none(business, current_user, notification_id)
    if notification is None:
        abort(404)
    services.mark_read(notification)
    if request.form.get("follow") and notification.link:
        return redirect(notification.link)
    return _back(business)


@bp.post("/read-all")
@login_required
def read_all(slug: str):
    business = owned_business_or_404(slug)
    services.mark_all_read(business, current_user)
    return _back(business)


@bp.post("/deliveries/<uuid:delivery_id>/retry")
@login_required
def retry(slug: str, delivery_id: uuid.UUID):
    business = owned_business_or_404(slug)
    delivery = db.session.get(NotificationDelivery, delivery_id)
    if delivery is None or services.notification_or_none(business, current_user, delivery.notification_id) is None:
        abort(404)
    if not deliveries.retry_delivery(delivery):
        flash("That delivery has not failed; nothing to retry.", "info")
    return _back(business)


def _back(business):
    if is_htmx():
        return render_template("notifications/_list.html", **_centre_context(business))
    return redirect(url_for("notifications.centre", slug=business.slug))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings(slug: str):
    business = owned_business_or_404(slug)
    current = services.settings_for(business, current_user)
    form = NotificationSettingsForm(obj=current)
    matrix = {kind.key: services.channels_for(current, kind.key) for kind in EVENT_KINDS}
    status = 200
    if request.method == "POST":
        matrix = {k: set(v) for k, v in NotificationSettingsForm.channel_matrix(request.form).items()}
        if form.validate_on_submit():
            current.channels = {k: sorted(v) for k, v in matrix.items()}
            current.digest = bool(form.digest.data)
            current.digest_hour = form.digest_hour.data if form.digest_hour.data is not None else 8
            current.quiet_hours = bool(form.quiet_hours.data)
            current.quiet_start, current.quiet_end = form.quiet_start.data, form.quiet_end.data
            current.sms_number = form.sms_number.data
            db.session.add(current)
            db.session.commit()
            flash("Notification preferences saved.", "success")
            return redirect(url_for("notifications.settings", slug=business.slug))
        status = 422
    return render_template("notifications/settings.html", business=business, form=form, matrix=matrix,
                           kinds=EVENT_KINDS, channels=CHANNELS, channel_labels=CHANNEL_LABELS,
                           sms_allowed=services.sms_allowed(business)), status
