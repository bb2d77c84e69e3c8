"""Integrations (AI Enterprise): outgoing webhook endpoints with their
delivery log, and API tokens. Lower packages see what they would get."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.api import tokens as api_tokens
from app.integrations import endpoints as service
from app.integrations.events import EVENT_TYPES, FEATURE
from app.integrations.forms import ConfirmForm, EndpointForm, TokenForm
from app.models import WebhookDeliveryStatus, TokenScope
from app.packages.offers import feature_label, requires_feature, smallest_package_with
from app.web import render_partial_or_page

bp = Blueprint("integrations", __name__, url_prefix="/businesses/<slug>/integrations")


def _upsell(business, status=200):
    return render_template("integrations/upsell.html", business=business, feature=feature_label(FEATURE),
                           offer=smallest_package_with(FEATURE), event_types=EVENT_TYPES), status


def _offer(business):
    return _upsell(business, 200 if request.method == "GET" else 403)


# The owner's business as the view's first argument when its package includes the
# feature; the upgrade offer otherwise (403 for anything that would change something).
gated = requires_feature(FEATURE, _offer)


def _endpoint_or_404(business, endpoint_id):
    endpoint = service.get_endpoint(business, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


def _index_page(business, token_form=None, new_token=None, status=200):
    return render_template("integrations/index.html", business=business, endpoints=service.endpoints_of(business),
                           tokens=api_tokens.tokens_of(business), token_form=token_form or TokenForm(),
                           new_token=new_token, scope_labels=TokenScope.LABELS, confirm=ConfirmForm()), status


@bp.get("")
@login_required
@gated
def index(business):
    return _index_page(business)


@bp.route("/webhooks/new", methods=["GET", "POST"])
@login_required
@gated
def new_endpoint(business):
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            endpoint, secret = service.create_endpoint(business, current_user, form.url.data, form.events.data,
                                                       form.description.data)
        except service.EndpointError as exc:
            for name, message in exc.errors.items():
                getattr(form, name).errors.append(message)
        else:
            # The secret is in this response only; it is stored encrypted and never shown again.
            return render_template("integrations/endpoint_created.html", business=business, endpoint=endpoint,
                                   secret=secret), 201
    return render_template("integrations/endpoint_form.html", business=business, form=form,
                           endpoint=None), 422 if form.is_submitted() else 200


@bp.get("/webhooks/<endpoint_id>")
@login_required
@gated
def endpoint_detail(business, endpoint_id):
    endpoint = _endpoint_or_404(business, endpoint_id)
    status = request.args.get("status") if request.args.get("status") in (
        WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.SUCCEEDED, WebhookDeliveryStatus.FAILED) else None
    page = max(1, request.args.get("page", 1, type=int))
    deliveries, total = service.delivery_log(endpoint, status, page)
    return render_partial_or_page("integrations/endpoint.html", "integrations/_deliveries.html", business=business,
                                  endpoint=endpoint, deliveries=deliveries, total=total, status=status, page=page,
                                  page_size=service.LOG_PAGE_SIZE, confirm=ConfirmForm(), event_types=EVENT_TYPES)


@bp.route("/webhooks/<endpoint_id>/edit", methods=["GET", "POST"])
@login_required
@gated
def edit_endpoint(business, endpoint_id):
    endpoint = _endpoint_or_404(business, endpoint_id)
    form = EndpointForm(obj=endpoint)
    if form.validate_on_submit():
        try:
            service.update_endpoint(business, endpoint, current_user, form.url.data, form.events.data,
                                    form.description.data)
        except service.EndpointError as exc:
            for name, message in exc.errors.items():
                getattr(form, name).errors.append(message)
        else:
            flash("Endpoint saved.", "success")
            return redirect(url_for("integrations.endpoint_detail", slug=business.slug, endpoint_id=endpoint.id))
    return render_template("integrations/endpoint_form.html", business=business, form=form,
                           endpoint=endpoint), 422 if form.is_submitted() else 200


def _endpoint_action(business, endpoint_id, action, done: str):
    endpoint = _endpoint_or_404(business, endpoint_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        action(business, endpoint)
    except service.EndpointError as exc:
        flash(str(exc), "error")
    else:
        flash(done, "success")
    return redirect(url_for("integrations.endpoint_detail", slug=business.slug, endpoint_id=endpoint.id))


@bp.post("/webhooks/<endpoint_id>/enable")
@login_required
@gated
def enable_endpoint(business, endpoint_id):
    return _endpoint_action(business, endpoint_id, lambda b, e: service.set_enabled(b, e, current_user, True),
                            "Endpoint enabled.")


@bp.post("/webhooks/<endpoint_id>/disable")
@login_required
@gated
def disable_endpoint(business, endpoint_id):
    return _endpoint_action(business, endpoint_id, lambda b, e: service.set_enabled(b, e, current_user, False),
                            "Endpoint disabled; nothing more is sent to it.")


@bp.post("/webhooks/<endpoint_id>/test")
@login_required
@gated
def send_test(business, endpoint_id):
    return _endpoint_action(business, endpoint_id, service.send_test_event,
                            "Test event queued; it appears in the log below within seconds.")


@bp.post("/webhooks/<endpoint_id>/delete")
@login_required
@gated
def delete_endpoint(business, endpoint_id):
    endpoint = _endpoint_or_404(business, endpoint_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    service.remove_endpoint(business, endpoint, current_user)
    flash("Endpoint removed.", "success")
    return redirect(url_for("integrations.index", slug=business.slug))


@bp.post("/webhooks/<endpoint_id>/deliveries/<delivery_id>/redeliver")
@login_required
@gated
def redeliver(business, endpoint_id, delivery_id):
    endpoint = _endpoint_or_404(business, endpoint_id)
    delivery = service.get_delivery(endpoint, delivery_id)
    if delivery is None:
        abort(404)
    return _endpoint_action(business, endpoint_id, lambda b, e: service.redeliver(b, e, delivery),
                            "Redelivery queued.")


@bp.post("/tokens")
@login_required
@gated
def create_token(business):
    form = TokenForm()
    if form.validate_on_submit():
        try:
            token, raw = api_tokens.create_token(business, current_user, form.name.data, form.scope.data)
        except api_tokens.TokenError as exc:
            for name, message in exc.errors.items():
                getattr(form, name).errors.append(message)
        else:
            return _index_page(business, token_form=TokenForm(formdata=None), new_token=(token, raw), status=201)
    return _index_page(business, token_form=form, status=422)


@bp.post("/tokens/<token_id>/revoke")
@login_required
@gated
def revoke_token(business, token_id):
    token = api_tokens.get_token(business, token_id)
    if token is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    api_tokens.revoke_token(business, token, current_user)
    flash(f"Token “{token.name}” revoked; requests with it now get 401.", "success")
    return redirect(url_for("integrations.index", slug=business.slug))
