"""The four AI service packages (plan section 3), defined once.

Everything else — the packages table, the picker, Stripe prices, feature
gates, provisioning — reads from here. Prices may be overridden with the
AI_*_PRICE environment variables (plan section 7).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app


@dataclass(frozen=True)
class Feature:
    key: str
    label: str


# Row order of the comparison table.
FEATURES: tuple[Feature, ...] = (
    Feature("call_logging", "Call logging"),
    Feature("ai_call_summaries", "AI call summaries"),
    Feature("appointment_scheduling", "Appointment scheduling"),
    Feature("advanced_scheduling", "Advanced appointment scheduling"),
    Feature("call_analytics", "Call analytics"),
    # -- analytics (issue 18): plan section 3's Suite row "Full call analytics and reporting"
    Feature("call_reporting", "Full call analytics and reporting"),
    Feature("lead_management", "Lead management & AI lead qualification"),
    Feature("campaigns", "Outbound campaigns"),
    Feature("advanced_campaigns", "Advanced campaigns"),
    Feature("advanced_crm", "Advanced CRM"),
    Feature("multi_channel", "Multi-channel (calls, SMS, email)"),
    Feature("assistant_roles", "Choose each assistant's role"),  # -- issue 13
    Feature("customer_insights", "AI customer insights"),
    Feature("enterprise_reporting", "Enterprise analytics & reporting"),
    Feature("custom_integrations", "Custom integrations"),
    Feature("priority_support", "Priority support"),
    Feature("account_manager", "Dedicated account manager"),
    Feature("custom_ai_training", "Custom AI training"),
)


@dataclass(frozen=True)
class PackageDefinition:
    slug: str
    name: str
    price_setting: str
    default_price: str
    target: str
    description: str
    coordinator_count: int
    call_minutes_inbound: int
    call_minutes_outbound: int
    contact_limit: int | None  # None: unlimited
    campaign_limit: int | None  # 0: no campaigns; None: unlimited
    coordinator_roles: tuple[str, ...]
    features: frozenset[str] = field(default_factory=frozenset)
    display_order: int = 0

    def monthly_price(self) -> Decimal:
        configured = current_app.config.get(self.price_setting) or self.default_price
        return Decimal(str(configured)).quantize(Decimal("0.01"))

    def has(self, feature: str) -> bool:
        return feature in self.features

    def features_json(self) -> dict:
        """The `features` column of the packages table: limits plus yes/no flags."""
        data = {
            "coordinator_count": self.coordinator_count,
            "call_minutes_inbound": self.call_minutes_inbound,
            "call_minutes_outbound": self.call_minutes_outbound,
            "contact_limit": self.contact_limit,
            "campaign_limit": self.campaign_limit,
            "coordinator_roles": list(self.coordinator_roles),
        }
        data.update({f.key: f.key in self.features for f in FEATURES})
        # The plan's config sample names these two flags explicitly.
        data["campaigns"] = self.has("campaigns")
        return data


_BASIC = {"call_logging", "ai_call_summaries", "appointment_scheduling"}
_SALES = _BASIC | {"advanced_scheduling", "call_analytics", "lead_management", "campaigns"}
_SUITE = _SALES | {"advanced_campaigns", "advanced_crm", "multi_channel", "customer_insights",
                   "assistant_roles",  # -- assistant roles (issue 13)
                   "call_reporting"}  # -- analytics (issue 18)
_ENTERPRISE = _SUITE | {
    "enterprise_reporting",
    "custom_integrations",
    "priority_support",
    "account_manager",
    "custom_ai_training",
}

PACKAGES: tuple[PackageDefinition, ...] = (
    PackageDefinition(
        slug="ai_receptionist",
        name="AI Receptionist",
        price_setting="AI_RECEPTIONIST_PRICE",
        default_price="49.00",
        target="Small businesses needing basic call handling",
        description="Answers questions, takes messages, schedules appointments and forwards urgent calls.",
        coordinator_count=1,
        call_minutes_inbound=500,
        call_minutes_outbound=0,
        contact_limit=500,
        campaign_limit=0,
        coordinator_roles=("receptionist",),
        features=frozenset(_BASIC),
        display_order=1,
    ),
    PackageDefinition(
        slug="ai_sales",
        name="AI Sales Assistant",
        price_setting="AI_SALES_PRICE",
        default_price="99.00",
        target="Sales-focused businesses",
        description="Qualifies leads, makes follow-up calls, books appointments and runs sales campaigns.",
        coordinator_count=1,
        call_minutes_inbound=1000,
        call_minutes_outbound=500,
        contact_limit=None,
        campaign_limit=3,
        coordinator_roles=("sales",),
        features=frozenset(_SALES),
        display_order=2,
    ),
    PackageDefinition(
        slug="ai_business_suite",
        name="AI Business Suite",
        price_setting="AI_BUSINESS_SUITE_PRICE",
        default_price="199.00",
        target="Growing businesses needing full CRM",
        description="Full customer lifecycle: two assistants, advanced CRM and campaigns, multi-channel.",
        coordinator_count=2,
        call_minutes_inbound=2000,
        call_minutes_outbound=1000,
        contact_limit=None,
        campaign_limit=None,
        coordinator_roles=("receptionist", "sales"),
        features=frozenset(_SUITE),
        display_order=3,
    ),
    PackageDefinition(
        slug="ai_enterprise",
        name="AI Enterprise",
        price_setting="AI_ENTERPRISE_PRICE",
        default_price="399.00",
        target="Large businesses with high call volume",
        description="Five assistants, high call volume, enterprise reporting and a dedicated account manager.",
        coordinator_count=5,
        call_minutes_inbound=5000,
        call_minutes_outbound=2500,
        contact_limit=None,
        campaign_limit=None,
        coordinator_roles=("receptionist", "sales", "support", "scheduler", "receptionist"),
        features=frozenset(_ENTERPRISE),
        display_order=4,
    ),
)

PACKAGES_BY_SLUG = {p.slug: p for p in PACKAGES}


def get_package(slug: str) -> PackageDefinition | None:
    return PACKAGES_BY_SLUG.get(slug)


def package_rank(slug: str) -> int:
    """Position in the ladder, for telling an upgrade from a downgrade."""
    package = PACKAGES_BY_SLUG[slug]
    return package.display_order


# -- messaging (issue 15) ------------------------------------------------------
# SMS and emails a package may send per billing period (owner messages and
# missed-call text-backs; appointment reminders are not counted).
MESSAGE_ALLOWANCES = {"ai_receptionist": 0, "ai_sales": 300, "ai_business_suite": 2000, "ai_enterprise": 10000}


def message_allowance(package: PackageDefinition | None) -> int:
    return MESSAGE_ALLOWANCES.get(package.slug, 0) if package is not None else 0


# -- campaigns (issue 14)
# Simultaneous call lines per package. Campaigns use all but one, so an
# inbound caller always finds a free line. A package missing here has no lines.
CONCURRENT_CALLS = {"ai_receptionist": 1, "ai_sales": 2, "ai_business_suite": 5, "ai_enterprise": 10}


def outbound_lines(package: PackageDefinition | None) -> int:
    """How many campaign calls may run at once: the package's lines minus one kept for inbound."""
    if package is None or not package.has("campaigns"):
        return 0
    return max(CONCURRENT_CALLS.get(package.slug, 1) - 1, 1)


# -- knowledge base (issue 19): "Custom AI training" (custom_ai_training)
@dataclass(frozen=True)
class KnowledgeLimits:
    max_sources: int
    max_total_bytes: int
    max_document_bytes: int = 10 * 1024 * 1024


# What a package with custom_ai_training may teach its assistants. A package missing here teaches nothing.
KNOWLEDGE_LIMITS = {"ai_enterprise": KnowledgeLimits(max_sources=200, max_total_bytes=100 * 1024 * 1024)}


def knowledge_limits(package: PackageDefinition | None) -> KnowledgeLimits | None:
    if package is None or not package.has("custom_ai_training"):
        return None
    return KNOWLEDGE_LIMITS.get(package.slug)
