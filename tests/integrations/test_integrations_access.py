"""Access: every new owner URL with an id answers 404 to another owner
(and to the owner for another business's ids), and each package sees the
Integrations feature or the upgrade offer."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.api.tokens import create_token
from app.extensions import db
from app.integrations.endpoints import create_endpoint, send_test_event
from app.models import SupportMessage, WebhookDelivery
from app.packages.catalog import PACKAGES
from app.support.services import open_request
from tests.integrations_helpers import give_package

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _objects(business, owner):
    endpoint, _ = create_endpoint(business, owner, "https://example.com/hook", ["contact.created"])
    send_test_event(business, endpoint)
    delivery = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    token, _ = create_token(business, owner, "Zap", "read")
    from werkzeug.datastructures import FileStorage

    request = open_request(business, owner, "Help", "question", "Body",
                           FileStorage(io.BytesIO(PNG), filename="s.png"))
    message = db.session.scalar(select(SupportMessage).where(SupportMessage.request_id == request.id))
    return {"endpoint_id": endpoint.id, "delivery_id": delivery.id, "token_id": token.id,
            "request_id": request.id, "message_id": message.id}


ID_URLS = [
    ("GET", "/businesses/{slug}/integrations/webhooks/{endpoint_id}"),
    ("GET", "/businesses/{slug}/integrations/webhooks/{endpoint_id}/edit"),
    ("POST", "/businesses/{slug}/integrations/webhooks/{endpoint_id}/edit"),
    ("POST", "/businesses/{slug}/integrations/webhooks/{endpoint_id}/enable"),
    ("POST", "/businesses/{slug}/integrations/webhooks/{endpoint_id}/disable"),
    ("POST", "/businesses/{slug}/integrations/webhooks/{endpoint_id}/test"),
    ("POST", "/businesses/{slug}/integrations/webhooks/{endpoint_id}/delete"),
    ("POST", "/businesses/{slug}/integrations/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver"),
    ("POST", "/businesses/{slug}/integrations/tokens/{token_id}/revoke"),
    ("GET", "/businesses/{slug}/help/requests/{request_id}"),
    ("POST", "/businesses/{slug}/help/requests/{request_id}"),
    ("POST", "/businesses/{slug}/help/requests/{request_id}/resolve"),
    ("GET", "/businesses/{slug}/help/requests/{request_id}/messages/{message_id}/attachment"),
]


def test_every_id_url_of_the_new_areas_is_walked(app):
    rules = {(m, r.rule) for r in app.url_map.iter_rules()
             if r.rule.startswith(("/businesses/<slug>/integrations/", "/businesses/<slug>/help/"))
             and r.rule.count("<") > 1 for m in r.methods - {"HEAD", "OPTIONS"}}
    listed = {(m, u.replace("{", "<").replace("}", ">")) for m, u in ID_URLS}
    assert rules == listed


@pytest.fixture
def two_businesses(factories):
    mine_owner, their_owner = factories.user(), factories.user()
    mine = give_package(factories.business(owner=mine_owner, name="Mine"))
    theirs = give_package(factories.business(owner=their_owner, name="Theirs"))
    return (mine_owner, mine, _objects(mine, mine_owner)), (their_owner, theirs, _objects(theirs, their_owner))


@pytest.mark.parametrize("method, template", ID_URLS)
def test_other_owners_get_404_and_foreign_ids_get_404(client, auth, two_businesses, method, template):
    (mine_owner, mine, mine_ids), (_, theirs, their_ids) = two_businesses
    auth.login(mine_owner.email)
    # Their business, their ids.
    assert client.open(template.format(slug=theirs.slug, **their_ids), method=method).status_code == 404
    # My business, their ids.
    assert client.open(template.format(slug=mine.slug, **their_ids), method=method).status_code == 404
    # My business, my ids: not 404 (the walk would pass on a broken route otherwise).
    assert client.open(template.format(slug=mine.slug, **mine_ids), method=method).status_code != 404


@pytest.mark.parametrize("package", [None] + [p.slug for p in PACKAGES])
def test_integrations_for_each_package(client, factories, logged_in_owner, package):
    business = factories.business(owner=logged_in_owner)
    if package:
        give_package(business, package)
    included = bool(package) and next(p for p in PACKAGES if p.slug == package).has("custom_integrations")
    page = client.get(f"/businesses/{business.slug}/integrations")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert ('data-upsell="custom_integrations"' in body) is (not included)
    assert ("Create a token" in body) is included
    if not included:
        assert "AI Enterprise" in body and "Compare packages and upgrade" in body
    created = client.post(f"/businesses/{business.slug}/integrations/tokens", data={"name": "x", "scope": "read"})
    assert created.status_code == (201 if included else 403)
    new = client.post(f"/businesses/{business.slug}/integrations/webhooks/new",
                      data={"url": "https://example.com/h", "events": ["contact.created"]})
    assert new.status_code == (201 if included else 403)
