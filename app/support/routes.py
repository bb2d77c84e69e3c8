"""Help for every owner: the help centre, their support requests with
replies, and (AI Enterprise) their account manager."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.models import SupportStatus
from app.models.support import SUPPORT_CATEGORIES
from app.packages.offers import smallest_package_with
from app.support import services, targets
from app.support.forms import ConfirmForm, ReplyForm, SupportRequestForm
from app.support.views import attachment_response
from app.help.articles import all_articles
from app.web import owned_business_or_404

bp = Blueprint("support", __name__, url_prefix="/businesses/<slug>/help")


def _request_or_404(business, request_id):
    found = services.get_request(business, request_id)
    if found is None:
        abort(404)
    return found


@bp.get("")
@login_required
def index(slug):
    business = owned_business_or_404(slug)
    package = targets.package_for(business)
    return render_template(
        "support/index.html", business=business, requests=services.requests_of(business),
        manager=services.account_manager_of(business), package=package,
        has_priority=bool(package and package.has("priority_support")),
        target=targets.describe_minutes(targets.target_minutes(package)),
        priority_offer=smallest_package_with("priority_support"),
        priority_target=targets.describe_minutes(targets.target_minutes(smallest_package_with("priority_support"))),
        articles=all_articles(), status_labels=SupportStatus.LABELS, categories=SUPPORT_CATEGORIES,
    )


@bp.route("/requests/new", methods=["GET", "POST"])
@login_required
def new_request(slug):
    business = owned_business_or_404(slug)
    form = SupportRequestForm()
    if form.validate_on_submit():
        try:
            created = services.open_request(business, current_user, form.subject.data, form.category.data,
                                            form.body.data, request.files.get("attachment"))
        except services.SupportError as exc:
            for name, message in exc.errors.items():
                getattr(form, name).errors.append(message)
        else:
            flash(f"Request {created.reference} sent. We reply here and by email.", "success")
            return redirect(url_for("support.request_detail", slug=slug, request_id=created.id))
    return render_template("support/new.html", business=business, form=form), 422 if form.is_submitted() else 200


@bp.route("/requests/<request_id>", methods=["GET", "POST"])
@login_required
def request_detail(slug, request_id):
    business = owned_business_or_404(slug)
    support_request = _request_or_404(business, request_id)
    form = ReplyForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.owner_reply(business, support_request, current_user, form.body.data,
                                     request.files.get("attachment"))
            except services.SupportError as exc:
                for name, message in exc.errors.items():
                    getattr(form, name).errors.append(message)
            else:
                flash("Reply sent.", "success")
                return redirect(url_for("support.request_detail", slug=slug, request_id=support_request.id))
        status = 422
    return render_template("support/request.html", business=business, req=support_request, form=form,
                           confirm=ConfirmForm(), status_labels=SupportStatus.LABELS,
                           categories=SUPPORT_CATEGORIES), status


@bp.post("/requests/<request_id>/resolve")
@login_required
def resolve(slug, request_id):
    business = owned_business_or_404(slug)
    support_request = _request_or_404(business, request_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.owner_resolve(support_request)
    flash("Marked as resolved. Reply any time to reopen it.", "success")
    return redirect(url_for("support.request_detail", slug=slug, request_id=support_request.id))


@bp.get("/requests/<request_id>/messages/<message_id>/attachment")
@login_required
def attachment(slug, request_id, message_id):
    business = owned_business_or_404(slug)
    return attachment_response(_request_or_404(business, request_id), message_id)
