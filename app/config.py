"""Configuration read from the environment.

Development generates its own secrets once into instance/ so a fresh clone
runs with no setup; production refuses to start when a secret is missing.
"""
from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))

# Secrets production must be given; development and tests fill them in.
REQUIRED_SECRETS = (
    "SECRET_KEY",
    "ENCRYPTION_KEYS",
    "FOURCALLS_API_KEY",
    "FOURCALLS_WEBHOOK_SECRET",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
)

# Well-known keys the local sandboxes accept by default; they guard nothing real.
SANDBOX_DEFAULTS = {
    "FOURCALLS_API_KEY": "fc_platform_sandbox_key",
    "FOURCALLS_WEBHOOK_SECRET": "fc_whsec_sandbox",
    "STRIPE_SECRET_KEY": "sk_test_sandbox",
    "STRIPE_WEBHOOK_SECRET": "whsec_sandbox",
}


def _env(name: str, default=None):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_float(name: str, default: float) -> float:
    return float(_env(name, default))


class Config:
    ENV_NAME = "base"
    SECRET_KEY = _env("SECRET_KEY")
    ENCRYPTION_KEYS = _env("ENCRYPTION_KEYS")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
    # No pool_pre_ping: on PostgreSQL a connection is pinged at checkout only
    # after sitting idle this long (app/idle_ping.py); under load, never.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_use_lifo": True}
    DATABASE_PING_AFTER_IDLE_SECONDS = float(_env("DATABASE_PING_AFTER_IDLE_SECONDS", "1"))
    REDIS_URL = _env("REDIS_URL")
    RQ_QUEUE_NAME = _env("RQ_QUEUE_NAME", "default")
    # Seconds between retries of a failed background job.
    JOB_RETRY_INTERVALS = [10, 60, 300]
    PASSWORD_HASH_METHOD = "scrypt"
    # A 4calls event queues its follow-up sync this many seconds later, so a
    # burst of events costs one sync per business (app/crm_sync/services.py).
    CRM_SYNC_FOLLOW_UP_DELAY_SECONDS = int(_env("CRM_SYNC_FOLLOW_UP_DELAY_SECONDS", "30"))

    FOURCALLS_API_URL = _env("FOURCALLS_API_URL", "https://api.4calls.ai")
    FOURCALLS_API_KEY = _env("FOURCALLS_API_KEY")
    FOURCALLS_WEBHOOK_SECRET = _env("FOURCALLS_WEBHOOK_SECRET")
    FOURCALLS_TIMEOUT_SECONDS = _env_float("FOURCALLS_TIMEOUT_SECONDS", 10.0)
    # Retries of one 4calls request (5xx, 429, timeouts): attempts in all, then
    # exponential backoff with jitter from the base up to the cap. A longer
    # Retry-After than FOURCALLS_MAX_RETRY_AFTER_SECONDS is left to the job's retry.
    FOURCALLS_MAX_ATTEMPTS = int(_env("FOURCALLS_MAX_ATTEMPTS", 5))
    FOURCALLS_BACKOFF_BASE_SECONDS = _env_float("FOURCALLS_BACKOFF_BASE_SECONDS", 0.2)
    FOURCALLS_BACKOFF_MAX_SECONDS = _env_float("FOURCALLS_BACKOFF_MAX_SECONDS", 5.0)
    FOURCALLS_MAX_RETRY_AFTER_SECONDS = _env_float("FOURCALLS_MAX_RETRY_AFTER_SECONDS", 30.0)
    WEBHOOK_RATE_LIMIT = _env("WEBHOOK_RATE_LIMIT", "600 per minute")
    # Each web process queues at most one batch job per this many seconds for
    # the 4calls events it stores (app/webhooks/handoff.py); 0: one per event.
    WEBHOOK_BATCH_SECONDS = _env_float("WEBHOOK_BATCH_SECONDS", 0.5)

    STRIPE_SECRET_KEY = _env("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = _env("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = _env("STRIPE_API_BASE", "https://api.stripe.com")
    STRIPE_TIMEOUT_SECONDS = _env_float("STRIPE_TIMEOUT_SECONDS", 10.0)
    # Days a business keeps its assistant after a failed payment before it is suspended.
    BILLING_GRACE_PERIOD_DAYS = _env_float("BILLING_GRACE_PERIOD_DAYS", 7.0)

    # Package prices (plan section 7); the catalog reads these.
    AI_RECEPTIONIST_PRICE = _env("AI_RECEPTIONIST_PRICE", "49.00")
    AI_SALES_PRICE = _env("AI_SALES_PRICE", "99.00")
    AI_BUSINESS_SUITE_PRICE = _env("AI_BUSINESS_SUITE_PRICE", "199.00")
    AI_ENTERPRISE_PRICE = _env("AI_ENTERPRISE_PRICE", "399.00")

    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # Proxies in front of the app that append X-Forwarded-For/-Proto (a platform's
    # router, a load balancer). Per-address rate limits key on the client's
    # address only when this is right: 0 trusts no header (a client could forge
    # it); behind one load balancer it is 1.
    TRUSTED_PROXY_COUNT = int(_env("TRUSTED_PROXY_COUNT", 0))
    # Large enough for a contacts CSV, small enough to refuse abuse early.
    MAX_CONTENT_LENGTH = int(_env("MAX_CONTENT_LENGTH", 5 * 1024 * 1024))
    # -- accounts (issue 12): failed attempts allowed per client address and per
    # account; the page says when to try again. Reset and verification mails
    # count every request.
    LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "10 per minute;50 per hour")
    LOGIN_RATE_LIMIT_PER_ACCOUNT = _env("LOGIN_RATE_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    TWO_FACTOR_RATE_LIMIT = _env("TWO_FACTOR_RATE_LIMIT", "20 per 15 minutes")
    TWO_FACTOR_RATE_LIMIT_PER_ACCOUNT = _env("TWO_FACTOR_RATE_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    PASSWORD_RESET_RATE_LIMIT = _env("PASSWORD_RESET_RATE_LIMIT", "10 per hour")
    PASSWORD_RESET_RATE_LIMIT_PER_ACCOUNT = _env("PASSWORD_RESET_RATE_LIMIT_PER_ACCOUNT", "3 per hour")
    VERIFY_EMAIL_RATE_LIMIT = _env("VERIFY_EMAIL_RATE_LIMIT", "20 per hour")
    VERIFY_EMAIL_RATE_LIMIT_PER_ACCOUNT = _env("VERIFY_EMAIL_RATE_LIMIT_PER_ACCOUNT", "3 per hour")
    # Sessions: remember-me lasts this long; a device that passed two-factor is
    # trusted for TRUSTED_DEVICE_DAYS when the user asks. Admins must have
    # two-factor where ADMIN_REQUIRE_TWO_FACTOR is on (production).
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_IDLE_HOURS = int(_env("SESSION_IDLE_HOURS", 24))
    TRUSTED_DEVICE_DAYS = 30
    ADMIN_REQUIRE_TWO_FACTOR = False
    # Strict-Transport-Security, sent only where HTTPS is guaranteed (production).
    HSTS_SECONDS = 0
    # The chat widget: the longest visitor message, and messages allowed per
    # visitor and per client address (stored where RATELIMIT_STORAGE_URI says).
    CHAT_MAX_MESSAGE_LENGTH = int(_env("CHAT_MAX_MESSAGE_LENGTH", 1000))
    CHAT_RATE_LIMIT_PER_VISITOR = _env("CHAT_RATE_LIMIT_PER_VISITOR", "8 per minute;60 per hour")
    CHAT_RATE_LIMIT_PER_IP = _env("CHAT_RATE_LIMIT_PER_IP", "30 per minute;300 per hour")
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI") or _env("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down must not turn logins and webhooks into 500s: limits fall back to memory.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # "rq" with REDIS_URL, otherwise jobs run in a thread pool inside the web process.
    JOB_BACKEND = _env("JOB_BACKEND") or ("rq" if _env("REDIS_URL") else "in-process")
    ADMIN_EMAILS = [e.strip().lower() for e in (_env("ADMIN_EMAILS", "") or "").split(",") if e.strip()]
    # -- operator console (issue 16)
    # Month boundaries of every console metric are local midnights in this zone.
    OPERATOR_TIMEZONE = _env("OPERATOR_TIMEZONE", "America/New_York")
    # The plan's KPI deadlines count from this day (YYYY-MM-DD); empty: the first subscription.
    METRICS_LAUNCH_DATE = _env("METRICS_LAUNCH_DATE", "")
    # Defaults of the console's cost settings (USD); the console may change them.
    COST_PER_INBOUND_MINUTE = _env("COST_PER_INBOUND_MINUTE", "0.06")
    COST_PER_OUTBOUND_MINUTE = _env("COST_PER_OUTBOUND_MINUTE", "0.09")
    COST_PER_MESSAGE = _env("COST_PER_MESSAGE", "0.01")
    MARGIN_FLOOR_PERCENT = _env("MARGIN_FLOOR_PERCENT", "40")

    # Outgoing mail: "smtp" delivers through MAIL_SERVER; "outbox" keeps mails in
    # the database, listed at /dev/outbox (make run and tests).
    MAIL_BACKEND = _env("MAIL_BACKEND", "outbox")
    MAIL_SERVER = _env("MAIL_SERVER")
    MAIL_PORT = int(_env("MAIL_PORT", 587))
    MAIL_USE_TLS = (_env("MAIL_USE_TLS", "true") or "").lower() in ("1", "true", "yes")
    MAIL_USE_SSL = (_env("MAIL_USE_SSL", "false") or "").lower() in ("1", "true", "yes")
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "no-reply@alphasite.local")
    MAIL_SENDER_NAME = _env("MAIL_SENDER_NAME", "AlphaSite AI Services")
    MAIL_TIMEOUT_SECONDS = _env_float("MAIL_TIMEOUT_SECONDS", 10.0)
    # The local outbox page; never in production.
    DEV_OUTBOX_ENABLED = True


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'alphasite.sqlite3'}")

    @classmethod
    def fill_secrets(cls, values: dict) -> None:
        generated = _load_or_create_dev_secrets()
        for name in REQUIRED_SECRETS:
            if not values.get(name):
                values[name] = generated.get(name) or SANDBOX_DEFAULTS.get(name)


def _test_redis_url() -> str | None:
    """TEST_REDIS_URL, with one database number per pytest-xdist worker (gw0
    keeps the URL's number, gw1 takes the one below, ...). Job ids, change
    marks and caches are global within a Redis database, not per queue: two
    workers sharing one refused each other's jobs as already queued (both
    queue the 4calls batch job under one id)."""
    url = _env("TEST_REDIS_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw") or not worker[2:].isdigit():
        return url
    base, _, number = url.rpartition("/")
    if not number.isdigit():
        return url
    index, database = int(worker[2:]), int(number)
    database = database - index if database >= index else database + index
    return f"{base}/{database}"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    ENCRYPTION_KEYS = Fernet.generate_key().decode()
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL", "sqlite://")
    REDIS_URL = _test_redis_url()
    JOB_BACKEND = "rq" if _env("TEST_REDIS_URL") else "eager"
    # One queue per test process, so concurrent runs on one Redis don't run each other's jobs.
    RQ_QUEUE_NAME = f"test-{os.getpid()}"
    JOB_RETRY_INTERVALS = [0, 0, 0]
    WEBHOOK_BATCH_SECONDS = 0
    RATELIMIT_STORAGE_URI = "memory://"
    FOURCALLS_API_URL = "http://127.0.0.1:9/unreachable"
    FOURCALLS_API_KEY = SANDBOX_DEFAULTS["FOURCALLS_API_KEY"]
    FOURCALLS_WEBHOOK_SECRET = SANDBOX_DEFAULTS["FOURCALLS_WEBHOOK_SECRET"]
    FOURCALLS_TIMEOUT_SECONDS = 5.0
    FOURCALLS_BACKOFF_BASE_SECONDS = 0.01
    FOURCALLS_BACKOFF_MAX_SECONDS = 0.05
    STRIPE_SECRET_KEY = SANDBOX_DEFAULTS["STRIPE_SECRET_KEY"]
    STRIPE_WEBHOOK_SECRET = SANDBOX_DEFAULTS["STRIPE_WEBHOOK_SECRET"]
    STRIPE_API_BASE = "http://127.0.0.1:9"
    PUBLIC_BASE_URL = "http://localhost"
    # Tests move the injected clock by days or months while a user stays logged
    # in; idle expiry has its own test, which sets the production value.
    SESSION_IDLE_HOURS = 24 * 365 * 10
    # Production hashes with scrypt (Werkzeug's default, memory-hard: about a
    # second per hash on a busy 2-core machine). Tests create hundreds of users
    # and are not testing the hash's cost, so they use a cheap one.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

    @classmethod
    def fill_secrets(cls, values: dict) -> None:
        return None


class ProductionConfig(Config):
    ENV_NAME = "production"
    MAIL_BACKEND = _env("MAIL_BACKEND", "smtp")
    DEV_OUTBOX_ENABLED = False
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    ADMIN_REQUIRE_TWO_FACTOR = True
    HSTS_SECONDS = int(_env("HSTS_SECONDS", 63072000))

    @classmethod
    def fill_secrets(cls, values: dict) -> None:
        missing = [name for name in REQUIRED_SECRETS if not values.get(name)]
        if not values.get("SQLALCHEMY_DATABASE_URI"):
            missing.append("DATABASE_URL")
        if values.get("MAIL_BACKEND") == "smtp":
            missing += [name for name in ("MAIL_SERVER", "MAIL_DEFAULT_SENDER") if not values.get(name)]
        if missing:
            raise RuntimeError(
                "Refusing to start in production without: " + ", ".join(missing)
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_environment():
    return CONFIGS[_env("APP_ENV", "development")]


def _load_or_create_dev_secrets() -> dict:
    """Generate development secrets once so sessions and encrypted keys
    survive restarts of `make run`."""
    path = INSTANCE_DIR / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    generated = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    path.write_text(json.dumps(generated))
    path.chmod(0o600)
    return generated
