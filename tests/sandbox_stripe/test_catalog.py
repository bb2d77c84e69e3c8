"""Products, prices and customers through stripe-python, in both configuration styles."""

from __future__ import annotations

import uuid

import pytest
import stripe


def test_price_found_by_lookup_key_with_expanded_product(api):
    key = f"pro_{uuid.uuid4().hex[:8]}"
    product = api.Product.create(name="Pro Assistant", metadata={"tier": "pro"})
    price = api.Price.create(product=product.id, unit_amount=14900, currency="usd",
                             recurring={"interval": "month"}, lookup_key=key)
    assert price.id.startswith("price_") and product.id.startswith("prod_")
    assert price.object == "price" and price.livemode is False and price.type == "recurring"
    assert price.recurring.interval == "month" and price.recurring.interval_count == 1

    found = api.Price.list(lookup_keys=[key], active=True, expand=["data.product"])
    assert found.object == "list" and found.url == "/v1/prices" and not found.has_more
    assert [item.id for item in found.data] == [price.id]
    assert found.data[0].product.name == "Pro Assistant"
    assert api.Product.retrieve(product.id).metadata["tier"] == "pro"
    assert api.Price.retrieve(price.id).lookup_key == key


def test_lookup_key_is_unique_unless_transferred(api):
    key = f"basic_{uuid.uuid4().hex[:8]}"
    first = api.Price.create(product_data={"name": "Basic"}, unit_amount=1900, currency="usd",
                             recurring={"interval": "month"}, lookup_key=key)
    with pytest.raises(stripe.InvalidRequestError) as taken:
        api.Price.create(product=first.product, unit_amount=2900, currency="usd",
                         recurring={"interval": "month"}, lookup_key=key)
    assert taken.value.param == "lookup_key"
    second = api.Price.create(product=first.product, unit_amount=2900, currency="usd",
                              recurring={"interval": "month"}, lookup_key=key, transfer_lookup_key=True)
    assert [item.id for item in api.Price.list(lookup_keys=[key]).data] == [second.id]
    assert api.Price.retrieve(first.id).lookup_key is None


def test_customer_create_update_and_list_by_email(api):
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    customer = api.Customer.create(email=email, name="Corner Bakery", metadata={"business_id": "42"})
    assert customer.id.startswith("cus_") and customer.object == "customer"
    updated = api.Customer.modify(customer.id, name="Corner Bakery LLC", metadata={"plan": "starter"})
    assert updated.name == "Corner Bakery LLC"
    assert updated.metadata.to_dict() == {"business_id": "42", "plan": "starter"}
    assert api.Customer.retrieve(customer.id).email == email
    assert [c.id for c in api.Customer.list(email=email).data] == [customer.id]
    assert api.Customer.list(email=email.upper()).data == []


def test_pagination_walks_newest_first(api):
    marker = uuid.uuid4().hex[:8]
    created = [api.Customer.create(email=f"page-{marker}-{n}@example.com") for n in range(3)]
    first_page = api.Customer.list(limit=2)
    assert first_page.has_more and [c.id for c in first_page.data] == [created[2].id, created[1].id]
    second_page = api.Customer.list(limit=2, starting_after=first_page.data[-1].id)
    assert second_page.data[0].id == created[0].id


def test_stripe_client_style(sandbox):
    client = sandbox.client()
    key = f"client_{uuid.uuid4().hex[:8]}"
    price = client.v1.prices.create(params={
        "product_data": {"name": "Client Style"}, "unit_amount": 2500, "currency": "usd",
        "recurring": {"interval": "month"}, "lookup_key": key,
    })
    assert client.v1.prices.list(params={"lookup_keys": [key]}).data[0].id == price.id
    customer = client.v1.customers.create(params={"email": "client@example.com"})
    assert client.v1.customers.retrieve(customer.id).email == "client@example.com"
    session = client.v1.checkout.sessions.create(params={
        "mode": "subscription", "customer": customer.id,
        "line_items": [{"price": price.id, "quantity": 1}],
        "success_url": "https://app.test/ok?cs={CHECKOUT_SESSION_ID}",
    })
    sandbox.pay(session.id)
    session = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    assert session.subscription.status == "active"


def test_search_by_email_and_metadata(api):
    marker = uuid.uuid4().hex[:8]
    wanted = api.Customer.create(email=f"search-{marker}@example.com", metadata={"business_id": marker})
    api.Customer.create(email=f"other-{marker}@example.com", metadata={"business_id": "other"})
    found = api.Customer.search(query=f"metadata['business_id']:'{marker}'")
    assert found.object == "search_result" and [c.id for c in found.data] == [wanted.id]
    found = api.Customer.search(query=f"email:'SEARCH-{marker}@example.com' AND -name:'nobody'")
    assert [c.id for c in found.data] == [wanted.id]
    with pytest.raises(stripe.InvalidRequestError):
        api.Customer.search(query="email:'a' OR email:'b'")
