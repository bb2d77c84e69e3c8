"""Runtime settings of one sandbox instance (CLI flags and environment)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

# The API version stripe==16.1.0 pins (stripe.api_version). Object shapes in this
# sandbox follow this version; events carry it as `api_version`.
MODELLED_API_VERSION = "2026-10-28.endive"

DEFAULT_API_KEY = "sk_test_sandbox"
DEFAULT_WEBHOOK_SECRET = "whsec_sandbox"
DEFAULT_DATA_PATH = os.path.join("instance", "stripe-sandbox.sqlite3")
PRORATION_BEHAVIORS = ("create_prorations", "always_invoice", "none")


@dataclass
class FaultSettings:
    """Failure injection applied to /v1 routes only (never to pages or admin)."""

    error_rate: float = 0.0
    latency_ms: int = 0
    rate_limit_every: int = 0
    drop_rate: float = 0.0
    # Deterministic one-shot faults, handy for testing client retries.
    fail_next: int = 0
    drop_next: int = 0

    def as_dict(self) -> dict:
        return {
            "error_rate": self.error_rate,
            "latency_ms": self.latency_ms,
            "rate_limit_every": self.rate_limit_every,
            "drop_rate": self.drop_rate,
            "fail_next": self.fail_next,
            "drop_next": self.drop_next,
        }


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 12111
    data_path: str = DEFAULT_DATA_PATH
    api_key: str = DEFAULT_API_KEY
    webhook_url: Optional[str] = None
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    # Base of the URLs handed out in objects (checkout/portal/invoice pages).
    public_url: Optional[str] = None
    business_name: str = "AlphaSite AI Services"
    portal_proration_behavior: str = "create_prorations"
    webhook_max_attempts: int = 8
    webhook_retry_base_seconds: float = 1.0
    webhook_timeout_seconds: float = 5.0
    faults: FaultSettings = field(default_factory=FaultSettings)

    @classmethod
    def from_env(cls, **overrides) -> "SandboxConfig":
        config = cls(
            api_key=os.environ.get("STRIPE_SECRET_KEY") or DEFAULT_API_KEY,
            webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET") or DEFAULT_WEBHOOK_SECRET,
        )
        for name, value in overrides.items():
            if value is not None:
                setattr(config, name, value)
        return config

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"
