"""Stripe-shaped API errors: {"error": {type, message, param, code, ...}}."""

from __future__ import annotations

from typing import Optional

NAMES_BY_PREFIX = {
    "cus": "customer",
    "prod": "product",
    "price": "price",
    "sub": "subscription",
    "si": "subscription item",
    "in": "invoice",
    "cs": "checkout.session",
    "evt": "event",
    "pm": "payment_method",
    "bps": "billing_portal.session",
    "ii": "invoiceitem",
}


class StripeApiError(Exception):
    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        param: Optional[str] = None,
        code: Optional[str] = None,
        decline_code: Optional[str] = None,
        extra_headers: Optional[dict] = None,
    ):
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.param = param
        self.code = code
        self.decline_code = decline_code
        self.extra_headers = extra_headers or {}

    def body(self, request_id: Optional[str] = None) -> dict:
        error: dict = {"type": self.error_type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        if self.decline_code:
            error["decline_code"] = self.decline_code
        if request_id:
            error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": error}


def invalid_request(message: str, param: Optional[str] = None, code: Optional[str] = None,
                    status: int = 400) -> StripeApiError:
    return StripeApiError(status, "invalid_request_error", message, param, code)


def missing_param(param: str) -> StripeApiError:
    return invalid_request(f"Missing required param: {param}.", param, "parameter_missing")


def unknown_param(param: str) -> StripeApiError:
    return invalid_request(f"Received unknown parameter: {param}", param, "parameter_unknown")


def invalid_value(param: str, message: Optional[str] = None) -> StripeApiError:
    return invalid_request(message or f"Invalid value for {param}.", param, "parameter_invalid_string")


def no_such(object_id: str, param: str = "id", kind: Optional[str] = None) -> StripeApiError:
    if kind is None:
        prefix = object_id.split("_", 1)[0] if "_" in object_id else ""
        kind = NAMES_BY_PREFIX.get(prefix, "object")
    return invalid_request(f"No such {kind}: '{object_id}'", param, "resource_missing", status=404)


def unrecognized_url(method: str, path: str) -> StripeApiError:
    return invalid_request(
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
        status=404,
    )


def card_error(message: str, code: str, decline_code: Optional[str] = None,
               param: Optional[str] = None) -> StripeApiError:
    return StripeApiError(402, "card_error", message, param, code, decline_code)


def api_error(message: str = "An unknown error occurred") -> StripeApiError:
    return StripeApiError(500, "api_error", message)


def rate_limited() -> StripeApiError:
    # Real Stripe has sent both "rate_limit_error" and "invalid_request_error" here;
    # clients key off the 429 status (stripe-python raises RateLimitError either way).
    return StripeApiError(
        429, "rate_limit_error",
        "Request rate limit exceeded. Learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
        code="rate_limit",
    )


def authentication_failed(message: str) -> StripeApiError:
    return StripeApiError(401, "authentication_error", message)


def idempotency_error(message: str, status: int = 400) -> StripeApiError:
    return StripeApiError(status, "idempotency_error", message)
