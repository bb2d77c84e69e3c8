"""Sandbox settings, shared by the CLI, the app factory and the test helper."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_PLATFORM_KEY = "fc_platform_sandbox_key"
DEFAULT_WEBHOOK_SECRET = "fc_whsec_sandbox"
DEFAULT_DATA_PATH = "instance/fourcalls-sandbox.sqlite3"


@dataclass
class SandboxOptions:
    platform_key: str = field(
        default_factory=lambda: os.environ.get("FOURCALLS_API_KEY") or DEFAULT_PLATFORM_KEY)
    webhook_secret: str = field(
        default_factory=lambda: os.environ.get("FOURCALLS_WEBHOOK_SECRET") or DEFAULT_WEBHOOK_SECRET)
    webhook_url: str | None = None
    webhook_max_attempts: int = 5
    webhook_retry_base: float = 2.0  # seconds; doubles after each failed attempt
    webhook_timeout: float = 5.0
    call_interval: float = 45.0  # mean seconds between generated calls per organization
    campaign_interval: float = 3.0  # seconds between dials of a running campaign
    dial_seconds: float = 2.0  # how long a per-target dial rings before its result is known
    chat_token_delay_ms: float = 35.0
    seed: int | None = None
    error_rate: float = 0.0
    latency_ms: float = 0.0
    rate_limit_every: int = 0
    rate_limit_length: int = 0
    rate_limit_retry_after: int = 1
    drop_rate: float = 0.0
    log_requests: bool = True
