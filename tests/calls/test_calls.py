"""The call log: filters, search, keyset pages, call page and CSV export."""
import csv
import io
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from app.calls import services
from app.extensions import db
from app.models import Call
from app.crm_sync.upserts import apply_remote_appointments, apply_remote_calls, apply_remote_contacts
from tests.sync_helpers import remote_appointment, remote_call, remote_contact

NOW = datetime.now(timezone.utc)


@pytest.fixture
def calls_business(client, auth, factories):
    owner = factories.user()
    business = factories.business(owner=owner, name="Golden Wok")
    apply_remote_contacts(business, [remote_contact(1, name="Maria Rossi", phone="+15550000001")])
    apply_remote_appointments(business, [remote_appointment(40, contact_id="con_000001")])
    apply_remote_calls(business, [
        remote_call(10, started_at=NOW - timedelta(hours=1), contact_id="con_000001", outcome="booked",
                    appointment_id="appt_000040", summary="Booked a table for four on Friday.",
                    transcript=[{"speaker": "assistant", "text": "Golden Wok, how can I help?", "at_second": 0},
                                {"speaker": "caller", "text": "A table for four on Friday please.", "at_second": 3}]),
        remote_call(11, started_at=NOW - timedelta(days=2), direction="outbound", status="missed", outcome="no_answer",
                    transcript=[], summary="No answer.", coordinator_id="coord_2"),
        remote_call(12, started_at=NOW - timedelta(days=10), summary="Asked about parking near the restaurant.",
                    caller_name="=HYPERLINK(\"http://evil\")"),
    ])
    db.session.commit()
    auth.login(owner.email)
    return business


def listed(response):
    html = response.get_data(as_text=True)
    return sorted(n for n in ("call_000010", "call_000011", "call_000012") if f'data-call="{n}"' in html)


def test_filters_combine_and_stay_in_links(client, calls_business):
    url = f"/businesses/{calls_business.slug}/calls"
    assert listed(client.get(url)) == ["call_000010", "call_000011", "call_000012"]
    assert listed(client.get(url, query_string={"direction": "outbound"})) == ["call_000011"]
    assert listed(client.get(url, query_string={"status": "answered", "outcome": "booked"})) == ["call_000010"]
    assert listed(client.get(url, query_string={"coordinator": "coord_2"})) == ["call_000011"]
    since = (NOW - timedelta(days=3)).date().isoformat()
    response = client.get(url, query_string={"from": since, "to": NOW.date().isoformat()})
    assert listed(response) == ["call_000010", "call_000011"]
    assert f"export.csv?from={since}" in response.get_data(as_text=True)


def test_search_in_transcripts_and_summaries(client, calls_business):
    url = f"/businesses/{calls_business.slug}/calls"
    assert listed(client.get(url, query_string={"q": "parking"})) == ["call_000012"]
    assert listed(client.get(url, query_string={"q": "table friday"})) == ["call_000010"]  # words from transcript
    assert listed(client.get(url, query_string={"q": "100%_off"})) == []
    partial = client.get(url, query_string={"q": "parking"}, headers={"HX-Request": "true"})
    assert "<form" not in partial.get_data(as_text=True) and "HX-Request" in partial.headers["Vary"]


def test_bad_filter_is_reported_and_ignored(client, calls_business):
    response = client.get(f"/businesses/{calls_business.slug}/calls", query_string={"from": "yesterday", "status": "lost"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a date as YYYY-MM-DD." in html and "Choose one of the listed options." in html
    assert listed(response) == ["call_000010", "call_000011", "call_000012"]
    assert 'value="yesterday"' in html  # what was typed stays in the field


def test_keyset_pages_cover_every_call_once(app, factories):
    business = factories.business(owner=factories.user())
    apply_remote_calls(business, [remote_call(100 + i, started_at=NOW - timedelta(minutes=i % 7)) for i in range(60)])
    db.session.commit()
    seen, before = [], None
    while True:
        page = services.list_calls(business, services.parse_filters({}), before=before, page_size=25)
        seen += [c.remote_id for c in page.calls]
        if not page.next_cursor:
            break
        before = page.next_cursor
    assert len(seen) == 60 and len(set(seen)) == 60 and page.total == 60


def test_show_more_returns_only_rows(client, calls_business):
    page = services.list_calls(calls_business, services.parse_filters({}), page_size=1)
    response = client.get(f"/businesses/{calls_business.slug}/calls",
                          query_string={"before": page.next_cursor, "more": "1"}, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<tr") and listed(response) == ["call_000011", "call_000012"]


def test_call_page_shows_conversation_contact_and_appointment(client, calls_business):
    call = db.session.query(Call).filter_by(remote_id="call_000010").one()
    html = client.get(f"/businesses/{calls_business.slug}/calls/{call.id}").get_data(as_text=True)
    assert 'class="msg visitor"' in html and "A table for four on Friday please." in html
    assert "Booked a table for four on Friday." in html and "Positive sentiment" in html
    assert "Maria Rossi" in html and "Consultation" in html


def test_call_of_another_business_is_404(client, calls_business, factories):
    other = factories.business(owner=factories.user())
    apply_remote_calls(other, [remote_call(900)])
    db.session.commit()
    foreign = db.session.query(Call).filter_by(business_id=other.id).one()
    assert client.get(f"/businesses/{calls_business.slug}/calls/{foreign.id}").status_code == 404
    assert client.get(f"/businesses/{other.slug}/calls/{foreign.id}").status_code == 404
    assert client.get(f"/businesses/{calls_business.slug}/calls/{uuid.uuid4()}").status_code == 404


def test_csv_export_is_filtered_streamed_and_safe(client, calls_business):
    response = client.get(f"/businesses/{calls_business.slug}/calls/export.csv", query_string={"direction": "inbound"})
    assert response.status_code == 200 and response.is_streamed and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["call_id"] for r in rows] == ["call_000010", "call_000012"]
    assert rows[0]["contact"] == "Maria Rossi"
    assert rows[1]["caller_name"].startswith("'=HYPERLINK")
    assert client.get(f"/businesses/{calls_business.slug}/calls/export.csv", query_string={"to": "nope"}).status_code == 422


def test_large_counts_are_capped(client, calls_business, monkeypatch):
    monkeypatch.setattr(services, "COUNT_CAP", 2)
    html = client.get(f"/businesses/{calls_business.slug}/calls").get_data(as_text=True)
    assert "More than 2 calls" in html
