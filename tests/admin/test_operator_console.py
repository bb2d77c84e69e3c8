"""Console pages as an admin: every page renders (with data and empty),
filters reject bad input with a field error, tables export as CSV, and
operator actions are audited."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Call, JobRun, WebhookEvent
from tests.operator_helpers import at, history

R, S = "ai_receptionist", "ai_sales"

PAGES = ["/admin/", "/admin/overview/margin-floor", "/admin/metrics/mrr", "/admin/metrics/revenue", "/admin/metrics/adoption",
         "/admin/metrics/usage", "/admin/health", "/admin/margin", "/admin/businesses", "/admin/rollout",
         "/admin/audit", "/admin/metrics/definitions"]


@pytest.fixture
def admin(factories, client, auth, clock):
    clock.set(at("2027-06-15 12:00"))
    user = factories.user(email="ops@example.com", is_admin=True)
    auth.login(user.email)
    return user


def _rows(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_empty_with_what_will_appear(client, admin, path):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_with_history(client, admin, factories, path):
    a = factories.business(owner=factories.user(), name="Alpha Dental")
    b = factories.business(owner=factories.user(), name="Beta Plumbing")
    history(a, ("2027-01-05 15:00", R, 4900, "active", "subscribed"), ("2027-03-10 15:00", S, 9900, "active", "upgraded"))
    history(b, ("2027-02-05 15:00", S, 9900, "active", "subscribed"), ("2027-04-20 15:00", S, 9900, "cancelled", "cancelled"))
    db.session.add(Call(business_id=a.id, remote_id="c1", direction="inbound", started_at=at("2027-05-03 15:00"),
                        duration_seconds=600, status="answered", outcome="booked"))
    db.session.commit()
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]


def test_mrr_page_chart_links_each_bar_to_its_businesses(client, admin, factories):
    b = factories.business(owner=factories.user(), name="Churned Cafe")
    history(b, ("2027-01-05 15:00", R, 4900, "active", "subscribed"), ("2027-04-20 15:00", R, 4900, "cancelled", "cancelled"))
    page = client.get("/admin/metrics/mrr?range=12m").get_data(as_text=True)
    assert "<svg" in page and 'role="img"' in page and "<desc" in page
    assert 'href="/admin/metrics/mrr/businesses?month=2027-04&amp;kind=churn"' in page
    drill = client.get("/admin/metrics/mrr/businesses?month=2027-04&kind=churn")
    assert drill.status_code == 200 and "Churned Cafe" in drill.get_data(as_text=True)
    assert "Churned Cafe" not in client.get("/admin/metrics/mrr/businesses?month=2027-04&kind=new").get_data(as_text=True)


def test_mrr_csv_matches_the_table(client, admin, factories):
    b = factories.business(owner=factories.user())
    history(b, ("2027-03-05 15:00", R, 4900, "active", "subscribed"), ("2027-03-25 15:00", R, 4900, "cancelled", "cancelled"))
    rows = {r["month"]: r for r in _rows(client.get("/admin/metrics/mrr?from=2027-02&to=2027-04&format=csv"))}
    assert list(rows) == ["2027-02", "2027-03", "2027-04"]
    assert rows["2027-03"]["new"] == "49.0" and rows["2027-03"]["churn"] == "-49.0" and rows["2027-03"]["net"] == "0.0"


@pytest.mark.parametrize("query, field", [
    ("from=2027-13&to=2027-04", "from"), ("from=2027-05&to=2027-02", "to"), ("from=garbage", "from"),
    ("package=ai_everything", "package"), ("range=forever", "range"),
])
def test_bad_filters_give_a_field_error_and_the_default_view(client, admin, query, field):
    for path in ("/admin/metrics/mrr", "/admin/metrics/revenue", "/admin/metrics/adoption", "/admin/metrics/usage"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 422
        assert f'data-field="{field}"' in response.get_data(as_text=True)


def test_drilldown_bad_month_or_kind_is_a_field_error(client, admin):
    assert client.get("/admin/metrics/mrr/businesses?month=2027-99&kind=churn").status_code == 422
    assert client.get("/admin/metrics/mrr/businesses?month=2027-04&kind=everything").status_code == 422


def test_csv_exports_of_every_table(client, admin, factories):
    b = factories.business(owner=factories.user(), name="=cmd|' /C calc'!A0")
    history(b, ("2027-03-05 15:00", R, 4900, "active", "subscribed"))
    for path in ("/admin/metrics/revenue?format=csv", "/admin/metrics/revenue?format=csv&table=cohorts",
                 "/admin/metrics/adoption?format=csv", "/admin/metrics/usage?format=csv",
                 "/admin/margin?format=csv", "/admin/audit?format=csv"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/csv", path
    margin = _rows(client.get("/admin/margin?format=csv"))
    assert margin[0]["business"].startswith("'=")  # a spreadsheet won't run it


def test_suspend_and_restore_need_a_reason_and_are_audited(client, admin, factories):
    from app.assistant import provisioning

    business = factories.business(owner=factories.user(), name="Audited Autos")
    provisioning.activate_package(business, R, "test")
    refused = client.post(f"/admin/businesses/{business.id}/suspend", data={"reason": "  "})
    assert refused.status_code == 303
    db.session.expire_all()
    assert business.integration.target_status == "active"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "business.suspended")) is None

    client.post(f"/admin/businesses/{business.id}/suspend", data={"reason": "Chargeback", "next": f"/admin/businesses/{business.id}"})
    db.session.expire_all()
    assert business.integration.target_status == "suspended"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "business.suspended"))
    assert entry.scope == "admin" and entry.actor_label == "ops@example.com" and entry.reason == "Chargeback"
    assert entry.before == {"target_status": "active"} and entry.after == {"target_status": "suspended"}
    client.post(f"/admin/businesses/{business.id}/resume", data={"reason": "Paid"})
    db.session.expire_all()
    assert business.integration.target_status == "active"
    log = client.get("/admin/audit?action=business.restored").get_data(as_text=True)
    assert "business.restored" in log and "Paid" in log and "business.suspended" not in log.split("<tbody>")[1]


def test_audit_filters_reject_bad_dates(client, admin):
    assert client.get("/admin/audit?from=2027-02-30").status_code == 422
    assert client.get("/admin/audit?from=2027-03-02&to=2027-03-01").status_code == 422
    assert client.get("/admin/audit?business=nobody-here").status_code == 422


def test_replay_of_a_failed_webhook_is_audited_and_idempotent(client, admin, run_jobs):
    applied = WebhookEvent(source="fourcalls", event_id="evt_done", event_type="call.completed", payload={},
                           processed_at=at("2027-06-01 00:00"), outcome="applied", attempts=1)
    failed = WebhookEvent(source="fourcalls", event_id="evt_failed", event_type="call.completed", payload={},
                          attempts=3, error="TimeoutError: 4calls took too long")
    db.session.add_all([applied, failed])
    db.session.commit()
    page = client.get("/admin/health").get_data(as_text=True)
    assert "evt_failed" in page and "evt_done" not in page
    client.post(f"/admin/health/webhooks/{applied.id}/replay")
    client.post(f"/admin/health/webhooks/{failed.id}/replay")
    run_jobs()
    db.session.expire_all()
    assert applied.attempts == 1 and applied.outcome == "applied"  # untouched
    assert failed.processed_at is not None and failed.error is None and failed.attempts == 4
    actions = db.session.scalars(select(AuditEntry.after).where(AuditEntry.action == "webhook.replayed")).all()
    assert sorted(a["replay"] for a in actions) == ["already applied: nothing to do", "queued"]
    assert "evt_failed" not in client.get("/admin/health").get_data(as_text=True)


def test_failed_billing_job_is_retried_and_the_result_shows(client, admin, clock):
    run = JobRun(kind="billing_deadlines", status="failed", error="StripeUnavailable: down", attempts=4,
                 finished_at=at("2027-06-15 11:00"))
    db.session.add(run)
    db.session.commit()
    assert "StripeUnavailable" in client.get("/admin/health").get_data(as_text=True)
    clock.advance(minutes=5)
    client.post(f"/admin/health/jobs/{run.id}/retry")
    from app.models import JobRun as Run

    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "job.retried")) is not None
    run_jobs = client.application.extensions["job_queue"].drain
    run_jobs()
    db.session.expire_all()
    newest = db.session.scalars(select(Run).where(Run.kind == "billing_deadlines").order_by(Run.created_at.desc())).first()
    assert newest.status == "succeeded"
    assert "StripeUnavailable" not in client.get("/admin/health").get_data(as_text=True)


def test_overview_counts_what_the_health_page_lists(client, admin, factories):
    from app.admin import health

    a = factories.business(owner=factories.user(), name="Alpha Dental")
    db.session.add_all([
        JobRun(kind="billing_deadlines", status="failed", error="down", created_at=at("2027-06-15 10:00")),
        JobRun(kind="crm_sync", business_id=a.id, status="failed", error="x", created_at=at("2027-06-14 10:00")),
        JobRun(kind="crm_sync", business_id=a.id, status="succeeded", created_at=at("2027-06-14 11:00")),  # clears it
        JobRun(kind="contact_import", business_id=a.id, status="failed", error="bad file",
               created_at=at("2027-06-13 10:00")),
        WebhookEvent(source="fourcalls", event_id="evt_failed", event_type="call.completed", payload={}, attempts=2,
                     error="TimeoutError"),
        WebhookEvent(source="fourcalls", event_id="evt_waiting", event_type="call.completed", payload={}, attempts=0),
    ])
    db.session.commit()
    assert health.failed_job_count() == len(health.failed_jobs()) == 2
    assert health.failed_webhook_count() == len(health.failed_webhooks()) == 1
    page = client.get("/admin/").get_data(as_text=True)
    assert '<div class="stat-label">Failed jobs</div><div class="stat bad-text">2</div>' in page
    assert '<div class="stat-label">Failed webhooks</div><div class="stat bad-text">1</div>' in page


def test_contact_import_failures_are_listed_but_not_retried_here(client, admin):
    run = JobRun(kind="contact_import", status="failed", error="bad file", attempts=1)
    db.session.add(run)
    db.session.commit()
    assert "Retried by the owner" in client.get("/admin/health").get_data(as_text=True)
    client.post(f"/admin/health/jobs/{run.id}/retry")
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "job.retried")) is None


def test_bad_filters_keep_the_last_good_view(client, admin):
    client.get("/admin/metrics/mrr?from=2027-01&to=2027-03&package=ai_sales")
    response = client.get("/admin/metrics/mrr?from=2027-13&to=2027-04")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-field="from"' in page
    assert "Jan 2027 – Mar 2027" in page and 'value="2027-13"' in page
    assert 'option value="ai_sales" selected' in page
