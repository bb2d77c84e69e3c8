"""The 4calls.ai Coordinator API client (docs/fourcalls-openapi.yaml), on httpx.

Use it through one of two constructors:

    from app.fourcalls import platform_client, organization_client

    platform_client()                 # the platform key: organizations, key rotation
    organization_client(business)     # that business's own key: its calls, contacts, ...

Each is a `FourCallsClient` bound to one credential. All clients in a process
share one pooled `httpx.Client` (created lazily, re-created after a fork), so
building a client per request costs nothing.

Behaviour every method shares:

* JSON in, JSON (plain dicts and lists, exactly as the contract shapes them) out.
* Failures raise the typed errors of `app.fourcalls.errors`.
* GET, PUT and DELETE are retried, and so is every POST that carries an
  Idempotency-Key. Retries happen on 5xx, 429, timeouts and connection errors,
  with exponential backoff and full jitter, waiting at least the server's
  Retry-After. A POST without an explicit `idempotency_key` gets a fresh random
  key, which makes the client's own retries safe; pass a key derived from your
  own ids when a retry may come from a *different* process (a re-run job).
* List methods return a `CursorPager`: iterate it for every item across pages
  (lazily), or call `.page(cursor)` for one page (`Page.data`, `.next_cursor`).
* Keys are never logged, never put in exception messages, never in `repr`.
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
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import quote

import httpx

from app.fourcalls.errors import (
    FourCallsError,
    NotFound,
    Unavailable,
    error_for_status,
)

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

    def __init__(self, client: "FourCallsClient", path: str, params: dict | None = None, page_size: int | None = None):
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
                text = "\n".join(data)
                try:
                    payload = jsonlib.loads(text)
                except ValueError:
                    payload = text
                yield SSEEvent(event=event, data=payload, id=event_id)
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
        text = "\n".join(data)
        try:
            payload = jsonlib.loads(text)
        except ValueError:
            payload = text
        yield SSEEvent(event=event, data=payload, id=event_id)


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


# ---------------------------------------------------------------- the client


@dataclass
class FourCallsClient:
    """One credential against the 4calls API. See the module docstring."""

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
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send one API call (path relative to /api/coordinator) with retries;
        return the decoded JSON body (None for an empty body)."""
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

    # -- organizations (platform key) -----------------------------------

    def create_organization(self, fields: dict, *, idempotency_key: str | None = None) -> dict:
        """POST /organizations. The answer includes `api_key` (only here): store it encrypted."""
        return self.post("/organizations", fields, idempotency_key=idempotency_key)

    def list_organizations(self, *, external_id: str | None = None, status: str | None = None,
                           updated_since: datetime | None = None, page_size: int | None = None) -> CursorPager:
        return self.pager("/organizations", page_size, external_id=external_id, status=status, updated_since=updated_since)

    def find_organization_by_external_id(self, external_id: str) -> dict | None:
        for organization in self.list_organizations(external_id=external_id, page_size=5):
            if organization.get("external_id") == external_id:
                return organization
        return None

    def get_organization(self, organization_id: str) -> dict:
        return self.get(f"/organizations/{_segment(organization_id)}")

    def update_organization(self, organization_id: str, fields: dict) -> dict:
        """PUT: omitted fields stay; `status` may be "active" or "suspended"."""
        return self.put(f"/organizations/{_segment(organization_id)}", fields)

    def rotate_organization_key(self, organization_id: str, *, idempotency_key: str | None = None) -> dict:
        """Issue a new organization key (revoking the old one): {"api_key", "api_key_prefix", ...}."""
        return self.post(f"/organizations/{_segment(organization_id)}/api-keys", {}, idempotency_key=idempotency_key)

    def get_usage(self, organization_id: str, *, period_start: datetime | date | None = None,
                  period_end: datetime | date | None = None) -> dict:
        """Usage in [period_start, period_end); the current UTC month by default."""
        return self.get(f"/organizations/{_segment(organization_id)}/usage",
                        period_start=period_start, period_end=period_end)

    # -- coordinators ------------------------------------------------------

    def create_coordinator(self, organization_id: str, fields: dict, *, idempotency_key: str | None = None) -> dict:
        return self.post(f"/organizations/{_segment(organization_id)}/coordinators", fields, idempotency_key=idempotency_key)

    def list_coordinators(self, organization_id: str, *, status: str | None = None,
                          updated_since: datetime | None = None, page_size: int | None = None) -> CursorPager:
        return self.pager(f"/organizations/{_segment(organization_id)}/coordinators", page_size,
                          status=status, updated_since=updated_since)

    def get_coordinator(self, coordinator_id: str) -> dict:
        return self.get(f"/coordinators/{_segment(coordinator_id)}")

    def update_coordinator(self, coordinator_id: str, fields: dict) -> dict:
        """PUT name/role/greeting/persona/script/voice. A retired coordinator answers Conflict."""
        return self.put(f"/coordinators/{_segment(coordinator_id)}", fields)

    def retire_coordinator(self, coordinator_id: str) -> dict:
        """DELETE: the coordinator stops taking calls and chats. Repeating it is harmless."""
        return self.delete(f"/coordinators/{_segment(coordinator_id)}")

    # -- contacts ----------------------------------------------------------

    def list_contacts(self, organization_id: str, *, updated_since: datetime | None = None, phone: str | None = None,
                      email: str | None = None, tag: str | None = None, include_deleted: bool | None = None,
                      page_size: int | None = None) -> CursorPager:
        """Ordered by (updated_at, id); `updated_since` is inclusive, de-duplicate by id.
        `include_deleted=True` also returns tombstones (`deleted: true`)."""
        return self.pager(f"/organizations/{_segment(organization_id)}/contacts", page_size,
                          updated_since=updated_since, phone=phone, email=email, tag=tag,
                          include_deleted=include_deleted)

    def create_contact(self, organization_id: str, fields: dict, *, idempotency_key: str | None = None) -> dict:
        """A phone already used in the organization raises Conflict (`.existing_id`)."""
        return self.post(f"/organizations/{_segment(organization_id)}/contacts", fields, idempotency_key=idempotency_key)

    def get_contact(self, organization_id: str, contact_id: str) -> dict:
        return self.get(f"/organizations/{_segment(organization_id)}/contacts/{_segment(contact_id)}")

    def update_contact(self, organization_id: str, contact_id: str, fields: dict) -> dict:
        """Omitted fields stay; `tags` and `custom_fields` are replaced whole."""
        return self.put(f"/organizations/{_segment(organization_id)}/contacts/{_segment(contact_id)}", fields)

    def delete_contact(self, organization_id: str, contact_id: str) -> dict:
        return self.delete(f"/organizations/{_segment(organization_id)}/contacts/{_segment(contact_id)}")

    # -- calls -------------------------------------------------------------

    def list_calls(self, organization_id: str, *, updated_since: datetime | None = None,
                   from_: datetime | None = None, to: datetime | None = None, direction: str | None = None,
                   status: str | None = None, contact_id: str | None = None, campaign_id: str | None = None,
                   page_size: int | None = None) -> CursorPager:
        """`from_`/`to` bound started_at as [from, to)."""
        return self.pager(f"/organizations/{_segment(organization_id)}/calls", page_size,
                          updated_since=updated_since, direction=direction, status=status,
                          contact_id=contact_id, campaign_id=campaign_id, **{"from": from_, "to": to})

    def get_call(self, organization_id: str, call_id: str) -> dict:
        return self.get(f"/organizations/{_segment(organization_id)}/calls/{_segment(call_id)}")

    def get_call_stats(self, organization_id: str, *, from_: datetime | None = None, to: datetime | None = None) -> dict:
        """Totals for started_at in [from, to); the last 30 days by default."""
        return self.request("GET", f"/organizations/{_segment(organization_id)}/calls/stats",
                            params={"from": from_, "to": to})

    # -- appointments --------------------------------------------------------

    def list_appointments(self, organization_id: str, *, updated_since: datetime | None = None,
                          from_: datetime | None = None, to: datetime | None = None, status: str | None = None,
                          contact_id: str | None = None, page_size: int | None = None) -> CursorPager:
        """`from_`/`to` bound starts_at as [from, to)."""
        return self.pager(f"/organizations/{_segment(organization_id)}/appointments", page_size,
                          updated_since=updated_since, status=status, contact_id=contact_id,
                          **{"from": from_, "to": to})

    def create_appointment(self, organization_id: str, fields: dict, *, idempotency_key: str | None = None) -> dict:
        """Staff booking; an overlap raises Conflict (`details.conflicting_appointment_id`)."""
        return self.post(f"/organizations/{_segment(organization_id)}/appointments", fields, idempotency_key=idempotency_key)

    def get_appointment(self, organization_id: str, appointment_id: str) -> dict:
        return self.get(f"/organizations/{_segment(organization_id)}/appointments/{_segment(appointment_id)}")

    def update_appointment(self, organization_id: str, appointment_id: str, fields: dict) -> dict:
        """Reschedule, cancel (`status: cancelled`), complete or edit."""
        return self.put(f"/organizations/{_segment(organization_id)}/appointments/{_segment(appointment_id)}", fields)

    def list_todays_appointments(self, organization_id: str) -> dict:
        """{"date", "timezone", "data": [appointments starting today, local time]}."""
        return self.get(f"/organizations/{_segment(organization_id)}/appointments/today")

    # -- messages and leads --------------------------------------------------

    def send_message(self, organization_id: str, fields: dict, *, idempotency_key: str | None = None) -> dict:
        """Queue an SMS or email: {"channel", "to", "body", "subject"?, "appointment_id"?, "contact_id"?}."""
        return self.post(f"/organizations/{_segment(organization_id)}/messages", fields, idempotency_key=idempotency_key)

    def list_messages(self, organization_id: str, *, updated_since: datetime | None = None,
                      appointment_id: str | None = None, page_size: int | None = None) -> CursorPager:
        return self.pager(f"/organizations/{_segment(organization_id)}/messages", page_size,
                          updated_since=updated_since, appointment_id=appointment_id)

    def get_message(self, organization_id: str, message_id: str) -> dict:
        return self.get(f"/organizations/{_segment(organization_id)}/messages/{_segment(message_id)}")

    def list_leads(self, organization_id: str, *, updated_since: datetime | None = None,
                   page_size: int | None = None) -> CursorPager:
        return self.pager(f"/organizations/{_segment(organization_id)}/leads", page_size, updated_since=updated_since)

    def get_lead(self, organization_id: str, lead_id: str) -> dict:
        return self.get(f"/organizations/{_segment(organization_id)}/leads/{_segment(lead_id)}")

    # -- real-time operations ------------------------------------------------
    # With an organization key `organization_id` may be omitted (the key implies it).

    def check_availability(self, params: dict, *, organization_id: str | None = None) -> dict:
        """params: date_from, date_to (local dates, inclusive), appointment_type?,
        duration_minutes?, slot_interval_minutes?. Answers {"slots": [...], ...}."""
        return self.post("/real-time/availability", _with_org(params, organization_id))

    def lookup_customer(self, phone: str, *, organization_id: str | None = None) -> dict | None:
        """The contact with recent calls, appointments and leads; None for an unknown number."""
        try:
            return self.post("/real-time/customer-lookup", _with_org({"phone": phone}, organization_id))
        except NotFound as exc:
            if exc.error_type in (None, "not_found"):
                return None
            raise

    def create_booking(self, data: dict, *, organization_id: str | None = None,
                       idempotency_key: str | None = None) -> dict:
        """Book {"starts_at", "customer": {...}, ...}. Overlap -> Conflict; past or
        outside business hours -> ValidationError (`details.reason`)."""
        return self.post("/real-time/booking", _with_org(data, organization_id), idempotency_key=idempotency_key)

    def create_lead(self, data: dict, *, organization_id: str | None = None,
                    idempotency_key: str | None = None) -> dict:
        """Capture a lead: answers {"lead", "contact", "contact_created"}."""
        return self.post("/real-time/lead", _with_org(data, organization_id), idempotency_key=idempotency_key)

    # -- chat ------------------------------------------------------------------

    def chat(self, coordinator_id: str, *, message: str | None = None, session_id: str | None = None,
             visitor: dict | None = None, action: dict | None = None) -> Iterator[SSEEvent]:
        """Send a visitor message; yields SSEEvent(token|action|done|error) as they arrive.
        Join the `token` texts for the reply; `done` carries message_id and session_id
        (pass session_id back to continue the conversation)."""
        body = {k: v for k, v in {"message": message, "session_id": session_id, "visitor": visitor,
                                  "action": action}.items() if v is not None}
        return self.stream_events(f"/coordinators/{_segment(coordinator_id)}/chat", body)

    def get_chat_session(self, coordinator_id: str, session_id: str) -> dict:
        return self.get(f"/coordinators/{_segment(coordinator_id)}/chat-sessions/{_segment(session_id)}")

    # -- campaigns ---------------------------------------------------------------

    def create_campaign(self, organization_id: str, fields: dict, *, idempotency_key: str | None = None) -> dict:
        """{"name", "coordinator_id", "contact_ids": [...], "script"?}; created in draft."""
        return self.post(f"/organizations/{_segment(organization_id)}/campaigns", fields, idempotency_key=idempotency_key)

    def list_campaigns(self, organization_id: str, *, status: str | None = None,
                       updated_since: datetime | None = None, page_size: int | None = None) -> CursorPager:
        return self.pager(f"/organizations/{_segment(organization_id)}/campaigns", page_size,
                          status=status, updated_since=updated_since)

    def get_campaign(self, campaign_id: str) -> dict:
        return self.get(f"/campaigns/{_segment(campaign_id)}")

    def start_campaign(self, campaign_id: str, *, idempotency_key: str | None = None) -> dict:
        return self.post(f"/campaigns/{_segment(campaign_id)}/start", {}, idempotency_key=idempotency_key)

    def pause_campaign(self, campaign_id: str, *, idempotency_key: str | None = None) -> dict:
        return self.post(f"/campaigns/{_segment(campaign_id)}/pause", {}, idempotency_key=idempotency_key)

    def list_campaign_results(self, campaign_id: str, *, page_size: int | None = None) -> CursorPager:
        """One row per targeted contact, in dialing order."""
        return self.pager(f"/campaigns/{_segment(campaign_id)}/results", page_size)


def _with_org(payload: dict, organization_id: str | None) -> dict:
    body = dict(payload or {})
    if organization_id and "organization_id" not in body:
        body["organization_id"] = organization_id
    return body


# ---------------------------------------------------------------- constructors


def retry_policy_from_config(config) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=int(config.get("FOURCALLS_MAX_ATTEMPTS", 5)),
        backoff_base=float(config.get("FOURCALLS_BACKOFF_BASE_SECONDS", 0.2)),
        backoff_max=float(config.get("FOURCALLS_BACKOFF_MAX_SECONDS", 5.0)),
        max_retry_after=float(config.get("FOURCALLS_MAX_RETRY_AFTER_SECONDS", 30.0)),
    )


def client_with_key(api_key: str, config=None, **overrides) -> FourCallsClient:
    """A client for `api_key` configured from the app (FOURCALLS_API_URL,
    FOURCALLS_TIMEOUT_SECONDS, retry settings). `overrides` are passed to
    FourCallsClient (tests inject `http`, `sleep`, `retry`)."""
    if config is None:
        from flask import current_app

        config = current_app.config
    options = dict(
        api_key=api_key,
        base_url=config["FOURCALLS_API_URL"],
        timeout=float(config.get("FOURCALLS_TIMEOUT_SECONDS", 10.0)),
        retry=retry_policy_from_config(config),
    )
    options.update(overrides)
    return FourCallsClient(**options)


def platform_client(config=None, **overrides) -> FourCallsClient:
    """The client holding the platform key (FOURCALLS_API_KEY): creates and
    manages organizations. Prefer `organization_client(business)` for a
    business's own data, so a mistake can never reach another business."""
    if config is None:
        from flask import current_app

        config = current_app.config
    return client_with_key(config["FOURCALLS_API_KEY"], config, **overrides)
