"""The 4calls.ai API client, and nothing else: it imports no models.

    from app.fourcalls import FourCallsClient, FourCallsError, platform_client

Methods, retries and errors: `app/fourcalls/client.py`, `transport.py` and
`errors.py`. The client for one business's organization (opened with its
stored key) is `app.assistant.connection.organization_client`; the assistant's
lifecycle (provisioning, keys, the organization payload, scripting and the
push of its setup) is in `app/assistant/`.
"""
from app.fourcalls.client import (
    INTERACTIVE_RETRY,
    CursorPager,
    FourCallsClient,
    Page,
    RetryPolicy,
    SSEEvent,
    client_with_key,
    platform_client,
)
from app.fourcalls.errors import (
    Conflict,
    Forbidden,
    FourCallsError,
    NotFound,
    NotProvisioned,
    RateLimited,
    Unauthorized,
    Unavailable,
    ValidationError,
    plain_words,
)

__all__ = [
    "INTERACTIVE_RETRY",
    "Conflict",
    "CursorPager",
    "Forbidden",
    "FourCallsClient",
    "FourCallsError",
    "NotFound",
    "NotProvisioned",
    "Page",
    "RateLimited",
    "RetryPolicy",
    "SSEEvent",
    "Unauthorized",
    "Unavailable",
    "ValidationError",
    "client_with_key",
    "plain_words",
    "platform_client",
]
