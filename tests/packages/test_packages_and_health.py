from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import AIServicePackage
from app.packages.catalog import PACKAGES
from app.packages.services import sync_catalog


def test_catalog_matches_the_plan(app):
    expected = {
        "ai_receptionist": ("49.00", 1, 500, 0, 500),
        "ai_sales": ("99.00", 1, 1000, 500, None),
        "ai_business_suite": ("199.00", 2, 2000, 1000, None),
        "ai_enterprise": ("399.00", 5, 5000, 2500, None),
    }
    for package in PACKAGES:
        price, coordinators, inbound, outbound, contacts = expected[package.slug]
        assert str(package.monthly_price()) == price
        assert (package.coordinator_count, package.call_minutes_inbound, package.call_minutes_outbound, package.contact_limit) == (
            coordinators, inbound, outbound, contacts,
        )
    receptionist = PACKAGES[0]
    assert not receptionist.has("campaigns") and receptionist.has("ai_call_summaries")
    assert PACKAGES[1].has("campaigns") and PACKAGES[3].has("account_manager")


def test_sync_is_idempotent_and_honours_price_overrides(app):
    assert sync_catalog() == 0  # the fixture synced already
    rows = db.session.scalars(select(AIServicePackage).order_by(AIServicePackage.display_order)).all()
    assert [r.slug for r in rows] == [p.slug for p in PACKAGES]
    app.config["AI_SALES_PRICE"] = "109.50"
    try:
        assert sync_catalog() == 1
        row = db.session.scalar(select(AIServicePackage).where(AIServicePackage.slug == "ai_sales"))
        assert row.monthly_price == Decimal("109.50")
        assert row.features["campaigns"] is True and row.features["call_minutes_outbound"] == 500
    finally:
        app.config["AI_SALES_PRICE"] = "99.00"


def test_picker_marks_the_current_package(client, logged_in_owner, factories):
    business = factories.business(owner=logged_in_owner)
    factories.integration(business, "ai_sales")
    page = client.get(f"/businesses/{business.slug}/packages").get_data(as_text=True)
    for package in PACKAGES:
        assert package.name in page
    assert "$49.00" in page and "$399.00" in page
    assert "Current package" in page
    assert page.count("Choose ") >= 3


def test_public_package_page(client):
    page = client.get("/packages")
    assert page.status_code == 200 and b"AI Enterprise" in page.data


def test_healthz_reports_database_and_queue(client):
    body = client.get("/healthz").get_json()
    assert body["database"]["status"] == "ok"
    assert body["queue"]["status"] == "ok"


def test_healthz_is_503_when_database_is_down(client, app, monkeypatch):
    from sqlalchemy.orm import Session

    def broken(*args, **kwargs):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(Session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"]["status"] == "error"


def test_seed_demo_is_idempotent(app):
    from app.demo import seed_demo

    first = seed_demo()
    second = seed_demo()
    assert first["businesses_created"] == 20 and second["businesses_created"] == 0
    assert first["business"].owner_id == first["owner"].id
