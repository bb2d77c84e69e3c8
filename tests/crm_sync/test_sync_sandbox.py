"""Sync against the real 4calls sandbox over HTTP, with faults: it must end
with exactly the sandbox's contacts, calls and appointments, none lost, none
doubled, and a later run must only bring what changed."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.fourcalls import platform_client
from app.fourcalls.health import clear_cache
from app.models import Appointment, Call, Contact, JobRun
from app.crm_sync import services as sync
from sandbox.fourcalls.testing import running_fourcalls
from tests.fourcalls_helpers import provision

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with running_fourcalls(tmp_path_factory.mktemp("fourcalls-sync")) as handle:
        yield handle


@pytest.fixture
def fourcalls(app, sandbox, monkeypatch):
    sandbox.clear_faults()
    monkeypatch.setitem(app.config, "FOURCALLS_API_URL", sandbox.url)
    monkeypatch.setitem(app.config, "FOURCALLS_API_KEY", sandbox.platform_key)
    monkeypatch.setitem(app.config, "FOURCALLS_BACKOFF_BASE_SECONDS", 0.01)
    monkeypatch.setitem(app.config, "FOURCALLS_BACKOFF_MAX_SECONDS", 0.05)
    monkeypatch.setattr(sync, "PAGE_SIZE", 40)  # many pages, so faults strike mid-run
    clear_cache()
    yield sandbox
    sandbox.clear_faults()
    clear_cache()


def local_ids(model, business):
    return db.session.scalars(select(model.remote_id).where(model.business_id == business.id)).all()


def assert_mirrors(sandbox, organization_id, business):
    remote = sandbox.state(organization_id)["ids"]
    for model, kind in ((Contact, "contacts"), (Call, "calls"), (Appointment, "appointments")):
        mine = local_ids(model, business)
        assert len(mine) == len(set(mine)), f"doubled {kind}"
        assert sorted(mine) == sorted(remote[kind]), f"{kind} differ"


def sync_until_done(business, run_jobs, attempts=6) -> JobRun:
    """Sync now, as the owner would press it again after a failed run."""
    for _ in range(attempts):
        run = sync.request_sync(business, track=True)
        run_jobs()
        db.session.expire_all()
        run = db.session.get(JobRun, run.id)
        if run.status == "succeeded":
            return run
    raise AssertionError(f"sync did not succeed: {run.status} {run.error}")


@pytest.mark.slow
def test_sync_under_faults_mirrors_the_sandbox_exactly(app, fourcalls, factories, run_jobs):
    business = factories.business(owner=factories.user(), name="Fault Tolerant Pizza")
    organization = provision(business)
    fourcalls.seed(organization["id"], calls=260, contacts=90, appointments=45)
    client = platform_client()
    doomed = client.list_contacts(organization["id"], page_size=1).first()
    client.delete_contact(organization["id"], doomed["id"])
    fourcalls.set_faults(error_rate=0.25, drop_rate=0.1, rate_limit_burst={"every": 9, "length": 1, "retry_after": 1})

    run = sync_until_done(business, run_jobs)

    fourcalls.clear_faults()
    assert_mirrors(fourcalls, organization["id"], business)
    # A retried run resumes from its last committed page rather than starting over.
    assert 0 < run.counts["calls"]["received"] <= 260 + sync.PAGE_SIZE
    tombstone = db.session.scalar(select(Contact).where(Contact.remote_id == doomed["id"]))
    assert tombstone.deleted_at is not None
    linked = db.session.scalar(select(func.count()).select_from(Call).where(
        Call.business_id == business.id, Call.contact_remote_id.is_not(None), Call.contact_id.is_(None)))
    assert linked == 0, "every call with a contact is linked to the local contact"
    assert sync.last_synced_at(business) is not None

    # Incremental: only what changed since comes down, and nothing is doubled.
    fourcalls.generate_call(organization["id"], outcome="booked")
    fourcalls.generate_call(organization["id"], direction="outbound")
    again = sync_until_done(business, run_jobs)
    assert again.counts["calls"]["inserted"] == 2
    assert again.counts["calls"]["received"] < 10
    assert_mirrors(fourcalls, organization["id"], business)


def test_failed_run_is_recorded_and_resumes(app, fourcalls, factories, run_jobs):
    business = factories.business(owner=factories.user(), name="Always Down Diner")
    organization = provision(business)
    fourcalls.seed(organization["id"], calls=100)
    fourcalls.set_faults(error_rate=1.0)
    run = sync.request_sync(business, track=True)
    run_jobs()
    db.session.expire_all()
    failed = db.session.get(JobRun, run.id)
    assert failed.status == "failed" and "Unavailable" in failed.error
    assert "4calls.ai did not respond" in sync.last_sync_error(business)
    fourcalls.clear_faults()
    sync_until_done(business, run_jobs)
    assert_mirrors(fourcalls, organization["id"], business)
    assert sync.last_sync_error(business) is None


def test_sync_for_business_without_organization_is_refused_quietly(app, factories, run_jobs):
    from app.crm_sync.jobs import sync_business

    business = factories.business(owner=factories.user())
    sync_business(str(business.id))  # nothing to sync: no error, no run
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 0


def test_organization_slots_limit_concurrent_syncs(app, factories):
    from tests.sync_helpers import activate

    business = factories.business(owner=factories.user())
    activate(business)
    runs = [sync.claim_slot(business.id, None) for _ in range(sync.MAX_SYNCS_PER_ORGANIZATION)]
    with pytest.raises(sync.SyncBusy):
        sync.claim_slot(business.id, None)
    runs[0].status = "succeeded"
    db.session.commit()
    assert sync.claim_slot(business.id, None).status == "running"


def test_old_finished_runs_are_pruned(app, factories):
    from datetime import datetime, timedelta, timezone

    from tests.sync_helpers import activate

    business = factories.business(owner=factories.user())
    activate(business)
    old = datetime.now(timezone.utc) - timedelta(days=sync.RUN_RETENTION_DAYS + 1)
    db.session.add_all([
        JobRun(kind=sync.JOB_KIND, business_id=business.id, status="succeeded", created_at=old),
        JobRun(kind=sync.JOB_KIND, business_id=business.id, status="succeeded"),
        JobRun(kind="other", business_id=business.id, status="succeeded", created_at=old),
    ])
    db.session.commit()
    assert sync.prune_sync_runs() == 1
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 2


@pytest.mark.parametrize("seconds_per_page, committed_pages", [(0.0, 0), (0.6, 2), (1.0, 3)])
def test_pages_are_committed_once_a_second_and_a_failed_run_keeps_them(
        app, fourcalls, factories, monkeypatch, seconds_per_page, committed_pages):
    """Pages join one commit until COMMIT_EVERY_SECONDS have passed; a run that
    fails keeps what it committed (cursor, calls, progress) and loses only the
    pages after, which the next run fetches again."""
    from app.models import SyncCursor

    business = factories.business(owner=factories.user(), name="Paced Commits Cafe")
    organization = provision(business)
    fourcalls.seed(organization["id"], calls=4 * sync.PAGE_SIZE)
    now = [0.0]
    monkeypatch.setattr(sync, "_monotonic", lambda: now[0])
    prefetched_pages = sync._prefetched_pages

    def every_next_page_already_here(pager):  # only the clock decides here
        for page, _ in prefetched_pages(pager):
            yield page, lambda: True

    monkeypatch.setattr(sync, "_prefetched_pages", every_next_page_already_here)
    applied_pages = []
    apply_calls = sync._APPLY["calls"]

    def apply_then_fail_on_the_fourth(business, rows):
        if len(applied_pages) == 3:
            raise RuntimeError("worker killed")
        applied_pages.append(rows)
        now[0] += seconds_per_page
        return apply_calls(business, rows)

    monkeypatch.setitem(sync._APPLY, "calls", apply_then_fail_on_the_fourth)
    run = sync.claim_slot(business.id, None)
    with pytest.raises(RuntimeError):
        sync.sync_kinds(business, ("calls",), run)
    db.session.rollback()

    kept = {call_id for call_id in local_ids(Call, business)}
    assert len(kept) == committed_pages * sync.PAGE_SIZE
    assert kept == {row["id"] for page in applied_pages[:committed_pages] for row in page}
    cursor = db.session.scalar(select(SyncCursor).where(SyncCursor.business_id == business.id,
                                                        SyncCursor.kind == "calls"))
    db.session.refresh(run)
    assert (run.counts or {}).get("calls", {}).get("inserted", 0) == committed_pages * sync.PAGE_SIZE
    if committed_pages:
        assert cursor.updated_since is not None

    monkeypatch.setitem(sync._APPLY, "calls", apply_calls)
    sync.sync_kinds(business, ("calls",), sync.claim_slot(business.id, None))
    assert_mirrors(fourcalls, organization["id"], business)


def test_the_pages_so_far_are_committed_before_waiting_for_a_slow_page(app, fourcalls, factories, monkeypatch):
    """Within the second, but the next page has not arrived: the transaction,
    with the rollups' lock and the rows written, is not held open while 4calls
    takes its time."""
    import threading

    from sqlalchemy import event

    business = factories.business(owner=factories.user(), name="Slow Page Bistro")
    organization = provision(business)
    fourcalls.seed(organization["id"], calls=2 * sync.PAGE_SIZE)
    monkeypatch.setattr(sync, "_monotonic", lambda: 0.0)  # the clock never asks for a commit
    happened, committed = [], threading.Event()
    make_pager = sync._pager

    class SecondPageWaitsForACommit:
        def __init__(self, pager):
            self.pager, self.fetched = pager, 0

        def page(self, cursor):
            self.fetched += 1
            if self.fetched == 2:
                committed.wait(timeout=10)  # returns at once when the sync commits first
                happened.append("page 2 fetched")
            return self.pager.page(cursor)

    monkeypatch.setattr(sync, "_pager", lambda *args: SecondPageWaitsForACommit(make_pager(*args)))
    apply_calls = sync._APPLY["calls"]

    def apply_then_watch_for_the_commit(business, rows):
        result = apply_calls(business, rows)
        if not happened:
            happened.append("page 1 applied")
            event.listen(db.session(), "after_commit",
                         lambda _session: (happened.append("commit"), committed.set()), once=True)
        return result

    monkeypatch.setitem(sync._APPLY, "calls", apply_then_watch_for_the_commit)
    sync.sync_kinds(business, ("calls",), sync.claim_slot(business.id, None))
    assert happened[:3] == ["page 1 applied", "commit", "page 2 fetched"]
    assert_mirrors(fourcalls, organization["id"], business)
