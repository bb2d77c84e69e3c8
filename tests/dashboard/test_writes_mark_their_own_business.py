"""Owner actions and jobs that write rows the dashboard keeps (contacts, calls,
coordinators) move the change mark of their own business, and never the mark
every business shares: at 10,000 businesses, one contact merge or one push of
an assistant's settings marking all of them would make every kept dashboard
recompute (app/dashboard/live_feed.py). Each UPDATE below names its business
in its WHERE clause, which is how the bulk-write hook tells whose rows they are.

Runs with the real Redis on the PostgreSQL run and fakeredis otherwise (the
`marks` fixture)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.assistant import provisioning
from app.crm_sync.upserts import apply_remote_contacts
from app.dashboard import live_feed
from app.extensions import db
from app.models import Call, Contact, ContactImport, Coordinator
from tests.contacts.test_contacts import add_contact, give_package
from tests.contacts.test_contacts_import import upload
from tests.sync_helpers import activate, remote_contact


@pytest.fixture
def watch(marks, factories):
    """(business, moved()): moved() says whether this business's mark, another
    business's and the shared one changed since the last call."""
    mine = factories.business(owner=factories.user(), name="Merge Salon")
    other = factories.business(owner=factories.user(), name="Bystander Bakery")
    redis = marks().redis

    def snapshot():
        return live_feed.current_mark(mine.id), live_feed.current_mark(other.id), redis.get(live_feed._ALL_KEY)

    last = [snapshot()]

    def moved() -> tuple[bool, bool, bool]:
        now = snapshot()
        changed = tuple(before != after for before, after in zip(last[0], now))
        last[0] = now
        return changed

    return mine, moved


def test_a_contact_merge_marks_its_own_business_only(watch):
    from app.contacts.merge import load_group, merge, merge_plan

    business, moved = watch
    give_package(business, "ai_business_suite")
    kept, duplicate = add_contact(business, "Ada", phone="+15552011001"), add_contact(business, "Ada")
    db.session.add(Call(business_id=business.id, remote_id="merge-call", direction="inbound", status="answered",
                        contact_id=duplicate.id, started_at=datetime(2027, 3, 1, 12, tzinfo=timezone.utc)))
    db.session.commit()
    moved()
    merge(business, merge_plan(business, load_group(business, [kept.id, duplicate.id])))
    assert moved() == (True, False, False)
    assert db.session.scalar(select(Call.contact_id).where(Call.remote_id == "merge-call")) == kept.id


def test_an_import_that_merges_into_existing_contacts_marks_its_own_business_only(watch, client, auth, run_jobs):
    business, moved = watch
    give_package(business, "ai_sales")
    auth.login(business.owner.email)
    existing = add_contact(business, "Ada Lovelace", phone="+15552011001")
    moved()
    response = upload(client, business, b"Full name,Mobile,E-mail\nAda L.,555 201 1001,ada@example.com\n")
    client.post(response.headers["Location"], data={"map_name": "Full name", "map_phone": "Mobile",
                                                    "map_email": "E-mail", "action": "start"})
    run_jobs()
    assert moved() == (True, False, False)
    db.session.expire_all()
    assert db.session.scalar(select(ContactImport.merged_count)) == 1
    assert db.session.get(Contact, existing.id).email == "ada@example.com"


def test_a_sync_adopting_a_contact_4calls_already_holds_marks_its_own_business_only(watch):
    business, moved = watch
    activate(business, "ai_receptionist")
    local = add_contact(business, "Grace", phone="+15552011002")  # its push's answer was lost: no remote id
    moved()
    apply_remote_contacts(business, [remote_contact(phone="+15552011002", name="Grace")])
    db.session.commit()
    assert moved() == (True, False, False)
    db.session.expire_all()
    assert db.session.get(Contact, local.id).remote_id is not None


@pytest.mark.integration
def test_pushing_a_coordinator_edit_and_its_refusal_mark_their_own_business_only(watch, use_fourcalls, run_jobs):
    business, moved = watch
    use_fourcalls()
    provisioning.activate_package(business, "ai_receptionist", "test")
    run_jobs()
    [coordinator] = db.session.scalars(select(Coordinator).where(Coordinator.business_id == business.id))
    for voice, accepted in (("aria", True), ("withdrawn", False)):  # 4calls refuses a voice it withdrew
        coordinator = db.session.get(Coordinator, coordinator.id)
        coordinator.voice, coordinator.version = voice, coordinator.version + 1
        db.session.commit()
        moved()
        provisioning.request_push(business)
        run_jobs()
        assert moved() == (True, False, False)
        db.session.expire_all()
        coordinator = db.session.get(Coordinator, coordinator.id)
        assert (coordinator.synced_version == coordinator.version) is accepted
        assert coordinator.refused is not accepted
