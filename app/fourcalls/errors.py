"""Typed errors for everything that can go wrong talking to 4calls.ai.

    FourCallsError                 any failure (catch this to handle them all)
    ├── Unauthorized    401        missing, unknown or revoked key
    ├── Forbidden       403        an organization key used on a platform-only call
    ├── NotFound        404        no such resource *visible to this key*
    ├── ValidationError 422        `.fields` maps each offending field to a message
    ├── Conflict        409        `.reason` / `.details` say why
    ├── RateLimited     429        `.retry_after` seconds (after the client's own retries)
    ├── Unavailable     5xx, timeouts, connection errors (after retries)
    └── NotProvisioned             the business has no 4calls organization (yet)

Messages never contain keys: they come from 4calls' error body or are written here.
"""
from __future__ import annotations


class FourCallsError(Exception):
    """Base class. `status` is the HTTP status (None when no response arrived)."""

    status: int | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        details: dict | None = None,
        request_id: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.error_type = error_type
        self.details = details or {}
        self.request_id = request_id

    @property
    def retryable(self) -> bool:
        """Whether trying the same request again later may succeed."""
        return False


class Unauthorized(FourCallsError):
    status = 401


class Forbidden(FourCallsError):
    status = 403


class NotFound(FourCallsError):
    status = 404


class Conflict(FourCallsError):
    status = 409

    @property
    def reason(self) -> str | None:
        """e.g. "idempotency_key_reused", "idempotency_key_in_progress"."""
        return self.details.get("reason")

    @property
    def existing_id(self) -> str | None:
        """Set when the conflict is a duplicate (same external_id, same phone)."""
        return self.details.get("existing_id")

    @property
    def retryable(self) -> bool:
        return self.reason == "idempotency_key_in_progress"


class ValidationError(FourCallsError):
    status = 422

    @property
    def fields(self) -> dict[str, str]:
        """Offending field (dotted path) -> message."""
        return dict(self.details.get("fields") or {})


class _WorthRetrying(FourCallsError):
    """An answer that may differ later; `retry_after` is 4calls' hint in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return True


class RateLimited(_WorthRetrying):
    status = 429


class Unavailable(_WorthRetrying):
    """5xx answers, timeouts and connection failures."""


class NotProvisioned(FourCallsError):
    """Raised before any request when a business has no organization or key."""


_BY_STATUS = {401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict, 422: ValidationError}


def error_for_status(status: int, body: dict | None, retry_after: float | None) -> FourCallsError:
    """Build the typed error for a non-2xx response with 4calls' error body."""
    error = (body or {}).get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    message = str(error.get("message") or f"4calls answered HTTP {status}")
    kwargs = dict(
        status=status,
        error_type=error.get("type"),
        details=error.get("details") if isinstance(error.get("details"), dict) else {},
        request_id=error.get("request_id"),
    )
    if status == 429:
        return RateLimited(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return Unavailable(message, retry_after=retry_after, **kwargs)
    if status == 400:
        # The contract answers 422 for bad input; a bare 400 is treated the same way.
        return ValidationError(message, **kwargs)
    return _BY_STATUS.get(status, FourCallsError)(message, **kwargs)


def plain_words(error: BaseException) -> str:
    """What to tell a business owner about a failure, without jargon or secrets."""
    if isinstance(error, NotProvisioned):
        return "The AI assistant has not been set up yet."
    if isinstance(error, RateLimited):
        return "4calls.ai asked us to slow down. We will try again shortly."
    if isinstance(error, Unavailable):
        return "4calls.ai did not respond in time or is temporarily unavailable."
    if isinstance(error, (Unauthorized, Forbidden)):
        return "4calls.ai did not accept AlphaSite's credentials. Our team needs to check the connection."
    if isinstance(error, ValidationError):
        fields = error.fields
        if fields:
            listed = "; ".join(f"{name.replace('_', ' ')}: {message}" for name, message in sorted(fields.items()))
            return f"4calls.ai could not accept some details ({listed}). Please check them and try again."
        return f"4calls.ai could not accept the details: {error.message}"
    if isinstance(error, NotFound):
        return "4calls.ai no longer knows this assistant. Retrying will set it up again."
    if isinstance(error, Conflict):
        return f"4calls.ai refused the change: {error.message}"
    if isinstance(error, FourCallsError):
        return f"4calls.ai reported a problem: {error.message}"
    return "Something went wrong on our side while talking to 4calls.ai."
