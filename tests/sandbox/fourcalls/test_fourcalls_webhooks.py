"""Webhooks: signed deliveries for every kind of event, and retries when the receiver fails."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fourcalls_helpers import next_weekday, wait_until
from sandbox.fourcalls.testing import running_fourcalls

SECRET = "fc_whsec_sandbox"


class Receiver:
    """A local HTTP endpoint that records deliveries and can be told to fail."""

    def __init__(self):
        self.deliveries: list[dict] = []
        self.failures_left = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    failing = receiver.failures_left > 0
                    receiver.failures_left -= 1 if failing else 0
                    receiver.deliveries.append({"headers": dict(self.headers), "raw": raw,
                                                "answered": 500 if failing else 200, "at": time.time()})
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/fourcalls"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, type_=None) -> list[dict]:
        with self.lock:
            accepted = [json.loads(d["raw"]) for d in self.deliveries if d["answered"] == 200]
        return [e for e in accepted if type_ is None or e["type"] == type_]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


def verify_signature(header: str, raw: bytes, secret: str = SECRET, tolerance: int = 300) -> bool:
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < tolerance


def test_events_are_signed_and_match_the_contract(sandbox, api, contract, receiver):
    org, client = api.create_org(webhook_url=receiver.url)
    org_id = org["id"]
    contact = client.post(f"/organizations/{org_id}/contacts", json={"name": "Hook Person", "phone": "+15125550661"}).json()
    client.put(f"/organizations/{org_id}/contacts/{contact['id']}", json={"notes": "updated"})
    day = next_weekday(1)
    appointment = client.post(f"/organizations/{org_id}/appointments",
                              json={"contact_id": contact["id"], "starts_at": f"{day}T09:00:00"}).json()
    client.put(f"/organizations/{org_id}/appointments/{appointment['id']}", json={"notes": "Bring forms"})
    client.put(f"/organizations/{org_id}/appointments/{appointment['id']}", json={"status": "cancelled"})
    client.post("/real-time/lead", json={"name": "Lead Person", "phone": "+15125550662", "message": "Quote?"})
    call = sandbox.generate_call(org_id, outcome="question")

    wanted = {"contact.created", "contact.updated", "appointment.created", "appointment.updated",
              "appointment.cancelled", "lead.created", "call.completed"}
    wait_until(lambda: wanted <= {e["type"] for e in receiver.events()}, timeout=10)
    schemas = {"call": "CallEvent", "appointment": "AppointmentEvent", "contact": "ContactEvent", "lead": "LeadEvent"}
    for delivery in receiver.deliveries:
        headers = {k.lower(): v for k, v in delivery["headers"].items()}
        assert verify_signature(headers["x-fourcalls-signature"], delivery["raw"])
        assert not verify_signature(headers["x-fourcalls-signature"], delivery["raw"], secret="wrong")
        event = json.loads(delivery["raw"])
        assert headers["x-fourcalls-event-id"] == event["id"] and headers["x-fourcalls-event-type"] == event["type"]
        assert event["organization_id"] == org_id and event["id"].startswith("evt_")
        errors = list(contract.schema_validator(schemas[event["type"].split(".")[0]]).iter_errors(event))
        assert not errors, (event["type"], errors[0].message)
    completed = receiver.events("call.completed")[0]["data"]["object"]
    assert completed["id"] == call["id"] and completed["transcript"] == call["transcript"]


def test_failed_deliveries_are_retried_with_backoff(sandbox, api, receiver):
    org, client = api.create_org(webhook_url=receiver.url)
    receiver.failures_left = 2
    contact = client.post(f"/organizations/{org['id']}/contacts", json={"name": "Retry Me"}).json()
    event = wait_until(lambda: receiver.events("contact.created"), timeout=10)[0]
    assert event["data"]["object"]["id"] == contact["id"]
    attempts = [d for d in receiver.deliveries if json.loads(d["raw"])["id"] == event["id"]]
    assert [d["answered"] for d in attempts] == [500, 500, 200]
    gaps = [b["at"] - a["at"] for a, b in zip(attempts, attempts[1:])]
    assert gaps[1] > gaps[0] * 1.5, f"backoff should grow: {gaps}"
    signatures = {d["headers"]["X-FourCalls-Signature"] for d in attempts}
    assert all(verify_signature(s, attempts[0]["raw"]) for s in signatures)
    # The receiver records the 200 before the sandbox hears it back and writes the outcome down.
    log = wait_until(lambda: [d for d in sandbox.webhooks(org["id"])
                              if d["event_id"] == event["id"] and d["state"] != "pending"], timeout=10)[0]
    assert log["state"] == "delivered" and log["attempts"] == 3
    assert [entry["status_code"] for entry in log["log"]] == [500, 500, 200]


def test_unreachable_endpoint_gives_up_after_the_last_attempt(sandbox, api):
    org, client = api.create_org(webhook_url="http://127.0.0.1:9/unreachable")
    client.post(f"/organizations/{org['id']}/contacts", json={"name": "Nobody Listens"})
    delivery = wait_until(lambda: [d for d in sandbox.webhooks(org["id"]) if d["state"] == "failed"], timeout=15)[0]
    assert delivery["attempts"] == 4  # --webhook-max-attempts in conftest
    assert all(entry["status_code"] is None and entry["error"] for entry in delivery["log"])


def test_sandbox_webhook_url_is_the_fallback_endpoint(tmp_path, receiver):
    with running_fourcalls(tmp_path, webhook_url=receiver.url, webhook_secret="whsec_custom") as sandbox:
        with sandbox.client() as platform:
            org = platform.post("/organizations", json={"name": "No Own Endpoint"}).json()
            platform.post(f"/organizations/{org['id']}/contacts", json={"name": "Fallback"})
        delivery = wait_until(lambda: receiver.deliveries, timeout=10)[0]
        assert verify_signature(delivery["headers"]["X-FourCalls-Signature"], delivery["raw"], secret="whsec_custom")
        assert json.loads(delivery["raw"])["organization_id"] == org["id"]
