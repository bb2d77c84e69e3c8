"""The owner's "AI assistant" page: status, live setup progress, coordinators."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required

from app.assistant.forms import CoordinatorForm
from app.assistant.services import CoordinatorNotReady, assistant_state, coordinator_or_none, update_coordinator
from app.fourcalls import provisioning
from app.web import is_htmx, owned_business_or_404, render_partial_or_page

bp = Blueprint("assistant", __name__, url_prefix="/businesses/<slug>/assistant")


def _coordinator_or_404(business, coordinator_id: uuid.UUID):
    coordinator = coordinator_or_none(business, coordinator_id)
    if coordinator is None:
        abort(404)
    return coordinator


@bp.get("")
@login_required
def index(slug: str):
    business = owned_business_or_404(slug)
    return render_template("assistant/index.html", business=business, **assistant_state(business))


@bp.get("/status")
@login_required
def status(slug: str):
    """The status panel; polled every second while setup runs."""
    business = owned_business_or_404(slug)
    return render_partial_or_page("assistant/index.html", "assistant/_panel.html",
                                  business=business, **assistant_state(business))


@bp.post("/retry")
@login_required
def retry(slug: str):
    business = owned_business_or_404(slug)
    try:
        provisioning.retry(business)
        message, category = "Trying again now.", "info"
    except provisioning.NotActivated:
        message, category = "There is no AI package to retry yet.", "warning"
    if is_htmx():
        return render_template("assistant/_panel.html", business=business, **assistant_state(business))
    flash(message, category)
    return redirect(url_for("assistant.index", slug=business.slug))


@bp.get("/coordinators/<uuid:coordinator_id>")
@login_required
def coordinator(slug: str, coordinator_id: uuid.UUID):
    business = owned_business_or_404(slug)
    coordinator = _coordinator_or_404(business, coordinator_id)
    return render_partial_or_page("assistant/coordinator.html", "assistant/_coordinator.html",
                                  business=business, coordinator=coordinator, editing=False, form=None)


@bp.get("/coordinators/<uuid:coordinator_id>/edit")
@login_required
def edit_coordinator(slug: str, coordinator_id: uuid.UUID):
    business = owned_business_or_404(slug)
    coordinator = _coordinator_or_404(business, coordinator_id)
    form = CoordinatorForm(obj=coordinator)
    return render_partial_or_page("assistant/coordinator.html", "assistant/_coordinator.html",
                                  business=business, coordinator=coordinator, editing=True, form=form)


@bp.post("/coordinators/<uuid:coordinator_id>")
@login_required
def save_coordinator(slug: str, coordinator_id: uuid.UUID):
    business = owned_business_or_404(slug)
    coordinator = _coordinator_or_404(business, coordinator_id)
    form = CoordinatorForm()
    template = "assistant/_coordinator.html" if is_htmx() else "assistant/coordinator.html"
    if not form.validate_on_submit():
        return render_template(template, business=business, coordinator=coordinator, editing=True, form=form), 422
    try:
        changed = update_coordinator(business, coordinator, form.data)
    except CoordinatorNotReady:
        form.name.errors.append("This assistant is still being set up. Try again in a moment.")
        return render_template(template, business=business, coordinator=coordinator, editing=True, form=form), 409
    if is_htmx():
        return render_template("assistant/_coordinator.html", business=business, coordinator=coordinator,
                               editing=False, form=None, just_saved=changed)
    flash(f"{coordinator.name} saved." if changed else "Nothing changed.", "success" if changed else "info")
    return redirect(url_for("assistant.index", slug=business.slug))
