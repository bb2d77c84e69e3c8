"""The owner learns when a site that is not on the allowed list tried to show the chat widget."""
from sqlalchemy import select

from app.chat.widgets import widget_for
from app.extensions import db
from app.models import AuditEntry, EmbedRefusal


def test_refused_origin_is_recorded_and_the_owner_can_allow_it(client, auth, factories):
    owner = factories.user()
    business = factories.business(owner=owner)
    widget = widget_for(business)
    widget.allowed_origins = ["https://allowed.example"]
    db.session.commit()
    framed = {"Sec-Fetch-Dest": "iframe"}
    client.get(f"/widget/{widget.public_key}", headers={**framed, "Referer": "https://shop.example/page?x=1"})
    client.get(f"/widget/{widget.public_key}", headers={**framed, "Referer": "https://shop.example/other"})
    client.get(f"/widget/{widget.public_key}", headers={**framed, "Referer": "https://allowed.example/"})
    client.get(f"/widget/{widget.public_key}", headers={"Sec-Fetch-Dest": "document", "Referer": "https://x.example/"})
    [refusal] = db.session.scalars(select(EmbedRefusal)).all()
    assert refusal.origin == "https://shop.example" and refusal.times == 2

    auth.login(owner.email)
    page = client.get(f"/businesses/{business.slug}/chat/widget").get_data(as_text=True)
    assert "Your widget was blocked on" in page and "https://shop.example" in page
    client.post(f"/businesses/{business.slug}/chat/widget/refusals/{refusal.id}/allow")
    db.session.expire_all()
    assert widget_for(business).allowed_origins == ["https://allowed.example", "https://shop.example"]
    assert db.session.scalars(select(EmbedRefusal)).all() == []
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "assistant.widget_origin_allowed"))
    # Allowed now: the widget's policy lets that site frame it.
    csp = client.get(f"/widget/{widget.public_key}").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://allowed.example https://shop.example" in csp


def test_dismissed_refusal_is_hidden_and_the_list_is_bounded(client, auth, factories):
    owner = factories.user()
    business = factories.business(owner=owner)
    widget = widget_for(business)
    for n in range(30):
        client.get(f"/widget/{widget.public_key}", headers={"Sec-Fetch-Dest": "iframe",
                                                            "Referer": f"https://site{n}.example/"})
    assert len(db.session.scalars(select(EmbedRefusal)).all()) == 20
    refusal = db.session.scalars(select(EmbedRefusal)).first()
    auth.login(owner.email)
    client.post(f"/businesses/{business.slug}/chat/widget/refusals/{refusal.id}/dismiss")
    page = client.get(f"/businesses/{business.slug}/chat/widget").get_data(as_text=True)
    assert refusal.origin + "</strong>" not in page
