"""What the billing pages show, computed from local state only (no Stripe calls)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, url_for
from sqlalchemy import func, select

from app.billing.lifecycle import change_direction
from app.billing.reconcile import grace_period
from app.billing.services import account_for
from app.extensions import db
from app.models import Business, Coordinator, CoordinatorStatus, IntegrationStatus
from app.models.billing import BillingAccount, BillingInvoice, BillingStatus
from app.packages.catalog import PACKAGES, get_package
from app.wording import status_label, status_tone

# Integration states in which the assistant is up and answering.
SERVING = (IntegrationStatus.ACTIVE, IntegrationStatus.PAST_DUE)
IN_PROGRESS = (IntegrationStatus.PENDING, IntegrationStatus.PROVISIONING)


def home_endpoint_for(business: Business) -> str:
    """Where an owner goes once the assistant is ready: the first page of theirs that exists."""
    for endpoint in ("dashboard.index", "assistant.index", "businesses.overview"):
        if endpoint in current_app.view_functions:
            return url_for(endpoint, slug=business.slug)
    return url_for("businesses.overview", slug=business.slug)


def money(cents: int | None, currency: str | None = "usd") -> str:
    if cents is None:
        return "—"
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get((currency or "usd").lower(), "")
    sign = "-" if cents < 0 else ""
    text = f"{sign}{symbol}{abs(cents) / 100:,.2f}"
    return text if symbol else f"{text} {(currency or '').upper()}"


@dataclass
class Step:
    label: str
    state: str  # "done", "working", "waiting", "failed"
    detail: str | None = None


@dataclass
class CheckoutProgress:
    steps: list[Step] = field(default_factory=list)
    finished: bool = False
    polling: bool = True
    headline: str = ""
    message: str | None = None
    problem: bool = False


def checkout_progress(business: Business, session: dict | None, stripe_reachable: bool = True) -> CheckoutProgress:
    """Payment received → subscription active → assistant ready, for the success page."""
    if not stripe_reachable:
        return CheckoutProgress(
            steps=[Step("Payment received", "working", "Checking with Stripe…")],
            headline="Confirming your payment",
            message="We can't reach Stripe right now. This page keeps checking.",
        )
    status = session.get("status")
    if status == "expired":
        return CheckoutProgress(
            polling=False, problem=True, headline="This checkout expired",
            message="Nothing was charged. Choose a package again to start a new checkout.",
        )
    if status != "complete":
        return CheckoutProgress(
            polling=False, problem=True, headline="Payment not completed",
            message="Nothing was charged and no package is active. Choose a package to try again.",
        )
    package = get_package((session.get("metadata") or {}).get("package", ""))
    account = account_for(business)
    integration = business.integration
    subscribed = (
        account is not None
        and account.stripe_subscription_id == session.get("subscription")
        and account.status in (BillingStatus.ACTIVE, BillingStatus.PAST_DUE)
    )
    steps = [Step("Payment received", "done")]
    if not subscribed:
        steps += [Step("Activating your subscription", "working"), Step("Setting up your AI assistant", "waiting")]
        return CheckoutProgress(steps=steps, headline="Thank you! Activating your package…")
    package = get_package(account.package_slug) or package
    steps.append(Step(f"{package.name if package else 'Package'} active", "done"))
    if integration is not None and integration.status == IntegrationStatus.ERROR:
        steps.append(Step("Setting up your AI assistant", "failed", integration.status_reason))
        return CheckoutProgress(
            steps=steps, polling=False, problem=True, headline="Your package is active",
            message="Setting up the assistant hit a problem. It is shown on the assistant page, where you can retry.",
        )
    ready = (
        integration is not None
        and integration.status in SERVING
        and integration.service_package == account.package_slug
        and not integration.has_pending_changes
    )
    if not ready:
        steps.append(Step("Setting up your AI assistant", "working", integration.status_reason if integration else None))
        return CheckoutProgress(steps=steps, headline="Your package is active. Setting up your assistant…")
    steps.append(Step("AI assistant ready", "done"))
    return CheckoutProgress(steps=steps, finished=True, polling=False, headline="You're all set")


@dataclass
class PackageOption:
    slug: str
    name: str
    price: str
    direction: str  # "upgrade", "downgrade", "current", "pending"


@dataclass
class BillingSummary:
    account: BillingAccount | None
    package_name: str | None
    status: str
    status_label: str
    status_tone: str
    renews_on: datetime | None
    renewal_amount: str
    entitled_amount: str
    pending_package_name: str | None
    pending_change_at: datetime | None
    cancel_at_period_end: bool
    grace_ends_at: datetime | None
    options: list[PackageOption]
    provisioning: bool
    integration_status: str | None
    integration_reason: str | None
    assistants_running: int
    assistants_included: int
    open_invoice_url: str | None

    @property
    def has_subscription(self) -> bool:
        return self.status in BillingStatus.LIVE

    @property
    def can_change_package(self) -> bool:
        return self.status == BillingStatus.ACTIVE and not self.cancel_at_period_end


def billing_summary(business: Business) -> BillingSummary:
    account = account_for(business)
    status = account.status if account else BillingStatus.NONE
    label, tone = status_label(status, "billing"), status_tone(status, "billing")
    if status == BillingStatus.ACTIVE and account.cancel_at_period_end:
        label, tone = "Cancels at period end", "warn"
    package = get_package(account.package_slug) if account and account.package_slug else None
    pending = get_package(account.pending_package_slug) if account and account.pending_package_slug else None
    options = []
    if package is not None and status in BillingStatus.LIVE:
        for candidate in PACKAGES:
            if candidate.slug == package.slug:
                direction = "current"
            elif pending is not None and candidate.slug == pending.slug:
                direction = "pending"
            else:
                direction = change_direction(package.slug, candidate.slug)
            options.append(PackageOption(candidate.slug, candidate.name, f"{candidate.monthly_price():,.2f}", direction))
    integration = business.integration
    return BillingSummary(
        account=account,
        package_name=package.name if package else None,
        status=status,
        status_label=label,
        status_tone=tone,
        renews_on=account.current_period_end if account and status in BillingStatus.LIVE else None,
        renewal_amount=money(account.renewal_amount, account.currency) if account else "—",
        entitled_amount=money(account.unit_amount, account.currency) if account else "—",
        pending_package_name=pending.name if pending else None,
        pending_change_at=account.pending_change_at if account else None,
        cancel_at_period_end=bool(account and account.cancel_at_period_end),
        grace_ends_at=(account.past_due_since + grace_period()) if account and account.past_due_since else None,
        options=options,
        provisioning=bool(integration and (integration.status in IN_PROGRESS or integration.has_pending_changes)
                          and integration.target_status == "active"),
        integration_status=integration.status if integration else None,
        integration_reason=integration.status_reason if integration else None,
        assistants_running=_running_coordinators(business) if integration else 0,
        assistants_included=package.coordinator_count if package else 0,
        open_invoice_url=_open_invoice_url(business) if status in (BillingStatus.PAST_DUE, BillingStatus.SUSPENDED) else None,
    )


def _open_invoice_url(business: Business) -> str | None:
    """Stripe's page for paying the invoice that failed, if we have it."""
    return db.session.scalar(
        select(BillingInvoice.hosted_invoice_url)
        .where(BillingInvoice.business_id == business.id, BillingInvoice.status == "open",
               BillingInvoice.hosted_invoice_url.is_not(None))
        .order_by(BillingInvoice.issued_at.desc())
        .limit(1)
    )


def _running_coordinators(business: Business) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Coordinator)
        .where(Coordinator.business_id == business.id, Coordinator.status == CoordinatorStatus.ACTIVE)
    )


def past_due_notice(business: Business) -> dict | None:
    """The banner on an owner's pages while a payment is failing, or None.
    Reads the account loaded with the business (one statement per page)."""
    account = business.billing_account
    if account is None or account.status not in (BillingStatus.PAST_DUE, BillingStatus.SUSPENDED):
        return None
    if account.status == BillingStatus.PAST_DUE:
        deadline = account.past_due_since + grace_period() if account.past_due_since else None
        return {
            "tone": "warning",
            "text": "Your last payment failed. Update your card to keep your AI assistant running"
            + (f" after {deadline:%B %-d, %Y}." if deadline else "."),
        }
    return {"tone": "error", "text": "Your AI assistant is paused because payment failed. Update your card to resume it."}
