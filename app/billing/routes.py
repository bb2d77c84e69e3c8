from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from app.billing import presenters, services
from app.billing.forms import ConfirmForm, PackageChoiceForm
from app.billing.gateway import StripeRejected, StripeUnavailable
from app.billing.lifecycle import change_direction
from app.packages.catalog import get_package
from app.web import can, owned_business_or_404, render_partial_or_page

bp = Blueprint("billing", __name__)


@bp.record_once
def _install(state) -> None:
    from app.billing.health import stripe_health
    from app.main.routes import health_checks

    health_checks["stripe"] = stripe_health

UNVERIFIED = "Confirm your email address before buying a package: open the link we emailed you."
STRIPE_DOWN = "We can't reach our payment provider right now. Nothing was changed; please try again in a minute."


@bp.get("/businesses/<slug>/billing")
@login_required
def index(slug: str):
    business = owned_business_or_404(slug)
    return render_partial_or_page(
        "billing/index.html", "billing/_status.html", business=business, summary=presenters.billing_summary(business)
    )


@bp.get("/businesses/<slug>/billing/invoices")
@login_required
def invoices(slug: str):
    business = owned_business_or_404(slug)
    account = services.account_for(business)
    unreachable = False
    if account is not None and account.stripe_customer_id and not services.invoices_are_fresh(account):
        try:
            services.refresh_invoices(business)
        except (StripeUnavailable, StripeRejected):
            unreachable = True
    return render_partial_or_page(
        "billing/invoices.html",
        "billing/_invoices.html",
        business=business,
        invoices=services.cached_invoices(business),
        account=services.account_for(business),
        unreachable=unreachable,
        money=presenters.money,
    )


@bp.post("/businesses/<slug>/billing/checkout")
@login_required
def checkout(slug: str):
    business = owned_business_or_404(slug)
    form = PackageChoiceForm()
    if not form.validate_on_submit():
        return _back_to_picker(slug, _first_error(form))
    if not current_user.is_verified:  # -- accounts (issue 12)
        return _back_to_picker(slug, UNVERIFIED, status=403)
    try:
        start = services.start_checkout(business, form.package.data)
    except StripeUnavailable:
        return _back_to_picker(slug, STRIPE_DOWN, status=503)
    except (services.BillingError, StripeRejected) as error:
        return _back_to_picker(slug, str(error))
    return redirect(start.redirect_url, 303)


@bp.get("/businesses/<slug>/billing/success")
@login_required
def success(slug: str):
    business = owned_business_or_404(slug)
    session_id = request.args.get("session_id", "")
    if not session_id:
        return render_template("errors/error.html", status=400, title="Missing checkout",
                               message="This link is missing its checkout reference."), 400
    reachable = True
    try:
        session = services.checkout_session_for(business, session_id)
    except StripeUnavailable:
        session, reachable = None, False
    if reachable and session is None:
        return render_template("errors/error.html", status=404, title="Not found",
                               message="We couldn't find that checkout."), 404
    progress = presenters.checkout_progress(business, session, stripe_reachable=reachable)
    return render_partial_or_page(
        "billing/success.html", "billing/_checkout_progress.html", business=business, progress=progress,
        session_id=session_id, home_url=presenters.home_endpoint_for(business),
    )


@bp.get("/businesses/<slug>/billing/cancelled")
@login_required
def checkout_cancelled(slug: str):
    business = owned_business_or_404(slug)
    package = get_package(request.args.get("package", ""))
    name = package.name if package else "the package"
    flash(f"Checkout cancelled: you weren't charged and {name} wasn't activated. Choose a package whenever you're ready.", "warning")
    return redirect(url_for("packages.picker", slug=business.slug), 303)


@bp.route("/businesses/<slug>/billing/change", methods=["GET", "POST"])
@login_required
def change(slug: str):
    business = owned_business_or_404(slug)
    form = PackageChoiceForm() if request.method == "POST" else PackageChoiceForm(request.args, meta={"csrf": False})
    summary = presenters.billing_summary(business)
    valid = form.validate() if request.method == "GET" else form.validate_on_submit()
    if not valid:
        flash(_first_error(form), "error")
        return render_template("billing/index.html", business=business, summary=summary), 422
    target = get_package(form.package.data)
    if not summary.has_subscription:
        return redirect(url_for("packages.picker", slug=business.slug), 303)
    if request.method == "GET":
        direction = _direction(summary, target.slug)
        from app.packages.downgrade import losses  # what becomes unavailable or read-only (issue 19)

        current = get_package(summary.account.package_slug)
        return render_template("billing/confirm_change.html", business=business, summary=summary, target=target,
                               current_package=current, direction=direction,
                               form=PackageChoiceForm(package=target.slug),
                               losses=losses(business, current, target) if direction == "downgrade" else [])
    try:
        outcome = services.change_package(business, target.slug)
    except StripeUnavailable:
        flash(STRIPE_DOWN, "error")
        return redirect(url_for("billing.index", slug=business.slug), 303)
    except (services.BillingError, StripeRejected) as error:
        flash(str(error), "error")
        return render_template("billing/index.html", business=business, summary=presenters.billing_summary(business)), 422
    flash(_change_message(outcome, target.name), "success")
    return redirect(url_for("billing.index", slug=business.slug), 303)


@bp.route("/businesses/<slug>/billing/cancel", methods=["GET", "POST"])
@login_required
def cancel(slug: str):
    business = owned_business_or_404(slug)
    summary = presenters.billing_summary(business)
    form = ConfirmForm()
    if request.method == "GET":
        if not summary.has_subscription or summary.cancel_at_period_end:
            return redirect(url_for("billing.index", slug=business.slug), 303)
        return render_template("billing/confirm_cancel.html", business=business, summary=summary, form=form)
    if not form.validate_on_submit():
        flash("Your form expired. Please try again.", "error")
        return redirect(url_for("billing.index", slug=business.slug), 303)
    try:
        ends_at = services.schedule_cancellation(business)
    except StripeUnavailable:
        flash(STRIPE_DOWN, "error")
    except (services.BillingError, StripeRejected) as error:
        flash(str(error), "error")
    else:
        when = f" on {ends_at:%B %-d, %Y}" if ends_at else " at the end of the period"
        flash(f"Your subscription will end{when}. Your assistant keeps working until then.", "success")
    return redirect(url_for("billing.index", slug=business.slug), 303)


@bp.post("/businesses/<slug>/billing/resume")
@login_required
def resume(slug: str):
    business = owned_business_or_404(slug)
    if not ConfirmForm().validate_on_submit():
        flash("Your form expired. Please try again.", "error")
        return redirect(url_for("billing.index", slug=business.slug), 303)
    try:
        services.resume_subscription(business)
    except StripeUnavailable:
        flash(STRIPE_DOWN, "error")
    except (services.BillingError, StripeRejected) as error:
        flash(str(error), "error")
    else:
        flash("Welcome back: your subscription will renew as usual.", "success")
    return redirect(url_for("billing.index", slug=business.slug), 303)


@bp.post("/businesses/<slug>/billing/portal")
@login_required
def portal(slug: str):
    business = owned_business_or_404(slug)
    if not ConfirmForm().validate_on_submit():
        flash("Your form expired. Please try again.", "error")
        return redirect(url_for("billing.index", slug=business.slug), 303)
    try:
        return redirect(services.portal_url(business), 303)
    except StripeUnavailable:
        flash(STRIPE_DOWN, "error")
    except (services.BillingError, StripeRejected) as error:
        flash(str(error), "error")
    return redirect(url_for("billing.index", slug=business.slug), 303)


@bp.app_template_global("billing_notice")
def billing_notice(business) -> Markup:
    """The past-due banner, for base.html on the owner's own pages."""
    if business is None or not current_user.is_authenticated or not can(business, "billing"):
        return Markup("")
    if not request.path.startswith("/businesses/") or (request.endpoint or "").startswith("billing."):
        # Only the owner's management pages; the billing page says it in more detail.
        return Markup("")
    notice = presenters.past_due_notice(business)
    if notice is None:
        return Markup("")
    return Markup(render_template("billing/_notice.html", business=business, notice=notice))


def _back_to_picker(slug: str, message: str, status: int = 422):
    from app.packages.routes import picker

    flash(message, "error")
    return picker(slug), status


def _first_error(form) -> str:
    if "csrf_token" in form.errors:
        return "Your form expired. Reload the page and try again."
    for errors in form.errors.values():
        if errors:
            return errors[0]
    return "Please try again."


def _direction(summary, target_slug: str) -> str:
    current = summary.account.package_slug if summary.account else None
    if current == target_slug:
        return "withdraw" if summary.pending_package_name else "same"
    return change_direction(current, target_slug)


def _change_message(outcome: services.PlanChange, name: str) -> str:
    if outcome.kind == "upgrade":
        return f"Upgraded to {name}. The difference for the rest of this period has been charged."
    if outcome.kind == "downgrade":
        when = f"{outcome.effective_at:%B %-d, %Y}" if outcome.effective_at else "the end of this period"
        return f"{name} starts on {when}. Until then you keep everything you have now."
    return f"The package change was withdrawn; you stay on {name}."
