"""Call handling (assignments, hours behaviour, urgent forwarding) and test calls."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import login_required

from app.assistant.forms import CallHandlingForm, TestCallForm
from app.assistant.handling import ACTION_LABELS, handling_for, not_applied, save_handling
from app.assistant.routes import bp
from app.assistant.services import live_coordinators
from app.assistant.test_calls import place_test_call, suggested_phrase
from app.fourcalls import FourCallsError, plain_words
from app.assistant.provisioning import integration_for
from app.assistant.scripting import role_label
from app.packages.catalog import get_package
from app.web import is_htmx, owned_business_or_404


def _handling_form(business, handling, formdata=None) -> CallHandlingForm:
    if formdata is None:
        form = CallHandlingForm(formdata=None, obj=handling)
        form.urgent_words.data = "\n".join(handling.urgent_words or [])
        for name in ("inbound_coordinator_id", "widget_coordinator_id", "campaign_coordinator_id"):
            value = getattr(handling, name)
            getattr(form, name).data = str(value) if value else ""
    else:
        form = CallHandlingForm()
    choices = [("", "The first assistant")] + [
        (str(c.id), f"{c.name} ({role_label(c.role)})") for c in live_coordinators(business)]
    integration = integration_for(business)
    package = get_package(integration.service_package) if integration else None
    form.set_coordinators(choices, campaigns=bool(package and package.has("campaigns")))
    return form


def _page(business, form, test_form=None, test_call=None, test_error=None, status=200, taken=None):
    handling = handling_for(business)
    integration = integration_for(business)
    return render_template(
        "assistant/call_handling.html", business=business, form=form, handling=handling,
        not_applied=not_applied(handling), integration=integration, action_labels=ACTION_LABELS,
        test_form=test_form or _test_form(business, handling), test_call=test_call, test_error=test_error, taken=taken,
        package=get_package(integration.service_package) if integration else None), status


def _test_form(business, handling) -> TestCallForm:
    form = TestCallForm(formdata=None)
    form.caller_says.data = suggested_phrase(business, handling.urgent_words or [])
    return form


@bp.get("/call-handling")
@login_required
def call_handling(slug: str):
    business = owned_business_or_404(slug)
    return _page(business, _handling_form(business, handling_for(business)))


@bp.get("/call-handling/status")
@login_required
def call_handling_status(slug: str):
    """The status line of the rules; polled every 2 s while 4calls has not confirmed them."""
    business = owned_business_or_404(slug)
    handling = handling_for(business)
    return render_template("assistant/_handling_status.html", business=business, handling=handling,
                           not_applied=not_applied(handling), integration=integration_for(business))


@bp.post("/call-handling")
@login_required
def save_call_handling(slug: str):
    business = owned_business_or_404(slug)
    handling = handling_for(business)
    form = _handling_form(business, handling, formdata=True)
    if integration_for(business) is None:
        form.business_hours_action.errors = ["Choose a package first: there is no assistant to set up yet."]
        return _page(business, form, status=409)
    if not form.validate_on_submit():
        return _page(business, form, status=422)
    changed = save_handling(business, form.values())
    flash("Call handling saved. Sending it to 4calls.ai…" if changed else "Nothing changed.",
          "success" if changed else "info")
    return redirect(url_for("assistant.call_handling", slug=business.slug))


@bp.post("/test-call")
@login_required
def test_call(slug: str):
    business = owned_business_or_404(slug)
    handling = handling_for(business)
    form = TestCallForm()
    call, error, status = None, None, 200
    if not form.validate_on_submit():
        status = 422
    else:
        try:
            call = place_test_call(business, form.caller_says.data, form.when.data)
        except FourCallsError as exc:
            error, status = plain_words(exc), 502
    taken = taken_message_for(call)
    if is_htmx():
        return render_template("assistant/_test_call.html", business=business, test_form=form, test_call=call,
                               test_error=error, handling=handling, taken=taken), 200 if status == 502 else status
    return _page(business, _handling_form(business, handling), test_form=form, test_call=call,
                 test_error=error, status=status, taken=taken)


def taken_message_for(call):
    if call is None:
        return None
    from sqlalchemy import select

    from app.extensions import db
    from app.models import TakenMessage

    return db.session.scalar(select(TakenMessage).where(TakenMessage.business_id == call.business_id,
                                                        TakenMessage.call_remote_id == call.remote_id))
