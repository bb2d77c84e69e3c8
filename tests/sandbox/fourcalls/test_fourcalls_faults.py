"""Fault injection really happens: errors, latency, 429 bursts, dropped connections."""
from __future__ import annotations

import time
import uuid

import httpx
import pytest

from sandbox.fourcalls.testing import running_fourcalls


@pytest.fixture(autouse=True)
def no_faults_left_behind(sandbox):
    sandbox.clear_faults()
    yield
    sandbox.clear_faults()


def test_error_rate_injects_5xx_with_the_error_shape(sandbox, api):
    org, client = api.create_org()
    sandbox.set_faults(error_rate=1.0)
    statuses = set()
    for _ in range(12):
        response = client.get(f"/organizations/{org['id']}")
        statuses.add(response.status_code)
        error = response.json()["error"]
        assert error["type"] in ("internal", "unavailable") and error["details"]["injected"] is True
        if response.status_code == 503:
            assert response.headers["Retry-After"] == "1"
    assert statuses <= {500, 502, 503} and len(statuses) >= 2
    # Admin routes are never faulted.
    assert sandbox.state(org["id"])["organization"]["id"] == org["id"]
    sandbox.set_faults(error_rate=0.5)
    failures = sum(client.get(f"/organizations/{org['id']}").status_code >= 500 for _ in range(100))
    assert 25 <= failures <= 75
    sandbox.clear_faults()
    assert client.get(f"/organizations/{org['id']}").status_code == 200


def test_latency_is_added_to_api_requests(sandbox, api):
    org, client = api.create_org()
    sandbox.set_faults(latency_ms=250)
    started = time.monotonic()
    assert client.get(f"/organizations/{org['id']}").status_code == 200
    assert time.monotonic() - started >= 0.25
    started = time.monotonic()
    sandbox.state(org["id"])
    assert time.monotonic() - started < 0.25


def test_rate_limit_bursts_answer_429_with_retry_after(sandbox, api):
    org, client = api.create_org()
    sandbox.set_faults(rate_limit_burst={"every": 5, "length": 2, "retry_after": 3})
    responses = [client.get(f"/organizations/{org['id']}") for _ in range(10)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429] * 2
    limited = responses[3]
    assert limited.headers["Retry-After"] == "3"
    assert limited.json()["error"]["type"] == "rate_limited"
    assert limited.json()["error"]["details"]["retry_after"] == 3


def test_dropped_connections_close_without_a_response(sandbox, api):
    org, client = api.create_org()
    sandbox.set_faults(drop_rate=1.0)
    for _ in range(3):
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            client.get(f"/organizations/{org['id']}")
    sandbox.clear_faults()
    assert client.get(f"/organizations/{org['id']}").status_code == 200


def test_late_faults_commit_first_so_idempotent_retries_are_safe(sandbox, api):
    org, client = api.create_org()
    keyed = api.client(org["api_key"], headers={"Idempotency-Key": str(uuid.uuid4())})
    body = {"name": "Committed Anyway", "phone": "+15125550480"}
    sandbox.set_faults(error_rate=1.0, phase="after")
    failed = keyed.post(f"/organizations/{org['id']}/contacts", json=body)
    assert failed.status_code >= 500
    sandbox.set_faults(drop_rate=1.0, phase="after")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        keyed.post(f"/organizations/{org['id']}/contacts", json=body)
    sandbox.clear_faults()
    retried = keyed.post(f"/organizations/{org['id']}/contacts", json=body)
    assert retried.status_code == 201 and retried.headers["Idempotent-Replayed"] == "true"
    contacts = client.get(f"/organizations/{org['id']}/contacts").json()["data"]
    assert [c["id"] for c in contacts] == [retried.json()["id"]]


def test_invalid_fault_settings_are_rejected(sandbox):
    with pytest.raises(httpx.HTTPStatusError) as refused:
        sandbox.set_faults(error_rate=2)
    assert refused.value.response.status_code == 422


def test_faults_can_be_set_by_command_line_flags(tmp_path):
    with running_fourcalls(tmp_path, error_rate=1.0, latency_ms=5, rate_limit_every=4,
                           rate_limit_length=1, drop_rate=0.0) as sandbox:
        faults = sandbox.faults()
        assert faults["error_rate"] == 1.0 and faults["latency_ms"] == 5
        assert faults["rate_limit_burst"] == {"every": 4, "length": 1, "retry_after": 1}
        with sandbox.client() as client:
            statuses = [client.get("/organizations").status_code for _ in range(4)]
        assert statuses[3] == 429 and all(s >= 500 for s in statuses[:3])
