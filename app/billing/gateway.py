"""The app's only door to Stripe: one configured client, plain dicts out, two kinds of failure.

STRIPE_SECRET_KEY and STRIPE_API_BASE choose between real Stripe and a local
stand-in; nothing else in the app knows which one it is talking to.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

import stripe
from flask import current_app

_clients: dict[tuple, stripe.StripeClient] = {}
_clients_lock = threading.Lock()


class StripeUnavailable(Exception):
    """Stripe could not be reached, timed out or failed on its side: try again later."""


class StripeRejected(Exception):
    """Stripe refused the request (bad parameters, unknown object, declined card)."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


def client(timeout: float | None = None, retries: int | None = None) -> stripe.StripeClient:
    """The client for the current settings; one per (key, base, timeout, retries), reused across requests.
    Pages that can show cached data instead pass a short timeout and no retries."""
    config = current_app.config
    timeout = timeout or float(config.get("STRIPE_TIMEOUT_SECONDS", 10.0))
    retries = int(config.get("STRIPE_MAX_NETWORK_RETRIES", 2)) if retries is None else retries
    key = (config["STRIPE_SECRET_KEY"], config["STRIPE_API_BASE"].rstrip("/"), timeout, retries)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = stripe.StripeClient(
                config["STRIPE_SECRET_KEY"],
                base_addresses={"api": key[1]},
                # Connect fast or give up; Stripe answers most calls well within the read timeout.
                http_client=stripe.RequestsClient(timeout=(min(3.05, timeout), timeout)),
                # The library adds an idempotency key to retried POSTs, so retries are safe.
                max_network_retries=retries,
            )
        return _clients[key]


@contextmanager
def translated_errors():
    """Stripe's exception zoo reduced to the two cases callers act on differently."""
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise StripeUnavailable(str(exc.user_message or exc)) from exc
    except stripe.APIError as exc:
        raise StripeUnavailable(str(exc.user_message or exc)) from exc
    except stripe.AuthenticationError as exc:
        # A wrong key is an operator problem; to the owner it looks like an outage.
        current_app.logger.error("Stripe rejected the API key: check STRIPE_SECRET_KEY")
        raise StripeUnavailable("Stripe rejected our credentials") from exc
    except stripe.StripeError as exc:
        raise StripeRejected(str(exc.user_message or exc), getattr(exc, "code", None)) from exc


def as_dict(stripe_object) -> dict:
    """Plain, recursive dict of a Stripe object, so business rules never depend on the library's types."""
    return stripe_object.to_dict() if hasattr(stripe_object, "to_dict") else dict(stripe_object)


def request_options(idempotency_key: str | None = None) -> dict:
    return {"idempotency_key": idempotency_key} if idempotency_key else {}
