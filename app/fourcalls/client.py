"""The 4calls.ai Coordinator API client (docs/fourcalls-openapi.yaml), on httpx.

Use it through one of two constructors:

    from app.fourcalls import platform_client
    from app.assistant.connection import organization_client

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

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterator

from app.fourcalls.errors import NotFound
from app.fourcalls.transport import (  # noqa: F401  (re-exported: the client's public names)
    API_PREFIX,
    INTERACTIVE_RETRY,
    CursorPager,
    Page,
    RetryPolicy,
    SSEEvent,
    Transport,
    _segment,
    close_shared_http_client,
    parse_sse,
    shared_http_client,
)


@dataclass
class FourCallsClient(Transport):
    """The 4calls API methods, grouped as the contract groups them."""

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
        """PUT: omitted fields stay; `status` may be "active" or "suspended". `staff`
        and `closures` (advanced scheduling) are replaced as a whole when given."""
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
        duration_minutes?, slot_interval_minutes?, staff_id? (one staff member's times).
        Answers {"slots": [...], ...}; with staff, each slot lists its free `staff_ids`.
        Minimum notice, horizon, closures, buffers and daily caps are applied by 4calls."""
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
        """Book {"starts_at", "customer": {...}, "staff_id"?, ...}; without staff_id the
        first free staff member taking the type is booked (the answer's `staff_id`).
        Overlap (buffers included) or a full daily cap (`reason` daily_cap_reached) ->
        Conflict; past, outside hours, too_soon, beyond_horizon, closed or
        staff_not_serving -> ValidationError (`details.reason`)."""
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

    # -- receptionist setup (issue 13) ---------------------------------------------

    def list_voices(self) -> list[dict]:
        """The voice catalogue: [{"id", "name", "gender", "accent", "languages", "description", "sample_url"}]."""
        return self.get("/voices")["data"]

    def get_voice_sample(self, voice_id: str) -> tuple[bytes, str]:
        """(audio bytes, content type) of the voice's short sample."""
        return self.request("GET", f"/voices/{_segment(voice_id)}/sample", raw=True)

    def get_call_handling(self, organization_id: str) -> dict:
        return self.get(f"/organizations/{_segment(organization_id)}/call-handling")

    def update_call_handling(self, organization_id: str, rules: dict) -> dict:
        """Replace the rules whole; a refusal (ValidationError) leaves the previous rules in force."""
        return self.put(f"/organizations/{_segment(organization_id)}/call-handling", rules)

    def place_test_call(self, organization_id: str, fields: dict, *, idempotency_key: str | None = None) -> dict:
        """{"caller_says", "at"?, "caller_name"?, "caller_number"?}: the finished Call, following the rules."""
        return self.post(f"/organizations/{_segment(organization_id)}/test-calls", fields, idempotency_key=idempotency_key)

    # -- lead analysis (issue 15) ------------------------------------------------

    def analyze_lead(self, organization_id: str, *, transcript: list | None = None, text: str | None = None) -> dict:
        """Qualify a lead from what the customer said: {"score" 0-100, "reason", "signals", "model"}.
        Stores nothing on 4calls' side, so a plain retry is safe."""
        body = {k: v for k, v in {"transcript": transcript, "text": text}.items() if v}
        return self.post(f"/organizations/{_segment(organization_id)}/lead-analysis", body)
    # -- AI customer insights (issue 18) ----------------------------------------

    def list_contact_insights(self, organization_id: str, *, updated_since: datetime | None = None,
                              page_size: int | None = None) -> CursorPager:
        """Each contact's AI profile; re-read in full daily (time alone can change one)."""
        return self.pager(f"/organizations/{_segment(organization_id)}/insights/contacts", page_size,
                          updated_since=updated_since)

    def get_contact_insight(self, organization_id: str, contact_id: str) -> dict:
        return self.get(f"/organizations/{_segment(organization_id)}/contacts/{_segment(contact_id)}/insights")

    # -- per-target campaign dials (issue 14) ------------------------------------

    def create_dial(self, campaign_id: str, fields: dict) -> dict:
        """Dial one target of a per_target campaign: {"dial_key", "phone", "name"?, "contact_id"?,
        "coordinator_id"?, "opening"?, "goal"?, "voicemail"?}. The dial_key doubles as the
        Idempotency-Key, and 4calls keeps it forever: re-sending it never places a second call."""
        return self.post(f"/campaigns/{_segment(campaign_id)}/dials", fields, idempotency_key=fields["dial_key"])

    def find_dial(self, campaign_id: str, dial_key: str) -> dict | None:
        """The dial placed under `dial_key`, or None when 4calls never received it."""
        for dial in self.pager(f"/campaigns/{_segment(campaign_id)}/dials", 5, dial_key=dial_key):
            if dial.get("dial_key") == dial_key:
                return dial
        return None

    def find_dials(self, campaign_id: str, dial_keys: list[str]) -> dict[str, dict]:
        """The dials placed under any of `dial_keys` (up to 500), by key; absent keys were never received."""
        found = {}
        for dial in self.pager(f"/campaigns/{_segment(campaign_id)}/dials", 500, dial_key=list(dial_keys)):
            found[dial["dial_key"]] = dial
        return found

    def get_dial(self, dial_id: str) -> dict:
        return self.get(f"/dials/{_segment(dial_id)}")

    # -- coordinator knowledge (issue 19) -----------------------------------------

    def create_knowledge_source(self, organization_id: str, fields: dict, *, idempotency_key: str | None = None) -> dict:
        """{"external_id", "title", "kind", "chunks": [{"text", "question"?}], "coordinator_id"?, "content_hash"?}.
        An external_id already used raises Conflict (`.existing_id`)."""
        return self.post(f"/organizations/{_segment(organization_id)}/knowledge-sources", fields,
                         idempotency_key=idempotency_key)

    def list_knowledge_sources(self, organization_id: str, *, external_id: str | None = None,
                               coordinator_id: str | None = None, page_size: int | None = None) -> CursorPager:
        """The sources without their chunks."""
        return self.pager(f"/organizations/{_segment(organization_id)}/knowledge-sources", page_size,
                          external_id=external_id, coordinator_id=coordinator_id)

    def find_knowledge_source(self, organization_id: str, external_id: str) -> dict | None:
        for source in self.list_knowledge_sources(organization_id, external_id=external_id, page_size=5):
            if source.get("external_id") == external_id:
                return source
        return None

    def get_knowledge_source(self, knowledge_source_id: str) -> dict:
        return self.get(f"/knowledge-sources/{_segment(knowledge_source_id)}")

    def delete_knowledge_source(self, knowledge_source_id: str) -> dict:
        """A source already gone raises NotFound."""
        return self.delete(f"/knowledge-sources/{_segment(knowledge_source_id)}")

    def test_knowledge(self, coordinator_id: str, question: str) -> Iterator[SSEEvent]:
        """Ask as a customer would; yields SSEEvent(token|sources|done|error). Records nothing."""
        return self.stream_events(f"/coordinators/{_segment(coordinator_id)}/knowledge-test", {"question": question})


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
