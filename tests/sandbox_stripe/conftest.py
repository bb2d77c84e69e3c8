"""Fixtures: a sandbox subprocess, a webhook receiver, stripe-python pointed at the sandbox."""

from __future__ import annotations

import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    # pytest's rootdir-based import puts tests/ on sys.path, not the repo root the sandbox lives in.
    sys.path.insert(0, str(REPO_ROOT))

import stripe  # noqa: E402

from sandbox.stripe.testing import running_stripe  # noqa: E402


class WebhookReceiver:
    """A tiny HTTP endpoint recording what the sandbox POSTs; can be told to fail first."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail_remaining = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8")
                with receiver._lock:
                    failing = receiver.fail_remaining > 0
                    if failing:
                        receiver.fail_remaining -= 1
                    else:
                        receiver.requests.append({"body": body, "signature": self.headers.get("Stripe-Signature")})
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self, secret: str) -> list:
        """Every received event, verified the way an app verifies them."""
        with self._lock:
            received = list(self.requests)
        return [stripe.Webhook.construct_event(item["body"], item["signature"], secret) for item in received]

    def wait_for(self, secret: str, predicate, timeout: float = 10.0) -> list:
        deadline = time.time() + timeout
        while True:
            events = self.events(secret)
            if predicate(events) or time.time() > deadline:
                return events
            time.sleep(0.05)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def receiver():
    endpoint = WebhookReceiver()
    yield endpoint
    endpoint.close()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory, receiver):
    with running_stripe(tmp_path_factory.mktemp("stripe"), webhook_url=receiver.url,
                        webhook_retry_base=0.2) as handle:
        yield handle


@pytest.fixture
def api(sandbox):
    """The global-configuration style: stripe.api_key / stripe.api_base."""
    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key, stripe.api_base, stripe.max_network_retries = sandbox.api_key, sandbox.url, 0
    yield stripe
    stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


@pytest.fixture
def catalog(api):
    """Two monthly packages with lookup keys unique to the test (the sandbox is shared)."""
    suffix = uuid.uuid4().hex[:8]
    starter = api.Price.create(product_data={"name": "Starter Assistant"}, unit_amount=4900, currency="usd",
                               recurring={"interval": "month"}, lookup_key=f"starter_{suffix}")
    growth = api.Price.create(product_data={"name": "Growth Assistant"}, unit_amount=9900, currency="usd",
                              recurring={"interval": "month"}, lookup_key=f"growth_{suffix}")
    return {"starter": starter, "growth": growth, "suffix": suffix}
