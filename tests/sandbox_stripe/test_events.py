"""Events API filters and concurrent use of one sandbox."""

from __future__ import annotations

import threading
import uuid

from .helpers import subscribe


def test_events_list_filters_and_request_ids(api, sandbox, catalog):
    _, sub = subscribe(api, sandbox, catalog["starter"])
    invoice_events = api.Event.list(type="invoice.*", limit=10)
    assert invoice_events.data and all(e.type.startswith("invoice.") for e in invoice_events.data)
    paid = api.Event.list(types=["invoice.paid"], limit=1).data[0]
    assert paid.data.object.parent.subscription_details.subscription == sub.id
    created = api.Event.list(type="customer.created", limit=1, created={"gte": paid.created - 60}).data[0]
    assert created.request.id.startswith("req_") and created.request.idempotency_key
    assert paid.request.id is None  # raised by the hosted page, not by an API call


def test_concurrent_requests_are_all_served(sandbox):
    client = sandbox.client()
    marker = uuid.uuid4().hex[:8]
    errors: list[Exception] = []

    def create(n: int) -> None:
        try:
            client.v1.customers.create(params={"email": f"burst-{marker}@example.com", "metadata": {"n": str(n)}})
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    found = client.v1.customers.list(params={"email": f"burst-{marker}@example.com", "limit": 100})
    assert sorted(int(c.metadata["n"]) for c in found.data) == list(range(24))
