"""The call log's results, kept per process under the business's change mark
(app/dashboard/kept.py): a second view runs none of the log's statements,
and every kind of write to what the rows show is on the very next view."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select, text, update

from app.dashboard import kept
from app.contacts.services import update_contact
from app.crm_sync.upserts import apply_remote_calls, apply_remote_contacts
from app.extensions import db
from app.models import Business, Call, Contact
from tests.sql_helpers import statements_during
from tests.sync_helpers import remote_call, remote_contact


def log_statements(client, url, **kwargs):
    """(page html, the statements that read calls) for one view of the log."""
    response, statements = statements_during(lambda: client.get(url, **kwargs))
    assert response.status_code == 200
    return response.get_data(as_text=True), [s for s in statements if "FROM calls" in s]


@pytest.fixture
def kept_log(client, auth, factories, marks, clock):
    owner = factories.user()
    business = factories.business(owner=owner, name="Golden Wok")
    apply_remote_contacts(business, [remote_contact(1, name="Maria Rossi", phone="+15550000001")])
    apply_remote_calls(business, [
        remote_call(10, started_at=clock.now - timedelta(hours=1), contact_id="con_000001"),
        remote_call(11, started_at=clock.now - timedelta(days=2), caller_name="Luca Bianchi", status="missed",
                    outcome="no_answer", transcript=[]),
    ])
    db.session.commit()
    auth.login(owner.email)
    url = f"/businesses/{business.slug}/calls"
    html, reads = log_statements(client, url)
    assert "Maria Rossi" in html and reads, "the first view reads the calls"
    return business, url


def test_a_second_view_reads_no_calls(client, kept_log):
    business, url = kept_log
    html, reads = log_statements(client, url)
    assert reads == [] and "Maria Rossi" in html and "Luca Bianchi" in html and "2 calls" in html
    # The htmx fragment is the same kept copy, alone.
    fragment, reads = log_statements(client, url, headers={"HX-Request": "true"})
    assert reads == [] and "<html" not in fragment and "Luca Bianchi" in fragment


def test_the_assistant_filter_is_kept_and_follows_a_renamed_assistant(client, factories, kept_log):
    business, url = kept_log
    coordinator = factories.coordinator(business, name="Sofia", fourcalls_id="coord_1")
    db.session.commit()
    assert ">Sofia<" in client.get(url).get_data(as_text=True)
    response, statements = statements_during(lambda: client.get(url))
    assert ">Sofia<" in response.get_data(as_text=True)
    assert not [s for s in statements if "fourcalls_coordinators" in s]
    coordinator.name = "Sofia Rossi"
    db.session.commit()
    assert ">Sofia Rossi<" in client.get(url).get_data(as_text=True)


def test_filters_and_pages_are_kept_apart(client, kept_log):
    business, url = kept_log
    html, reads = log_statements(client, url, query_string={"status": "missed"})
    assert reads and "Luca Bianchi" in html and "Maria Rossi" not in html
    html, reads = log_statements(client, url, query_string={"status": "missed"})
    assert reads == [] and "Maria Rossi" not in html
    html, _ = log_statements(client, url)
    assert "Maria Rossi" in html


def _new_call(business):
    apply_remote_calls(business, [remote_call(12, caller_name="Giulia Verdi")])


def _contact_renamed_in_the_app(business):
    contact = db.session.scalar(select(Contact).where(Contact.business_id == business.id))
    update_contact(business, contact, {"name": "Maria Esposito"})


def _contact_renamed_by_a_sync(business):
    apply_remote_contacts(business, [remote_contact(1, name="Maria Esposito", phone="+15550000001",
                                                    updated_at=datetime(2099, 1, 1, tzinfo=timezone.utc))])


def _contacts_renamed_in_bulk_by_id(business):
    # No business in the statement: every business's mark moves.
    ids = list(db.session.scalars(select(Contact.id).where(Contact.business_id == business.id)))
    db.session.execute(update(Contact).where(Contact.id.in_(ids)).values(name="Maria Esposito"))


def _call_edited_in_the_app(business):
    call = db.session.scalar(select(Call).where(Call.business_id == business.id, Call.remote_id == "call_000011"))
    call.caller_name = "Giulia Verdi"


def _calls_deleted(business):
    db.session.execute(delete(Call).where(Call.business_id == business.id, Call.remote_id == "call_000010"))


def _zone_changed(business):
    db.session.get(Business, business.id).timezone = "Asia/Tokyo"


@pytest.mark.parametrize("write, expected, gone", [
    (_new_call, "Giulia Verdi", None),
    (_contact_renamed_in_the_app, "Maria Esposito", "Maria Rossi"),
    (_contact_renamed_by_a_sync, "Maria Esposito", "Maria Rossi"),
    (_contacts_renamed_in_bulk_by_id, "Maria Esposito", "Maria Rossi"),
    (_call_edited_in_the_app, "Giulia Verdi", "Luca Bianchi"),
    (_calls_deleted, "1 call", "Maria Rossi"),
    (_zone_changed, "Asia/Tokyo", None),
])
def test_every_write_to_what_the_rows_show_is_on_the_next_view(client, kept_log, write, expected, gone):
    business, url = kept_log
    write(business)
    db.session.commit()
    html, reads = log_statements(client, url)
    assert reads, "the write moved the mark: the log is read again"
    assert expected in html
    assert gone is None or gone not in html


def test_a_rolled_back_write_keeps_the_copy(client, kept_log):
    business, url = kept_log
    _new_call(business)
    db.session.rollback()
    html, reads = log_statements(client, url)
    assert reads == [] and "Giulia Verdi" not in html


def test_a_write_that_moved_no_mark_shows_within_the_kept_time(client, kept_log, clock):
    business, url = kept_log
    # Behind the session's back (as when Redis failed as the write committed).
    db.session.execute(text("UPDATE calls SET caller_name = 'Giulia Verdi' WHERE remote_id = 'call_000011'"))
    db.session.commit()
    assert "Giulia Verdi" not in log_statements(client, url)[0]
    clock.advance(seconds=kept.KEPT_SECONDS + 1)
    assert "Giulia Verdi" in log_statements(client, url)[0]


def test_another_owner_never_gets_a_kept_copy(client, auth, factories, kept_log):
    business, url = kept_log
    auth.logout()
    auth.login(factories.user().email)
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404


def test_without_redis_every_view_reads_the_calls(app, client, auth, factories, monkeypatch):
    monkeypatch.delitem(app.extensions, "live_feed", raising=False)  # REDIS_URL unset
    owner = factories.user()
    business = factories.business(owner=owner)
    apply_remote_calls(business, [remote_call(20)])
    db.session.commit()
    auth.login(owner.email)
    url = f"/businesses/{business.slug}/calls"
    assert log_statements(client, url)[1] and log_statements(client, url)[1]
