"""Analytics pages: each package sees its pages or the upgrade offer; the
overview, its htmx regions, CSV export, topics and "add to FAQ"."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import CallQuestion, FourCallsIntegration
from app.crm_sync.upserts import apply_remote_calls
from tests.sync_helpers import activate, remote_call

PAGES = {
    # path -> catalog feature that opens it
    "/analytics": "call_analytics",
    "/analytics/reports": "call_reporting",
    "/analytics/export/daily.csv": "call_reporting",
    "/analytics/weekly-report/preview": "call_reporting",
    "/analytics/insights": "customer_insights",
    "/analytics/enterprise": "enterprise_reporting",
}
PACKAGES = (None, "ai_receptionist", "ai_sales", "ai_business_suite", "ai_enterprise")
OPENS = {  # what the comparison table promises, per package
    None: set(),
    "ai_receptionist": set(),
    "ai_sales": {"call_analytics"},
    "ai_business_suite": {"call_analytics", "call_reporting", "customer_insights"},
    "ai_enterprise": {"call_analytics", "call_reporting", "customer_insights", "enterprise_reporting"},
}
NOW = datetime(2027, 3, 17, 18, 0, tzinfo=timezone.utc)


def owner_business(client, auth, factories, package, **fields):
    owner = factories.user()
    business = factories.business(owner=owner, name=f"Shop {package}", timezone="America/Los_Angeles", **fields)
    if package:
        activate(business, package=package)
    auth.login(owner.email)
    return business


@pytest.mark.parametrize("package", PACKAGES)
@pytest.mark.parametrize("path, feature", PAGES.items())
def test_each_package_gets_the_page_or_the_upgrade_offer(client, auth, factories, clock, package, path, feature):
    clock.set(NOW)
    business = owner_business(client, auth, factories, package)
    response = client.get(f"/businesses/{business.slug}{path}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    upsell = f'data-feature="{feature}"' in body
    assert upsell == (feature not in OPENS[package])
    if upsell:
        assert "Compare packages and upgrade to" in body


@pytest.mark.parametrize("package", ("ai_receptionist", "ai_sales"))
def test_a_lower_package_cannot_post_to_reporting(client, auth, factories, package):
    business = owner_business(client, auth, factories, package, faq=[])
    response = client.post(f"/businesses/{business.slug}/analytics/questions/faq",
                           data={"question": "Do you sell gift cards?", "answer": "Yes"})
    assert response.status_code == 403
    db.session.refresh(business)
    assert business.faq == []


def seed_calls(business):
    rows = [
        remote_call(700_001, started_at=datetime(2027, 3, 16, 17, 0, tzinfo=timezone.utc), topic="Prices",
                    summary="Asked about prices.",
                    unanswered_questions=["Do you sell gift cards?"]),
        remote_call(700_002, started_at=datetime(2027, 3, 16, 18, 0, tzinfo=timezone.utc), topic="Prices",
                    unanswered_questions=["do you sell gift cards", "Is there wheelchair access?"]),
        remote_call(700_003, started_at=datetime(2027, 3, 15, 18, 0, tzinfo=timezone.utc), topic="=cmd()",
                    status="missed", duration_seconds=0),
    ]
    apply_remote_calls(business, rows)
    db.session.commit()


def test_overview_charts_deltas_and_htmx_regions(client, auth, factories, clock):
    clock.set(NOW)
    business = owner_business(client, auth, factories, "ai_sales")
    seed_calls(business)
    page = client.get(f"/businesses/{business.slug}/analytics?range=7d").get_data(as_text=True)
    assert page.count("<svg class=\"chart-svg\"") == 5 and "<desc" in page and "Show the numbers" in page
    assert "Against the previous period" in page and "▲" in page
    assert "Mar 11, 2027 – Mar 17, 2027" in page  # local days, today in Los Angeles is Mar 17
    assert "America/Los_Angeles" in page
    fragment = client.get(f"/businesses/{business.slug}/analytics?range=30d", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="range-head"' in body
    assert body.count('hx-swap-oob="true"') == 6  # every chart region swaps itself
    assert "HX-Request" in fragment.headers["Vary"]


@pytest.mark.parametrize("query", ("range=forever", "range=custom&from=2027-03-10&to=2027-03-01",
                                   "range=custom&from=nope&to=2027-03-01", "range=custom&from=2020-01-01&to=2027-03-01"))
def test_a_bad_range_is_a_422_with_the_reason(client, auth, factories, clock, query):
    clock.set(NOW)
    business = owner_business(client, auth, factories, "ai_sales")
    response = client.get(f"/businesses/{business.slug}/analytics?{query}")
    assert response.status_code == 422
    assert "field-error" in response.get_data(as_text=True)


def test_csv_export_of_every_table(client, auth, factories, clock):
    clock.set(NOW)
    business = owner_business(client, auth, factories, "ai_business_suite")
    seed_calls(business)
    base = f"/businesses/{business.slug}/analytics/export"
    daily = client.get(f"{base}/daily.csv?range=7d")
    assert daily.mimetype == "text/csv" and "attachment" in daily.headers["Content-Disposition"]
    lines = daily.get_data(as_text=True).splitlines()
    assert lines[0].startswith("Local day,Calls,Answered,Missed") and len(lines) == 8
    assert "2027-03-16,2,2,0,100.0" in lines[-2]
    topics = client.get(f"{base}/topics.csv?range=7d").get_data(as_text=True)
    assert "Prices,2" in topics and "'=cmd()" in topics  # formula-looking cells are quoted
    for table in ("coordinators", "campaigns", "heatmap", "questions"):
        assert client.get(f"{base}/{table}.csv?range=7d").status_code == 200
    assert client.get(f"{base}/nonsense.csv").status_code == 404
    assert client.get(f"{base}/daily.csv?range=custom&from=x&to=y").status_code == 422


def test_topics_link_to_their_calls(client, auth, factories, clock):
    clock.set(NOW)
    business = owner_business(client, auth, factories, "ai_business_suite")
    seed_calls(business)
    reports = client.get(f"/businesses/{business.slug}/analytics/reports?range=7d").get_data(as_text=True)
    assert "topic=Prices" in reports
    calls = client.get(f"/businesses/{business.slug}/analytics/topics?topic=Prices&range=7d").get_data(as_text=True)
    assert calls.count("/calls/") == 2 and "Asked about prices." in calls


def test_add_to_faq_updates_the_profile_pushes_it_and_clears_the_question(client, auth, factories, clock):
    clock.set(NOW)
    business = owner_business(client, auth, factories, "ai_business_suite", faq=[])
    seed_calls(business)
    assert db.session.scalar(select(db.func.count()).select_from(CallQuestion)) == 3
    page = client.get(f"/businesses/{business.slug}/analytics/reports?range=7d").get_data(as_text=True)
    assert "Do you sell gift cards?" in page and "asked 2 times" in page
    integration = db.session.scalar(select(FourCallsIntegration).where(FourCallsIntegration.business_id == business.id))
    version = integration.desired_version

    bad = client.post(f"/businesses/{business.slug}/analytics/questions/faq",
                      data={"question": "Do you sell gift cards?", "answer": "  ", "row": "q1"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "Write the answer" in bad.get_data(as_text=True)
    db.session.refresh(business)
    assert business.faq == []

    added = client.post(f"/businesses/{business.slug}/analytics/questions/faq",
                        data={"question": "Do you sell gift cards?", "answer": "Yes, at the front desk.", "row": "q1"},
                        headers={"HX-Request": "true"})
    assert added.status_code == 200 and "Added to your FAQ" in added.get_data(as_text=True)
    db.session.refresh(business)
    assert business.faq == [{"question": "Do you sell gift cards?", "answer": "Yes, at the front desk."}]
    db.session.refresh(integration)
    assert integration.desired_version == version + 1  # the organization push was requested
    page = client.get(f"/businesses/{business.slug}/analytics/reports?range=7d").get_data(as_text=True)
    assert "Do you sell gift cards?" not in page and "Is there wheelchair access?" in page


def test_a_large_history_is_counted_by_a_job_while_the_page_waits(client, auth, factories, clock, run_jobs,
                                                                   monkeypatch):
    from app.analytics import rollups

    clock.set(NOW)
    business = owner_business(client, auth, factories, "ai_sales")
    seed_calls(business)
    monkeypatch.setattr(rollups, "INLINE_REBUILD_LIMIT", 1)
    waiting = client.get(f"/businesses/{business.slug}/analytics?range=7d").get_data(as_text=True)
    assert "Counting your calls" in waiting and "counting=1" in waiting
    poll = client.get(f"/businesses/{business.slug}/analytics?range=7d&counting=1", headers={"HX-Request": "true"})
    assert "Counting your calls" in poll.get_data(as_text=True)
    run_jobs()
    done = client.get(f"/businesses/{business.slug}/analytics?range=7d&counting=1", headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"
    assert client.get(f"/businesses/{business.slug}/analytics?range=7d").get_data(as_text=True).count("<svg class=\"chart-svg\"") == 5
