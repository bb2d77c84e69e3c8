"""The owner's "AI assistant" page: status, live setup progress, coordinators."""
from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.assistant.forms import CoordinatorForm
from app.assistant.services import (CoordinatorNotReady, allowed_roles, assistant_state, coordinator_or_none,
                                    not_applied_fields, reset_to_role_defaults, update_coordinator)
from app.assistant.voices import LANGUAGES, PACES, VoicesUnavailable, voice_choices, voice_sample
from app.assistant import provisioning
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


@bp.context_processor
def _assistant_helpers() -> dict:
    from app.assistant.scripting import role_label

    return {"role_label": role_label, "languages": LANGUAGES, "paces": PACES, "not_applied_fields": not_applied_fields}


def _card(business, coordinator, **extra) -> dict:
    return {"business": business, "coordinator": coordinator, **extra}


def _form(business, coordinator, formdata=None) -> CoordinatorForm:
    form = CoordinatorForm(formdata=formdata, obj=coordinator) if formdata is None else CoordinatorForm()
    form.set_choices(allowed_roles(business, coordinator), voice_choices(business, coordinator.voice))
    if formdata is not None:
        form.keep_unsent(coordinator, request.form)
    return form


@bp.get("/coordinators/<uuid:coordinator_id>")
@login_required
def coordinator(slug: str, coordinator_id: uuid.UUID):
    business = owned_business_or_404(slug)
    coordinator = _coordinator_or_404(business, coordinator_id)
    return render_partial_or_page("assistant/coordinator.html", "assistant/_coordinator.html",
                                  **_card(business, coordinator, editing=False, form=None))


@bp.get("/coordinators/<uuid:coordinator_id>/edit")
@login_required
def edit_coordinator(slug: str, coordinator_id: uuid.UUID):
    business = owned_business_or_404(slug)
    coordinator = _coordinator_or_404(business, coordinator_id)
    return render_partial_or_page("assistant/coordinator.html", "assistant/_coordinator.html",
                                  **_card(business, coordinator, editing=True, form=_form(business, coordinator)))


@bp.post("/coordinators/<uuid:coordinator_id>")
@login_required
def save_coordinator(slug: str, coordinator_id: uuid.UUID):
    business = owned_business_or_404(slug)
    coordinator = _coordinator_or_404(business, coordinator_id)
    form = _form(business, coordinator, formdata=True)
    template = "assistant/_coordinator.html" if is_htmx() else "assistant/coordinator.html"
    if not form.validate_on_submit():
        return render_template(template, **_card(business, coordinator, editing=True, form=form)), 422
    try:
        changed = update_coordinator(business, coordinator, form.data)
    except CoordinatorNotReady:
        form.name.errors.append("This assistant is still being set up. Try again in a moment.")
        return render_template(template, **_card(business, coordinator, editing=True, form=form)), 409
    if is_htmx():
        return render_template("assistant/_coordinator.html",
                               **_card(business, coordinator, editing=False, form=None, just_saved=changed))
    flash(f"{coordinator.name} saved." if changed else "Nothing changed.", "success" if changed else "info")
    return redirect(url_for("assistant.index", slug=business.slug))


@bp.post("/coordinators/<uuid:coordinator_id>/reset")
@login_required
def reset_coordinator(slug: str, coordinator_id: uuid.UUID):
    business = owned_business_or_404(slug)
    coordinator = _coordinator_or_404(business, coordinator_id)
    try:
        changed = reset_to_role_defaults(business, coordinator)
    except CoordinatorNotReady:
        abort(409)
    if is_htmx():
        return render_template("assistant/_coordinator.html",
                               **_card(business, coordinator, editing=False, form=None, just_saved=changed))
    flash("Texts reset to the role's defaults." if changed else "The texts already are the role's defaults.", "success")
    return redirect(url_for("assistant.index", slug=business.slug))


@bp.get("/voices/<voice_id>/sample")
@login_required
def voice_sample_audio(slug: str, voice_id: str):
    """The voice's sample, played in the browser (the browser never calls 4calls)."""
    business = owned_business_or_404(slug)
    try:
        sample = voice_sample(business, voice_id)
    except VoicesUnavailable:  # 4calls down, or no assistant set up yet
        return Response("4calls.ai could not provide the sample just now.", status=503, mimetype="text/plain")
    if sample is None:
        abort(404)
    audio, content_type = sample
    response = Response(audio, mimetype=content_type.split(";")[0])
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# Call handling and test calls live in their own module on this blueprint.
from app.assistant import handling_routes  # noqa: E402,F401
