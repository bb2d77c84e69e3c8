"""HTTP plumbing of the 4calls client: the shared connection pool, retries
with backoff and Retry-After, cursor pages and server-sent events.

`app/fourcalls/client.py` builds the API methods on `Transport`; import from
`app.fourcalls` rather than from here.
"""
from __future__ import annotations

import json as jsonlib
import logging
import os
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator
from urllib.parse import quote

import httpx

from app.fourcalls.errors import FourCallsError, Unavailable, error_for_status

if TYPE_CHECKING:  # the pager is handed its client; client.py imports this module
    from app.fourcalls.client import FourCallsClient

log = logging.getLogger(__name__)

API_PREFIX = "/api/coordinator"
# Methods that are safe to repeat; POST joins them only with an Idempotency-Key.
_REPEATABLE = frozenset({"GET", "HEAD", "PUT", "DELETE"})


# ---------------------------------------------------------------- transport


_shared_http: httpx.Client | None = None
_shared_pid: int | None = None
_shared_lock = threading.Lock()


def shared_http_client() -> httpx.Client:
    """The process-wide connection pool. RQ forks work horses, and a pool must
    not cross a fork, so a new one is made when the process id changes."""
    global _shared_http, _shared_pid
    with _shared_lock:
        if _shared_http is None or _shared_pid != os.getpid():
            _shared_http = httpx.Client(
                limits=httpx.Limits(max_connections=50, max_keepalive_connections=20, keepalive_expiry=30),
                headers={"User-Agent": "AlphaSite-AI-Services/1.0"},
                follow_redirects=False,
            )
            _shared_pid = os.getpid()
        return _shared_http


def close_shared_http_client() -> None:
    global _shared_http
    with _shared_lock:
        if _shared_http is not None:
            _shared_http.close()
            _shared_http = None


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. `max_attempts` counts the first try."""

    max_attempts: int = 5
    backoff_base: float = 0.2
    backoff_max: float = 5.0
    # A Retry-After longer than this is not waited for inside a request: the
    # error is raised (with .retry_after) and the caller (usually a job) retries later.
    max_retry_after: float = 30.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to give up."""
        if retry_after is not None and retry_after > self.max_retry_after:
            return None
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        jittered = rng.uniform(0, ceiling)
        if retry_after is not None:
            # At least what the server asked, plus a little spread so many
            # waiting clients do not all come back in the same instant.
            return retry_after + rng.uniform(0, self.backoff_base)
        return jittered


# For calls made while a person waits for the page (chat, lookups): a couple of
# quick retries, and a long Retry-After is reported rather than waited out.
# Pass it as organization_client(business, retry=INTERACTIVE_RETRY).
INTERACTIVE_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.1, backoff_max=1.0, max_retry_after=2.0)


# ---------------------------------------------------------------- results


@dataclass
class Page:
    data: list[dict]
    next_cursor: str | None
    has_more: bool


class CursorPager:
    """A list endpoint. Iterating walks every page lazily (stop whenever you
    like); `page()` fetches one page for UIs that paginate themselves."""

    def __init__(self, client: FourCallsClient, path: str, params: dict | None = None, page_size: int | None = None):
        self._client = client
        self._path = path
        self._params = {k: v for k, v in (params or {}).items() if v is not None}
        self._page_size = page_size

    def page(self, cursor: str | None = None, limit: int | None = None) -> Page:
        params = dict(self._params)
        if cursor:
            params["cursor"] = cursor
        size = limit or self._page_size
        if size:
            params["limit"] = size
        body = self._client.request("GET", self._path, params=params)
        return Page(data=list(body.get("data") or []), next_cursor=body.get("next_cursor"), has_more=bool(body.get("has_more")))

    def __iter__(self) -> Iterator[dict]:
        cursor = None
        while True:
            page = self.page(cursor)
            yield from page.data
            if not page.has_more or not page.next_cursor:
                return
            cursor = page.next_cursor

    def all(self) -> list[dict]:
        return list(self)

    def first(self) -> dict | None:
        data = self.page(limit=1).data
        return data[0] if data else None


@dataclass
class SSEEvent:
    """One server-sent event: `event` is its name (token, action, done, error),
    `data` the decoded JSON (or the raw text when it is not JSON)."""

    event: str
    data: Any
    id: str | None = None


def parse_sse(lines: Iterable[str]) -> Iterator[SSEEvent]:
    """Turn text/event-stream lines into events (WHATWG rules, minus reconnection)."""
    event, data, event_id = "message", [], None
    for raw in lines:
        line = raw.rstrip("\r")
        if line == "":
            if data:
                yield _sse_event(event, data, event_id)
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            event_id = value
    if data:
        yield _sse_event(event, data, event_id)


def _sse_event(event: str, data: list[str], event_id: str | None) -> SSEEvent:
    """One dispatched event: its data lines joined, parsed as JSON when they are JSON."""
    text = "\n".join(data)
    try:
        payload = jsonlib.loads(text)
    except ValueError:
        payload = text
    return SSEEvent(event=event, data=payload, id=event_id)


# ---------------------------------------------------------------- helpers


def _segment(value: str) -> str:
    """An id placed in a URL path, escaped so it can never change the path."""
    return quote(str(value), safe="")


def _query_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _clean(params: dict | None) -> dict | None:
    if not params:
        return None
    return {k: _query_value(v) for k, v in params.items() if v is not None}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date; backoff alone is fine


def _json_body(response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        return None


# ---------------------------------------------------------------- one credential


@dataclass
class Transport:
    """One credential against the 4calls API: requests with retries, pages, streams."""

    api_key: str = field(repr=False)
    base_url: str
    timeout: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    http: httpx.Client | None = field(default=None, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self):
        self.base_url = self.base_url.rstrip("/")
        if not self.base_url.endswith(API_PREFIX):
            self.base_url += API_PREFIX

    # -- plumbing --------------------------------------------------------

    def _http(self) -> httpx.Client:
        return self.http or shared_http_client()

    def _timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout, connect=min(self.timeout, 5.0))

    def _headers(self, idempotency_key: str | None, accept: str = "application/json") -> dict:
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": accept}
        if idempotency_key:
            headers["Idempotency-Key"] = header_safe(idempotency_key)
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        raw: bool = False,
    ) -> Any:
        """Send one API call (path relative to /api/coordinator) with retries;
        return the decoded JSON body (None for an empty body), or with `raw`
        the (bytes, content type) of a non-JSON answer such as audio."""
        method = method.upper()
        if method == "POST" and not idempotency_key:
            idempotency_key = f"alphasite-{uuid.uuid4()}"
        repeatable = method in _REPEATABLE or (method == "POST" and bool(idempotency_key))
        headers = self._headers(idempotency_key)
        url = self.base_url + path
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = self._http().request(
                    method, url, params=_clean(params), json=json, headers=headers, timeout=self._timeout()
                )
            except httpx.TimeoutException:
                error: FourCallsError = Unavailable("4calls.ai did not answer in time.")
                status = "timeout"
            except httpx.TransportError as exc:
                error = Unavailable(f"Could not reach 4calls.ai ({type(exc).__name__}).")
                status = "connection error"
            else:
                elapsed_ms = (time.monotonic() - started) * 1000
                log.debug("4calls %s %s -> %s in %.0f ms", method, path, response.status_code, elapsed_ms)
                if response.status_code < 400:
                    if raw:
                        return response.content, response.headers.get("Content-Type", "application/octet-stream")
                    return _json_body(response) if response.content else None
                error = error_for_status(response.status_code, _json_body(response), _retry_after(response))
                status = response.status_code
            if not (repeatable and error.retryable and attempt < self.retry.max_attempts):
                if error.retryable:
                    log.warning("4calls %s %s failed (%s) after %d attempt(s)", method, path, status, attempt)
                raise error
            delay = self.retry.delay(attempt, getattr(error, "retry_after", None), self.rng)
            if delay is None:
                raise error
            log.info("4calls %s %s failed (%s); retry %d/%d in %.2fs",
                     method, path, status, attempt, self.retry.max_attempts - 1, delay)
            self.sleep(delay)

    def get(self, path: str, **params) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, json: Any = None, *, idempotency_key: str | None = None) -> Any:
        return self.request("POST", path, json=json if json is not None else {}, idempotency_key=idempotency_key)

    def put(self, path: str, json: Any) -> Any:
        return self.request("PUT", path, json=json)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def pager(self, path: str, page_size: int | None = None, **params) -> CursorPager:
        return CursorPager(self, path, params, page_size)

    def stream_events(self, path: str, json: Any) -> Iterator[SSEEvent]:
        """POST and read a text/event-stream answer. Not retried: the chat
        endpoint does not honour Idempotency-Key, so a repeat could answer twice.
        Errors before the stream starts raise typed errors; an `error` event
        inside the stream is yielded like any other event."""
        url = self.base_url + path
        try:
            with self._http().stream(
                "POST", url, json=json, headers=self._headers(None, accept="text/event-stream"),
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 5.0), read=max(self.timeout, 30.0)),
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_for_status(response.status_code, _json_body(response), _retry_after(response))
                yield from parse_sse(response.iter_lines())
        except httpx.TimeoutException as exc:
            raise Unavailable("4calls.ai did not answer in time.") from exc
        except httpx.TransportError as exc:
            raise Unavailable(f"Could not reach 4calls.ai ({type(exc).__name__}).") from exc


def header_safe(value: str) -> str:
    """An HTTP header value as printable ASCII: keys built from user input (a
    non-ASCII or control character) are replaced by their SHA-256, which keeps
    them stable, so retries still share one key."""
    if value.isascii() and value.isprintable() and len(value) <= 200:
        return value
    import hashlib

    return "sha256-" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
