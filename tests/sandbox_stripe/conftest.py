"""Fixtures: a sandbox subprocess, a webhook receiver, stripe-python pointed at the sandbox."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    # pytest's rootdir-based import puts tests/ on sys.path, not the repo root the sandbox lives in.
    sys.path.insert(0, str(REPO_ROOT))

import stripe  # noqa: E402

from sandbox.stripe.testing import running_stripe  # noqa: E402

from .helpers import WebhookReceiver  # noqa: E402


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
