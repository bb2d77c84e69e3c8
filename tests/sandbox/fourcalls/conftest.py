"""Fixtures for the 4calls sandbox suite: one sandbox subprocess per test module.

A module may define SANDBOX_OPTIONS (CLI options for running_fourcalls) to tune
its sandbox. Every API response is checked against the OpenAPI contract.
"""
from __future__ import annotations

import itertools

import httpx
import pytest

from fourcalls_contract import ContractChecker
from sandbox.fourcalls.testing import running_fourcalls

pytestmark = pytest.mark.integration

BASE_OPTIONS = {"campaign_interval": 0.2, "webhook_retry_base": 0.2, "webhook_max_attempts": 4, "seed": 7}
_names = itertools.count(1)


@pytest.fixture(scope="session")
def contract() -> ContractChecker:
    return ContractChecker()


@pytest.fixture(scope="module")
def sandbox(request, tmp_path_factory):
    options = {**BASE_OPTIONS, **getattr(request.module, "SANDBOX_OPTIONS", {})}
    with running_fourcalls(tmp_path_factory.mktemp("fourcalls"), **options) as handle:
        yield handle


class Api:
    """httpx clients for the sandbox whose responses are validated against the contract."""

    def __init__(self, sandbox, contract: ContractChecker):
        self.sandbox, self.contract = sandbox, contract
        self._clients: list[httpx.Client] = []

    def client(self, key: str | None = None, headers: dict | None = None) -> httpx.Client:
        client = self.sandbox.client(key, headers=headers or {},
                                     event_hooks={"response": [self.contract.hook]})
        self._clients.append(client)
        return client

    @property
    def platform(self) -> httpx.Client:
        return self.client()

    def create_org(self, **fields) -> tuple[dict, httpx.Client]:
        """A new organization (weekday and Saturday hours) and a client holding its own key."""
        body = {"name": f"Test Business {next(_names)}", "category": "dental", "timezone": "America/Chicago",
                "business_hours": {day: {"open": "08:00", "close": "18:00"} for day in
                                   ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")},
                **fields}
        response = self.platform.post("/organizations", json=body)
        assert response.status_code == 201, response.text
        org = response.json()
        return org, self.client(org["api_key"])

    def create_coordinator(self, client: httpx.Client, org_id: str, **fields) -> dict:
        body = {"name": "Ava", "role": "receptionist", **fields}
        response = client.post(f"/organizations/{org_id}/coordinators", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def close(self) -> None:
        for client in self._clients:
            client.close()


@pytest.fixture
def api(sandbox, contract):
    helper = Api(sandbox, contract)
    yield helper
    helper.close()

