"""The 4calls client against an httpx MockTransport: retries, Retry-After,
typed errors, cursors, idempotency keys, SSE, and no keys in logs."""
from __future__ import annotations

import json
import logging
import random

import httpx
import pytest

from app.fourcalls import transport as transport_module
from app.fourcalls.client import FourCallsClient, RetryPolicy, parse_sse, shared_http_client
from app.fourcalls.errors import (
    Conflict,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
    ValidationError,
    plain_words,
)

KEY = "fc_org_secretsecretsecret"


def error_body(error_type: str, message: str = "nope", **details) -> dict:
    return {"error": {"type": error_type, "message": message, "details": details, "request_id": "req_1"}}


class Recorder:
    """A MockTransport handler answering from a script of responses."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


def make_client(handler, **options) -> tuple[FourCallsClient, list[float]]:
    sleeps: list[float] = []
    client = FourCallsClient(
        api_key=KEY,
        base_url="http://fourcalls.test",
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        sleep=sleeps.append,
        rng=random.Random(7),
        retry=options.pop("retry", RetryPolicy(max_attempts=4, backoff_base=0.1, backoff_max=1.0)),
        **options,
    )
    return client, sleeps


def test_get_is_retried_on_5xx_and_succeeds():
    handler = Recorder(
        httpx.Response(503, json=error_body("unavailable")),
        httpx.Response(500, json=error_body("internal")),
        httpx.Response(200, json={"id": "org_1", "name": "Bella"}),
    )
    client, sleeps = make_client(handler)
    assert client.get_organization("org_1") == {"id": "org_1", "name": "Bella"}
    assert len(handler.requests) == 3
    assert handler.requests[0].url == "http://fourcalls.test/api/coordinator/organizations/org_1"
    assert handler.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    # Full jitter under an exponential ceiling: 0.1 then 0.2.
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.1 and 0 <= sleeps[1] <= 0.2


def test_retry_after_is_honoured_on_429():
    handler = Recorder(
        httpx.Response(429, json=error_body("rate_limited", retry_after=2), headers={"Retry-After": "2"}),
        httpx.Response(200, json={"data": [], "next_cursor": None, "has_more": False}),
    )
    client, sleeps = make_client(handler)
    assert client.list_calls("org_1").all() == []
    assert len(sleeps) == 1 and 2.0 <= sleeps[0] <= 2.1


def test_retry_after_longer_than_allowed_raises_rate_limited_at_once():
    handler = Recorder(httpx.Response(429, json=error_body("rate_limited"), headers={"Retry-After": "120"}))
    client, sleeps = make_client(handler)
    with pytest.raises(RateLimited) as error:
        client.get_organization("org_1")
    assert error.value.retry_after == 120
    assert sleeps == [] and len(handler.requests) == 1


def test_gives_up_after_max_attempts_with_unavailable():
    handler = Recorder(httpx.Response(502, json=error_body("unavailable", "bad gateway")))
    client, sleeps = make_client(handler)
    with pytest.raises(Unavailable) as error:
        client.update_coordinator("coord_1", {"name": "Ava"})
    assert error.value.status == 502 and error.value.retryable
    assert len(handler.requests) == 4 and len(sleeps) == 3


def test_connection_errors_and_timeouts_are_retried():
    handler = Recorder(
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, json={"id": "coord_1", "status": "retired"}),
    )
    client, _ = make_client(handler)
    assert client.retire_coordinator("coord_1")["status"] == "retired"
    assert [r.method for r in handler.requests] == ["DELETE"] * 3


def test_connection_failure_that_persists_raises_unavailable():
    client, _ = make_client(Recorder(httpx.ConnectError("refused")))
    with pytest.raises(Unavailable) as error:
        client.get_call_stats("org_1")
    assert error.value.status is None
    assert "4calls" in plain_words(error.value)


def test_post_gets_an_idempotency_key_reused_across_its_retries():
    handler = Recorder(
        httpx.Response(503, json=error_body("unavailable")),
        httpx.Response(201, json={"id": "con_1"}),
    )
    client, _ = make_client(handler)
    client.create_contact("org_1", {"name": "Ann"})
    keys = [r.headers.get("Idempotency-Key") for r in handler.requests]
    assert keys[0] and keys[0] == keys[1]


def test_explicit_idempotency_key_is_sent_unchanged():
    handler = Recorder(httpx.ConnectError("reset"), httpx.Response(201, json={"id": "org_1", "api_key": "fc_org_x"}))
    client, _ = make_client(handler)
    client.create_organization({"name": "Bella"}, idempotency_key="alphasite:b1:organization:create")
    assert {r.headers["Idempotency-Key"] for r in handler.requests} == {"alphasite:b1:organization:create"}
    assert json.loads(handler.requests[0].content) == {"name": "Bella"}


def test_two_calls_get_different_idempotency_keys():
    handler = Recorder(httpx.Response(201, json={"id": "x"}))
    client, _ = make_client(handler)
    client.create_lead({"phone": "+15125550142"})
    client.create_lead({"phone": "+15125550142"})
    first, second = (r.headers["Idempotency-Key"] for r in handler.requests)
    assert first != second


@pytest.mark.parametrize(
    "status, body, error_class",
    [
        (401, error_body("unauthorized"), Unauthorized),
        (404, error_body("not_found"), NotFound),
        (409, error_body("conflict", reason="idempotency_key_reused"), Conflict),
        (422, error_body("validation_error", fields={"phone": "must be E.164"}), ValidationError),
    ],
)
def test_client_errors_are_typed_and_not_retried(status, body, error_class):
    handler = Recorder(httpx.Response(status, json=body))
    client, sleeps = make_client(handler)
    with pytest.raises(error_class) as error:
        client.update_organization("org_1", {"phone": "555"})
    assert len(handler.requests) == 1 and sleeps == []
    assert error.value.status == status and error.value.request_id == "req_1"


def test_validation_error_carries_field_details_in_plain_words():
    body = error_body("validation_error", "Invalid request.", fields={"phone": "must be E.164", "name": "required"})
    client, _ = make_client(Recorder(httpx.Response(422, json=body)))
    with pytest.raises(ValidationError) as error:
        client.create_organization({"name": ""})
    assert error.value.fields == {"phone": "must be E.164", "name": "required"}
    assert "phone: must be E.164" in plain_words(error.value)


def test_conflict_exposes_reason_and_existing_id():
    body = error_body("conflict", "duplicate", existing_id="org_9")
    client, _ = make_client(Recorder(httpx.Response(409, json=body)))
    with pytest.raises(Conflict) as error:
        client.create_organization({"name": "Bella", "external_id": "b1"})
    assert error.value.existing_id == "org_9" and not error.value.retryable


def test_idempotency_key_in_progress_is_retried():
    handler = Recorder(
        httpx.Response(409, json=error_body("conflict", reason="idempotency_key_in_progress")),
        httpx.Response(201, json={"id": "coord_1"}),
    )
    client, _ = make_client(handler)
    assert client.create_coordinator("org_1", {"name": "Ava", "role": "receptionist"}, idempotency_key="k1")["id"] == "coord_1"
    assert len(handler.requests) == 2


def test_cursor_iteration_walks_every_page_with_the_same_filters():
    pages = {
        None: {"data": [{"id": "c1"}, {"id": "c2"}], "next_cursor": "p2", "has_more": True},
        "p2": {"data": [{"id": "c3"}], "next_cursor": "p3", "has_more": True},
        "p3": {"data": [{"id": "c4"}], "next_cursor": None, "has_more": False},
    }
    handler = Recorder(lambda request: httpx.Response(200, json=pages[request.url.params.get("cursor")]))
    client, _ = make_client(handler)
    contacts = client.list_contacts("org_1", tag="vip", include_deleted=True, page_size=2)
    assert [c["id"] for c in contacts] == ["c1", "c2", "c3", "c4"]
    for request in handler.requests:
        assert request.url.params["tag"] == "vip"
        assert request.url.params["include_deleted"] == "true"
        assert request.url.params["limit"] == "2"
    assert [r.url.params.get("cursor") for r in handler.requests] == [None, "p2", "p3"]


def test_single_page_for_uis_that_paginate():
    handler = Recorder(httpx.Response(200, json={"data": [{"id": "call_1"}], "next_cursor": "n", "has_more": True}))
    client, _ = make_client(handler)
    page = client.list_calls("org_1", direction="inbound").page(cursor="abc", limit=10)
    assert page.data == [{"id": "call_1"}] and page.next_cursor == "n" and page.has_more
    assert handler.requests[0].url.params["cursor"] == "abc"
    assert handler.requests[0].url.params["direction"] == "inbound"


def test_iteration_stops_early_without_fetching_more_pages():
    handler = Recorder(httpx.Response(200, json={"data": [{"id": "a"}, {"id": "b"}], "next_cursor": "x", "has_more": True}))
    client, _ = make_client(handler)
    for _item in client.list_leads("org_1"):
        break
    assert len(handler.requests) == 1


def test_ids_cannot_change_the_path():
    handler = Recorder(httpx.Response(200, json={"id": "x"}))
    client, _ = make_client(handler)
    client.get_contact("org_1", "../../organizations")
    assert handler.requests[0].url.raw_path == b"/api/coordinator/organizations/org_1/contacts/..%2F..%2Forganizations"


def test_lookup_of_an_unknown_number_is_none():
    client, _ = make_client(Recorder(httpx.Response(404, json=error_body("not_found"))))
    assert client.lookup_customer("+15125550100") is None


def test_chat_streams_server_sent_events():
    stream = (
        'event: token\ndata: {"text": "We\'re "}\n\n'
        'event: token\ndata: {"text": "open."}\n\n'
        'event: action\ndata: {"type": "offer_slots", "slots": []}\n\n'
        ': keep-alive\n\n'
        'event: done\ndata: {"message_id": "cmsg_1", "session_id": "chs_1"}\n\n'
    )
    handler = Recorder(httpx.Response(200, text=stream, headers={"Content-Type": "text/event-stream"}))
    client, _ = make_client(handler)
    events = list(client.chat("coord_1", message="Are you open?"))
    assert [e.event for e in events] == ["token", "token", "action", "done"]
    assert "".join(e.data["text"] for e in events if e.event == "token") == "We're open."
    assert events[-1].data["session_id"] == "chs_1"
    assert handler.requests[0].headers["Accept"] == "text/event-stream"
    assert "Idempotency-Key" not in handler.requests[0].headers


def test_chat_is_not_retried_and_errors_are_typed():
    handler = Recorder(httpx.Response(503, json=error_body("unavailable")))
    client, _ = make_client(handler)
    with pytest.raises(Unavailable):
        list(client.chat("coord_1", message="hi"))
    assert len(handler.requests) == 1


def test_parse_sse_handles_multiline_data_and_plain_text():
    events = list(parse_sse(["data: line one", "data: line two", "", "event: note", "data: {\"a\": 1}", ""]))
    assert events[0].event == "message" and events[0].data == "line one\nline two"
    assert events[1].event == "note" and events[1].data == {"a": 1}


def test_keys_never_appear_in_logs_or_repr(caplog):
    caplog.set_level(logging.DEBUG)
    handler = Recorder(
        httpx.Response(503, json=error_body("unavailable")),
        httpx.Response(201, json={"id": "org_1", "api_key": "fc_org_brandnewkey"}),
    )
    client, _ = make_client(handler)
    client.create_organization({"name": "Bella"})
    assert KEY not in repr(client)
    assert KEY not in caplog.text and "fc_org_brandnewkey" not in caplog.text
    assert "retry" in caplog.text  # the retry itself was logged


def test_backoff_grows_exponentially_up_to_the_cap():
    policy = RetryPolicy(max_attempts=10, backoff_base=0.5, backoff_max=3.0)
    rng = random.Random(1)
    ceilings = [min(3.0, 0.5 * 2 ** (n - 1)) for n in range(1, 8)]
    for attempt, ceiling in enumerate(ceilings, start=1):
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        assert 0 <= min(delays) and max(delays) <= ceiling
        assert max(delays) > ceiling * 0.8  # jitter spreads over the whole range


def test_one_pool_per_process(monkeypatch):
    first = shared_http_client()
    assert shared_http_client() is first
    monkeypatch.setattr(transport_module.os, "getpid", lambda: -1)
    after_fork = shared_http_client()
    assert after_fork is not first
    after_fork.close()


def test_organization_client_uses_the_business_key(app, factories):
    from app.extensions import db
    from app.fourcalls import INTERACTIVE_RETRY, NotProvisioned
    from app.assistant.connection import organization_client
    from app.assistant.keys import store_organization_key
    from app.models import FourCallsIntegration

    business = factories.business(owner=factories.user())
    with pytest.raises(NotProvisioned):
        organization_client(business)
    integration = FourCallsIntegration(business_id=business.id, service_package="ai_receptionist", organization_id="org_7")
    store_organization_key(integration, KEY)
    db.session.add(integration)
    db.session.commit()
    db.session.refresh(business)

    handler = Recorder(httpx.Response(200, json={"date": "2026-11-24", "timezone": "UTC", "data": []}))
    client = organization_client(business, retry=INTERACTIVE_RETRY,
                                 http=httpx.Client(transport=httpx.MockTransport(handler)))
    assert client.organization_id == "org_7" and client.retry.max_retry_after == 2.0
    client.list_todays_appointments(client.organization_id)
    assert handler.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    assert str(handler.requests[0].url).startswith(app.config["FOURCALLS_API_URL"] + "/api/coordinator/organizations/org_7/")
