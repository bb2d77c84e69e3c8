"""The live poll's fast path: "nothing new" answered from the business's change
mark in Redis without touching the database, for the login session that was
shown the feed only; a new call (written by any worker) shows on the next
poll; stale, forged or foreign tokens take the full, ownership-checked view.

Redis is the real one on the PostgreSQL run (TEST_REDIS_URL) and fakeredis
otherwise; a second "worker" is a second fast path with its own Redis
connection, sharing nothing with the first but Redis."""
from __future__ import annotations

import re
from datetime import timedelta

from app.dashboard import live_feed
from app.extensions import db
from app.crm_sync.upserts import apply_remote_calls
from app.usage import services as usage
from tests.sql_helpers import statements_during
from tests.sync_helpers import activate, remote_appointment, remote_call


def other_worker(app, store):
    """What another gunicorn worker's fast path would answer: 204, or None
    when it would hand the request to Flask."""
    fast = live_feed.NothingNewFastPath(lambda environ, start_response: None, app)
    fast.app = _AppWithStore(app, store)
    return fast


class _AppWithStore:
    def __init__(self, app, store):
        self._app, self.extensions = app, dict(app.extensions, live_feed=store)

    def __getattr__(self, name):
        return getattr(self._app, name)


def poll_through(fast, client, url):
    """Run `url` through a fast path with the client's cookies."""
    from werkzeug.test import EnvironBuilder

    cookie = "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())
    environ = EnvironBuilder(path=url.split("?")[0], query_string=url.partition("?")[2],
                             headers={"Cookie": cookie}).get_environ()
    answered = []
    fast(environ, lambda status, headers: answered.append(status))
    return answered[0] if answered else None


def open_feed(client, business):
    page = client.get(f"/businesses/{business.slug}/dashboard")
    assert page.status_code == 200
    token = re.search(r'dashboard/live\?v=([^"&]+)', page.get_data(as_text=True)).group(1)
    return f"/businesses/{business.slug}/dashboard/live?v={token}"


def logged_in_feed(client, auth, factories):
    """A new owner, logged in, with the dashboard open: (business, its live-poll URL)."""
    owner = factories.user()
    business = factories.business(owner=owner)
    activate(business, "ai_receptionist")
    auth.login(owner.email)
    return business, open_feed(client, business)


def test_nothing_new_is_answered_without_sql(client, auth, factories, marks):
    business, url = logged_in_feed(client, auth, factories)
    response, statements = statements_during(lambda: client.get(url, headers={"HX-Request": "true"}))
    assert response.status_code == 204 and response.get_data() == b""
    assert statements == []
    assert response.headers["Cache-Control"] == "no-store" and "HX-Request" in response.headers["Vary"]


def test_a_call_written_by_another_worker_shows_on_the_next_poll(app, client, auth, factories, marks):
    business, url = logged_in_feed(client, auth, factories)
    worker_b = other_worker(app, marks())
    assert poll_through(worker_b, client, url).startswith("204")
    # A webhook handled by worker A writes the call: the mark moves when it commits, not before.
    apply_remote_calls(business, [remote_call(4242, caller_name="Marta Rossi")])
    assert poll_through(worker_b, client, url).startswith("204")
    db.session.commit()
    assert poll_through(worker_b, client, url) is None  # worker B hands it to the full view
    changed = client.get(url, headers={"HX-Request": "true"})
    assert changed.status_code == 200 and "Marta Rossi" in changed.get_data(as_text=True)
    # The refreshed token is fast again.
    url = f"/businesses/{business.slug}/dashboard/live?v=" + re.search(
        r'dashboard/live\?v=([^"&]+)', changed.get_data(as_text=True)).group(1)
    assert poll_through(worker_b, client, url).startswith("204")


def test_a_rolled_back_write_does_not_move_the_mark(client, auth, factories, marks):
    business, url = logged_in_feed(client, auth, factories)
    apply_remote_calls(business, [remote_call(4343)])
    db.session.rollback()
    db.session.commit()
    assert client.get(url).status_code == 204


def test_metered_usage_moves_the_mark(client, auth, factories, marks):
    business, url = logged_in_feed(client, auth, factories)
    usage.record_usage(business, "inbound_minutes", 7)
    db.session.commit()
    changed = client.get(url, headers={"HX-Request": "true"})
    assert changed.status_code == 200 and "7 of 500" in changed.get_data(as_text=True)


def test_a_stale_token_is_refreshed_by_the_full_view(client, auth, factories, marks, clock):
    business, url = logged_in_feed(client, auth, factories)
    assert client.get(url).status_code == 204
    clock.advance(seconds=live_feed.FRESH_SECONDS + 1)
    refreshed = client.get(url, headers={"HX-Request": "true"})
    assert refreshed.status_code == 200 and "dashboard/live?v=" in refreshed.get_data(as_text=True)


def test_tokens_work_only_for_their_session_and_business(app, client, auth, factories, marks):
    business, url = logged_in_feed(client, auth, factories)
    token = url.partition("?v=")[2]
    # The same token on another business's URL is not "nothing new" for that business.
    other = factories.business(owner=factories.user())
    assert client.get(f"/businesses/{other.slug}/dashboard/live?v={token}").status_code == 404
    # A forged token, and no token, take the full view.
    assert client.get(url[:-3] + "AAA").status_code == 200
    # Another user presenting this owner's token gets no 204: the full view refuses them.
    auth.logout()
    stranger = factories.user()
    auth.login(stranger.email)
    assert client.get(url).status_code == 404
    # Logged out: no session cookie, no fast answer.
    auth.logout()
    assert client.get(url).status_code in (302, 401)


def test_redis_down_falls_back_to_the_full_view(app, client, auth, factories, marks):
    business, url = logged_in_feed(client, auth, factories)

    class Down:
        def get(self, *args):
            raise ConnectionError("redis is down")

        mget = get

        def pipeline(self, *args, **kwargs):
            raise ConnectionError("redis is down")

    app.extensions["live_feed"] = live_feed.MarkStore(Down())
    response, statements = statements_during(lambda: client.get(url))
    # The full view checked ownership and found the feed unchanged.
    assert response.status_code == 204 and statements
    apply_remote_calls(business, [remote_call(4444, caller_name="Down But Shown")])
    db.session.commit()  # the mark cannot be written; the full view still sees the call
    changed = client.get(url)
    assert changed.status_code == 200 and "Down But Shown" in changed.get_data(as_text=True)


def test_without_redis_the_full_view_answers(app, client, auth, factories, monkeypatch):
    monkeypatch.delitem(app.extensions, "live_feed", raising=False)  # REDIS_URL unset
    business, url = logged_in_feed(client, auth, factories)
    response, statements = statements_during(lambda: client.get(url))
    assert response.status_code == 204 and statements
    apply_remote_calls(business, [remote_call(4545)])
    db.session.commit()
    assert client.get(url).status_code == 200


def test_statistics_are_shared_per_mark_and_follow_new_calls(client, auth, factories, marks, clock):
    from datetime import datetime, timezone

    from app.dashboard import services

    clock.set(datetime(2027, 3, 16, 17, 0, tzinfo=timezone.utc))
    owner = factories.user()
    business = factories.business(owner=owner, timezone="America/Los_Angeles")
    activate(business, "ai_receptionist")
    apply_remote_calls(business, [remote_call(4600, started_at=clock.now - timedelta(hours=1))])
    db.session.commit()
    mark = live_feed.current_mark(business.id)
    first, _chart = services.cached_call_statistics(business, mark)
    (again, chart), statements = statements_during(lambda: services.cached_call_statistics(business, mark))
    assert statements == [] and again["today"].total == first["today"].total == 1
    assert chart.bars[-1].day.isoformat() == "2027-03-16" and chart.bars[-1].total == 1
    apply_remote_calls(business, [remote_call(4601, started_at=clock.now - timedelta(minutes=5))])
    db.session.commit()
    fresh, _chart = services.cached_call_statistics(business, live_feed.current_mark(business.id))
    assert fresh["today"].total == 2
    # The local day turning starts a new entry: yesterday's calls leave "Today".
    clock.advance(hours=15)  # 08:00 PDT the next day
    later, _chart = services.cached_call_statistics(business, live_feed.current_mark(business.id))
    assert later["today"].total == 0 and later["week"].total == 2


def test_writes_to_calls_and_contacts_move_the_mark_of_the_business_they_name(app, factories, marks):
    """The session's hooks: a write that names its business moves that mark only;
    one that names none (a bulk update by ids) moves every business's."""
    from sqlalchemy import or_, update

    from app.models import Contact

    first, second = factories.business(owner=factories.user()), factories.business(owner=factories.user())
    db.session.add_all([Contact(business_id=first.id, name="Ana"), Contact(business_id=second.id, name="Ben")])
    db.session.commit()

    def marks_now():
        return live_feed.current_mark(first.id), live_feed.current_mark(second.id)

    before = marks_now()
    db.session.execute(update(Contact).where(Contact.business_id == first.id).values(notes="called back"))
    db.session.commit()
    after = marks_now()
    assert after[0] != before[0] and after[1] == before[1]
    db.session.execute(update(Contact).where(or_(Contact.business_id == first.id, Contact.name == "Ben"))
                       .values(notes="both"))
    db.session.commit()
    assert all(now != then for now, then in zip(marks_now(), after))


def test_the_dashboards_calls_and_figures_are_kept_per_mark_and_follow_each_write(client, auth, factories, marks,
                                                                                  clock):
    """A second view reads no calls; a renamed caller and a new call each show on the next view,
    and the live feed's answer carries the kept figures out of band."""
    from sqlalchemy import select

    from app.models import Contact

    owner = factories.user()
    business = factories.business(owner=owner)
    activate(business, "ai_receptionist")
    db.session.add(Contact(business_id=business.id, name="Ana Lima", phone="+15550004700", remote_id="con_004700"))
    apply_remote_calls(business, [remote_call(4700, started_at=clock.now - timedelta(hours=1),
                                              contact_id="con_004700")])
    db.session.commit()
    auth.login(owner.email)
    url = f"/businesses/{business.slug}/dashboard"
    first = client.get(url).get_data(as_text=True)
    assert "Ana Lima" in first
    again, statements = statements_during(lambda: client.get(url))
    assert again.status_code == 200 and not [s for s in statements if "FROM calls" in s]
    assert re.search(r'data-window="today">.*?<div class="stat">1 ', again.get_data(as_text=True), re.S)

    db.session.scalar(select(Contact).where(Contact.remote_id == "con_004700")).name = "Ana Souza"
    db.session.commit()
    assert "Ana Souza" in client.get(url).get_data(as_text=True)

    feed = open_feed(client, business)
    apply_remote_calls(business, [remote_call(4701, started_at=clock.now - timedelta(minutes=5),
                                              caller_name="Bruno Reis")])
    db.session.commit()
    live = client.get(feed, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Bruno Reis" in live and 'id="call-stats" class="grid cols-3" hx-swap-oob="true"' in live
    assert re.search(r'data-window="today">.*?<div class="stat">2 ', live, re.S)


def test_the_leads_panel_is_kept_and_follows_leads_and_the_package(client, auth, factories, marks):
    from app.models import Lead

    owner = factories.user()
    business = factories.business(owner=owner)
    integration = activate(business, "ai_business_suite")
    db.session.commit()
    auth.login(owner.email)
    url = f"/businesses/{business.slug}/dashboard"

    def open_leads(html):
        found = re.search(r'<span class="stat">(\d+)</span> open leads', html)
        return int(found.group(1)) if found else None

    assert open_leads(client.get(url).get_data(as_text=True)) == 0
    again, statements = statements_during(lambda: client.get(url))
    assert open_leads(again.get_data(as_text=True)) == 0 and not [s for s in statements if "FROM leads" in s]
    db.session.add(Lead(business_id=business.id, name="Nina Park", phone="+15550004800", source="manual"))
    db.session.commit()
    assert open_leads(client.get(url).get_data(as_text=True)) == 1
    integration.status = "suspended"  # no package applies while suspended: no panel, at once
    db.session.commit()
    assert open_leads(client.get(url).get_data(as_text=True)) is None
    integration.status, integration.service_package = "active", "ai_receptionist"  # no lead management
    db.session.commit()
    assert open_leads(client.get(url).get_data(as_text=True)) is None


def test_todays_appointments_and_the_assistants_are_kept_and_follow_each_write(client, auth, factories, marks,
                                                                                clock):
    from app.crm_sync.upserts import apply_remote_appointments

    owner = factories.user()
    business = factories.business(owner=owner)
    activate(business, "ai_receptionist")
    coordinator = factories.coordinator(business, name="Sofia", role="receptionist")
    db.session.commit()
    auth.login(owner.email)
    url = f"/businesses/{business.slug}/dashboard"
    first = client.get(url).get_data(as_text=True)
    assert "Sofia" in first and "No appointments today" in first
    again, statements = statements_during(lambda: client.get(url))
    assert not [s for s in statements if "FROM appointments" in s or "FROM fourcalls_coordinators" in s]
    apply_remote_appointments(business, [remote_appointment(4900, starts_at=clock.now + timedelta(hours=1),
                                                            customer_name="Olga Ruiz")])
    db.session.commit()
    assert "Olga Ruiz" in client.get(url).get_data(as_text=True)
    coordinator.name = "Sofia Marchetti"
    db.session.commit()
    assert "Sofia Marchetti" in client.get(url).get_data(as_text=True)


def test_marks_survive_a_savepoint_rollback_and_follow_a_move_between_businesses(factories, marks):
    from app.models import Contact

    first, second = factories.business(owner=factories.user()), factories.business(owner=factories.user())
    contact = Contact(business_id=first.id, name="Ana")
    db.session.add(contact)
    db.session.commit()
    before = live_feed.current_mark(first.id), live_feed.current_mark(second.id)
    contact.notes = "called back"
    db.session.flush()  # the first business's mark is queued
    with db.session.begin_nested() as savepoint:  # a lost insert race, say, in the same transaction
        db.session.add(Contact(business_id=second.id, name="Ben"))
        db.session.flush()
        savepoint.rollback()
    db.session.commit()
    after = live_feed.current_mark(first.id), live_feed.current_mark(second.id)
    assert after[0] != before[0], "the savepoint's rollback dropped the transaction's mark"
    contact.business_id = second.id  # moved: the business it left must see it go too
    db.session.commit()
    moved = live_feed.current_mark(first.id), live_feed.current_mark(second.id)
    assert moved[0] != after[0] and moved[1] != after[1]


def test_the_recent_rows_drawn_are_the_rows_the_poll_hashes(client, auth, factories, marks, app, clock):
    """Even if the kept list of recent calls is computed again while older rows are
    still kept (a write that moved no mark), the page draws the list it hashed."""
    from sqlalchemy import text

    owner = factories.user()
    business = factories.business(owner=owner)
    activate(business, "ai_receptionist")
    apply_remote_calls(business, [remote_call(5000, started_at=clock.now - timedelta(hours=1))])
    db.session.commit()
    auth.login(owner.email)
    url = f"/businesses/{business.slug}/dashboard"
    client.get(url)
    db.session.execute(text("UPDATE calls SET caller_name = 'Behind The Hooks', remote_updated_at = started_at"
                            " WHERE remote_id = 'call_005000'"))
    db.session.commit()
    kept = app.extensions["kept_pieces"]
    for key in [key for key in kept if key[0] == "recent-calls"]:
        del kept[key]  # the list expired before the rows kept beside it
    assert "Behind The Hooks" in client.get(url).get_data(as_text=True)


def test_kept_figures_turn_with_the_local_day(client, auth, factories, marks, clock):
    """A piece kept seconds before the business's midnight is not shown after it:
    the local day is in the key, not only the minute's expiry."""
    from datetime import datetime, timezone

    clock.set(datetime(2027, 3, 17, 6, 59, 50, tzinfo=timezone.utc))  # 23:59:50 in Los Angeles (PDT)
    owner = factories.user()
    business = factories.business(owner=owner, timezone="America/Los_Angeles")
    activate(business, "ai_receptionist")
    apply_remote_calls(business, [remote_call(5100, started_at=clock.now - timedelta(hours=1))])
    db.session.commit()
    auth.login(owner.email)
    url = f"/businesses/{business.slug}/dashboard"
    today = re.compile(r'data-window="today">.*?<div class="stat">(\d+) ', re.S)
    assert today.search(client.get(url).get_data(as_text=True)).group(1) == "1"
    clock.advance(seconds=20)  # 00:00:10: a new day, well within the kept minute
    assert today.search(client.get(url).get_data(as_text=True)).group(1) == "0"
