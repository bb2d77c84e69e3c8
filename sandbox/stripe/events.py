"""Recording Stripe events for every state change and queueing their webhook deliveries."""

from __future__ import annotations

import contextlib
import contextvars
import copy
from typing import Callable, Iterator, Optional

from . import shapes
from .render import public
from .store import Store

# (request id, idempotency key) of the /v1 call being served. Events raised by
# the hosted pages or admin routes carry nulls, as automatic events do on Stripe.
_current_request: contextvars.ContextVar[tuple[Optional[str], Optional[str]]] = contextvars.ContextVar(
    "stripe_sandbox_request", default=(None, None)
)


@contextlib.contextmanager
def api_request(request_id: str, idempotency_key: Optional[str]) -> Iterator[None]:
    token = _current_request.set((request_id, idempotency_key))
    try:
        yield
    finally:
        _current_request.reset(token)


def previous_attributes(before: dict, after: dict) -> dict:
    """Old values of what changed; nested hashes are diffed, lists are returned whole."""
    changed: dict = {}
    for key, old in before.items():
        if key.startswith("_"):
            continue
        new = after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and old.get("object") != "list":
            changed[key] = previous_attributes(old, new)
        else:
            changed[key] = public(old)
    return changed


class EventBus:
    def __init__(self, store: Store, webhook_url: Callable[[], Optional[str]], wake_dispatcher: Callable[[], None]):
        self._store = store
        self._webhook_url = webhook_url
        self._wake_dispatcher = wake_dispatcher

    def emit(self, event_type: str, obj: dict, before: Optional[dict] = None) -> dict:
        request_id, idempotency_key = _current_request.get()
        url = self._webhook_url()
        previous = None if before is None else previous_attributes(before, obj)
        event = shapes.event(
            event_type,
            public(copy.deepcopy(obj)),
            previous,
            request_id,
            idempotency_key,
            pending_webhooks=1 if url else 0,
        )
        with self._store.transaction():
            self._store.save(event)
            if url:
                self._store.add_delivery(event["id"], event_type, url)
        self._wake_dispatcher()
        return event

    def emit_update(self, obj: dict, before: dict, event_type: str) -> Optional[dict]:
        """Emits `*.updated` only when something visible changed, like Stripe."""
        if not previous_attributes(before, obj):
            return None
        return self.emit(event_type, obj, before)
