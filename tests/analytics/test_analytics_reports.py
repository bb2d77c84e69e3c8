"""The weekly email report (local Monday morning, once per week and recipient,
unsubscribable) and Enterprise saved reports: validation, scheduled delivery
to several recipients, expiring read-only share links."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.analytics import delivery
from app.extensions import db
from app.models import OutboundEmail, SavedReport
from app.crm_sync.upserts import apply_remote_calls
from tests.sync_helpers import activate, remote_call

UTC = timezone.utc
# Monday Mar 22 2027, 08:30 in Los Angeles (PDT, UTC-7).
MONDAY_MORNING_LA = datetime(2027, 3, 22, 15, 30, tzinfo=UTC)


def business_with_calls(factories, package="ai_business_suite", **fields):
    owner = factories.user()
    business = factories.business(owner=owner, name="Weekly Salon", timezone="America/Los_Angeles", **fields)
    activate(business, package=package)
    apply_remote_calls(business, [
        remote_call(810_001, started_at=datetime(2027, 3, 16, 17, 0, tzinfo=UTC), topic="Prices",
                    unanswered_questions=["Do you sell gift cards?"]),
        remote_call(810_002, started_at=datetime(2027, 3, 18, 17, 0, tzinfo=UTC), outcome="booked",
                    appointment_id="appt_1", topic="Bookings"),
        remote_call(810_003, started_at=datetime(2027, 3, 22, 6, 0, tzinfo=UTC), topic="Prices"),  # Sun 23:00 PDT
        remote_call(810_004, started_at=datetime(2027, 3, 22, 8, 0, tzinfo=UTC), topic="Prices"),  # Mon 01:00: next week
    ])
    db.session.commit()
    return business, owner


def emails(template):
    return db.session.scalars(select(OutboundEmail).where(OutboundEmail.template == template)
                              .order_by(OutboundEmail.to_address)).all()


def test_weekly_report_goes_out_once_on_the_local_monday_morning(app, factories, clock, run_jobs):
    business, owner = business_with_calls(factories)
    clock.set(datetime(2027, 3, 22, 13, 30, tzinfo=UTC))  # 06:30 in Los Angeles: too early
    assert delivery.send_due_reports()["weekly"] == 0
    clock.set(MONDAY_MORNING_LA)
    assert delivery.send_due_reports()["weekly"] == 1
    assert delivery.send_due_reports()["weekly"] == 0  # the next cron run the same morning
    run_jobs()
    [email] = emails("analytics/weekly_report")
    assert email.to_address == owner.email
    assert email.idempotency_key == f"weekly-report:{business.id}:2027-03-15:{owner.email}"
    assert "3 calls, 1 bookings" in email.subject and "Mar 15, 2027 – Mar 21, 2027" in email.subject
    assert "Prices: 2 calls" in email.text_body and "Do you sell gift cards?" in email.text_body
    assert "Inbound minutes:" in email.text_body
    assert "/reports/unsubscribe/" in email.text_body


def test_a_lower_package_gets_no_weekly_report(app, factories, clock):
    business_with_calls(factories, package="ai_sales")
    clock.set(MONDAY_MORNING_LA)
    assert delivery.send_due_reports()["weekly"] == 0


def test_unsubscribe_link_stops_the_report_for_that_address(app, client, factories, clock):
    business, owner = business_with_calls(factories)
    business_settings = {"enabled": "on", "recipients": "manager@example.com"}
    client.post("/login", data={"email": owner.email, "password": "correct-horse-battery"})
    assert client.post(f"/businesses/{business.slug}/analytics/weekly-report/settings",
                       data=business_settings).status_code == 302
    bad = client.post(f"/businesses/{business.slug}/analytics/weekly-report/settings",
                      data={"enabled": "on", "recipients": "not-an-address"})
    assert bad.status_code == 422 and "Not an email address" in bad.get_data(as_text=True)
    clock.set(MONDAY_MORNING_LA)
    assert delivery.send_due_reports()["weekly"] == 2
    manager_email = [e for e in emails("analytics/weekly_report") if e.to_address == "manager@example.com"][0]
    link = re.search(r"http://localhost(/reports/unsubscribe/\S+)", manager_email.text_body).group(1)
    client.post("/logout")
    assert "Unsubscribe" in client.get(link).get_data(as_text=True)  # a GET changes nothing
    assert client.post(link).status_code == 200
    assert client.get(link[:-3] + "xyz").status_code == 404  # tampered
    clock.set(datetime(2027, 3, 29, 15, 30, tzinfo=UTC))  # the next Monday morning
    assert delivery.send_due_reports()["weekly"] == 1
    assert [e.to_address for e in emails("analytics/weekly_report")].count("manager@example.com") == 1


def test_weekly_preview_shows_the_email(client, auth, factories, clock):
    business, owner = business_with_calls(factories)
    clock.set(datetime(2027, 3, 24, 18, 0, tzinfo=UTC))
    auth.login(owner.email)
    page = client.get(f"/businesses/{business.slug}/analytics/weekly-report/preview").get_data(as_text=True)
    assert "Your AI assistant&#39;s week" in page or "Your AI assistant's week" in page
    assert "Prices: 2 calls" in page


REPORT_FORM = {"name": "Front desk weekly", "metrics": ["calls", "answer_rate", "bookings"], "range_preset": "7d",
               "schedule": "weekly", "recipients": "a@example.com\nb@example.com", "direction": "inbound"}


@pytest.mark.parametrize("change, field", [({"name": ""}, "Give the report a name"),
                                           ({"metrics": []}, "Choose at least one figure"),
                                           ({"schedule": "hourly"}, "Choose one of the listed schedules"),
                                           ({"recipients": ""}, "needs at least one recipient"),
                                           ({"direction": "sideways"}, "Choose inbound, outbound or both")])
def test_saved_report_validation(client, auth, factories, clock, change, field):
    business, owner = business_with_calls(factories, package="ai_enterprise")
    auth.login(owner.email)
    response = client.post(f"/businesses/{business.slug}/analytics/enterprise/reports", data={**REPORT_FORM, **change})
    assert response.status_code == 422 and field in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(SavedReport)) == 0


def test_saved_report_schedule_and_expiring_share_link(client, auth, factories, clock, run_jobs):
    business, owner = business_with_calls(factories, package="ai_enterprise")
    clock.set(datetime(2027, 3, 20, 18, 0, tzinfo=UTC))
    auth.login(owner.email)
    created = client.post(f"/businesses/{business.slug}/analytics/enterprise/reports", data=REPORT_FORM)
    assert created.status_code == 302
    report = db.session.scalar(select(SavedReport))
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Front desk weekly" in page and "Answer rate" in page

    shared = client.post(f"/businesses/{business.slug}/analytics/enterprise/reports/{report.id}/share",
                         data={"days": "7"}).get_data(as_text=True)
    url = re.search(r'value="http://localhost(/shared/reports/[^"]+)"', shared).group(1)
    assert client.post(f"/businesses/{business.slug}/analytics/enterprise/reports/{report.id}/share",
                       data={"days": "365"}).status_code == 422
    client.post("/logout")
    public = client.get(url)
    assert public.status_code == 200 and "read-only shared report" in public.get_data(as_text=True)
    assert "Delete report" not in public.get_data(as_text=True)
    assert client.get(url + "x").status_code == 404
    clock.advance(days=8)
    assert client.get(url).status_code == 404  # expired

    clock.set(datetime(2027, 3, 22, 15, 30, tzinfo=UTC))  # Monday 08:30 in Los Angeles
    counts = delivery.send_due_reports()
    assert counts["saved"] == 2 and delivery.send_due_reports()["saved"] == 0
    run_jobs()
    sent = emails("analytics/saved_report")
    assert [e.to_address for e in sent] == ["a@example.com", "b@example.com"]
    assert "Front desk weekly" in sent[0].subject and "Mar 15, 2027 – Mar 21, 2027" in sent[0].subject


def test_revoked_link_and_another_owners_report_are_404(client, auth, factories, clock):
    business, owner = business_with_calls(factories, package="ai_enterprise")
    auth.login(owner.email)
    client.post(f"/businesses/{business.slug}/analytics/enterprise/reports", data=REPORT_FORM)
    report = db.session.scalar(select(SavedReport))
    shared = client.post(f"/businesses/{business.slug}/analytics/enterprise/reports/{report.id}/share",
                         data={"days": "1"}).get_data(as_text=True)
    url = re.search(r'value="http://localhost(/shared/reports/[^"]+)"', shared).group(1)
    link = report.share_links[0]
    client.post(f"/businesses/{business.slug}/analytics/enterprise/reports/{report.id}/share/{link.id}/revoke")
    assert client.get(url).status_code == 404

    intruder = factories.user()
    other = factories.business(owner=intruder, name="Other Co")
    activate(other, package="ai_enterprise")
    auth.logout()
    auth.login(intruder.email)
    for path in (f"/businesses/{business.slug}/analytics/enterprise/reports/{report.id}",
                 f"/businesses/{other.slug}/analytics/enterprise/reports/{report.id}"):
        assert client.get(path).status_code == 404
    for path in (f"/businesses/{other.slug}/analytics/enterprise/reports/{report.id}/delete",
                 f"/businesses/{other.slug}/analytics/enterprise/reports/{report.id}/share"):
        assert client.post(path, data={"days": "1"}).status_code == 404
    assert db.session.get(SavedReport, report.id) is not None
