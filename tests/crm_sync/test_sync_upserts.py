"""Applying 4calls rows to the local tables: idempotent, ordered, linked,
never clobbering an owner's pending edit."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from app.extensions import db
from app.models import Appointment, Call, Contact, SyncState
from app.crm_sync.upserts import BATCH_SIZE, apply_remote_appointments, apply_remote_calls, apply_remote_contacts
from tests.sync_helpers import activate, remote_appointment, remote_call, remote_contact, stamp


def count(model, business):
    return db.session.scalar(select(func.count()).select_from(model).where(model.business_id == business.id))


def test_contacts_insert_then_update_then_ignore_stale(app, factories):
    business = factories.business(owner=factories.user())
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    first = apply_remote_contacts(business, [remote_contact(1, updated_at=t0, tags=["vip", "new"])])
    db.session.commit()
    assert (first.inserted, first.updated) == (1, 0)
    newer = remote_contact(1, updated_at=t0 + timedelta(seconds=5), name="Renamed", tags=["vip"])
    again = apply_remote_contacts(business, [newer, newer])
    db.session.commit()
    assert (again.inserted, again.updated) == (0, 1)
    stale = apply_remote_contacts(business, [remote_contact(1, updated_at=t0, name="Old name")])
    db.session.commit()
    assert (stale.updated, stale.skipped) == (0, 1)
    contact = db.session.scalar(select(Contact).where(Contact.remote_id == "con_000001"))
    assert contact.name == "Renamed"
    assert contact.tag_names == ["vip"]
    assert count(Contact, business) == 1


def test_pending_local_edit_is_not_overwritten(app, factories):
    business = factories.business(owner=factories.user())
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    apply_remote_contacts(business, [remote_contact(2, updated_at=t0, tags=["a"])])
    db.session.commit()
    contact = db.session.scalar(select(Contact).where(Contact.remote_id == "con_000002"))
    contact.name, contact.sync_state = "Owner typed this", SyncState.PENDING
    db.session.commit()
    result = apply_remote_contacts(business, [remote_contact(2, updated_at=t0 + timedelta(hours=1), name="Remote", tags=["b"])])
    db.session.commit()
    db.session.refresh(contact)
    assert result.skipped == 1
    assert contact.name == "Owner typed this" and contact.sync_state == SyncState.PENDING
    assert contact.tag_names == ["a"]


def test_unlinked_local_contact_with_same_phone_is_adopted_not_doubled(app, factories):
    business = factories.business(owner=factories.user())
    local = Contact(business_id=business.id, name="Typed here", phone="+15550000003", sync_state=SyncState.SYNCED)
    db.session.add(local)
    db.session.commit()
    apply_remote_contacts(business, [remote_contact(3, name="From 4calls")])
    db.session.commit()
    assert count(Contact, business) == 1
    db.session.refresh(local)
    assert local.remote_id == "con_000003" and local.name == "From 4calls"


def test_tombstone_marks_contact_deleted(app, factories):
    business = factories.business(owner=factories.user())
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    apply_remote_contacts(business, [remote_contact(4, updated_at=t0)])
    apply_remote_contacts(business, [remote_contact(4, updated_at=t0 + timedelta(seconds=1), deleted=True,
                                                    deleted_at=stamp(t0 + timedelta(seconds=1)))])
    db.session.commit()
    contact = db.session.scalar(select(Contact).where(Contact.remote_id == "con_000004"))
    assert contact.deleted_at is not None


def test_calls_link_contacts_in_either_order_and_are_not_doubled(app, factories):
    business = factories.business(owner=factories.user())
    apply_remote_calls(business, [remote_call(10, contact_id="con_000011")])
    db.session.commit()
    call = db.session.scalar(select(Call).where(Call.remote_id == "call_000010"))
    assert call.contact_id is None and call.contact_remote_id == "con_000011"
    apply_remote_contacts(business, [remote_contact(11)])
    db.session.commit()
    db.session.refresh(call)
    assert call.contact.remote_id == "con_000011"
    assert "gluten free pasta" in call.search_text and call.summary
    apply_remote_calls(business, [remote_call(10, contact_id="con_000011")] * 3)
    db.session.commit()
    assert count(Call, business) == 1


def test_appointments_upsert_and_link(app, factories):
    business = factories.business(owner=factories.user())
    apply_remote_contacts(business, [remote_contact(20)])
    t0 = datetime(2026, 2, 1, tzinfo=timezone.utc)
    apply_remote_appointments(business, [remote_appointment(21, contact_id="con_000020", updated_at=t0)])
    apply_remote_appointments(business, [remote_appointment(21, contact_id="con_000020", status="cancelled",
                                                            updated_at=t0 + timedelta(minutes=1))])
    db.session.commit()
    appointment = db.session.scalar(select(Appointment).where(Appointment.remote_id == "appt_000021"))
    assert appointment.status == "cancelled" and appointment.contact.remote_id == "con_000020"
    assert count(Appointment, business) == 1


def test_large_batches_and_businesses_are_separate(app, factories):
    first = factories.business(owner=factories.user())
    second = factories.business(owner=factories.user())
    rows = [remote_call(1000 + i) for i in range(BATCH_SIZE + 50)]
    result = apply_remote_calls(first, rows)
    apply_remote_calls(second, rows[:10])
    db.session.commit()
    assert result.inserted == BATCH_SIZE + 50
    assert count(Call, first) == BATCH_SIZE + 50 and count(Call, second) == 10


def test_new_calls_in_the_period_meter_minutes_once(app, factories):
    from app.usage.services import usage_summary

    business = factories.business(owner=factories.user())
    activate(business, "ai_sales")
    now = datetime.now(timezone.utc)
    rows = [
        remote_call(30, duration_seconds=61, started_at=now - timedelta(hours=1)),  # 2 minutes
        remote_call(31, duration_seconds=30, direction="outbound", started_at=now - timedelta(hours=1)),  # 1
        remote_call(32, duration_seconds=600, started_at=now - timedelta(days=90)),  # an earlier period
    ]
    apply_remote_calls(business, rows)
    apply_remote_calls(business, rows)  # a redelivery meters nothing
    db.session.commit()
    meters = {m.service_type: m.used for m in usage_summary(business)}
    assert meters["inbound_minutes"] == 2 and meters["outbound_minutes"] == 1


def test_batch_row_ids_are_distinct_version_4_uuids():
    from app.crm_sync.bulk import new_row_ids

    ids = new_row_ids(500)
    assert len(set(ids)) == 500
    assert {row_id.version for row_id in ids} == {4} and {row_id.variant for row_id in ids} == {ids[0].variant}
    assert new_row_ids(0) == []


def test_call_upsert_maps_every_row_of_the_batch_to_its_local_id(app, factories):
    from app.crm_sync.upserts import _apply_call_batch

    business = factories.business(owner=factories.user())
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    _apply_call_batch(business, [remote_call(1, updated_at=t0)])
    db.session.commit()
    result = _apply_call_batch(business, [remote_call(1, updated_at=t0), remote_call(2, updated_at=t0)])
    db.session.commit()
    stored = dict(db.session.execute(select(Call.remote_id, Call.id).where(Call.business_id == business.id)).all())
    assert result.local_ids == stored and set(stored) == {"call_000001", "call_000002"}
    assert result.inserted_ids == ["call_000002"]


def test_a_calls_unanswered_questions_follow_its_newest_version(app, factories):
    from app.models import CallQuestion

    business = factories.business(owner=factories.user())
    t0 = datetime(2026, 3, 1, 15, tzinfo=timezone.utc)

    def asked():
        return sorted(db.session.execute(select(CallQuestion.call_remote_id, CallQuestion.question).where(
            CallQuestion.business_id == business.id)).all())

    apply_remote_calls(business, [remote_call(41, started_at=t0, unanswered_questions=["Do you deliver?"]),
                                  remote_call(42, started_at=t0, unanswered_questions=["Open on Sundays?"])])
    db.session.commit()
    assert asked() == [("call_000041", "Do you deliver?"), ("call_000042", "Open on Sundays?")]

    # A newer version of call 41 replaces its questions; a new call in the same
    # batch adds its own; call 42, not in the batch, keeps its question.
    apply_remote_calls(business, [
        remote_call(41, started_at=t0, updated_at=t0 + timedelta(hours=1), unanswered_questions=["Gift cards?"]),
        remote_call(43, started_at=t0, unanswered_questions=["Parking?"]),
    ])
    db.session.commit()
    assert asked() == [("call_000041", "Gift cards?"), ("call_000042", "Open on Sundays?"),
                       ("call_000043", "Parking?")]

    # A newer version with no questions clears them; a stale one changes nothing.
    apply_remote_calls(business, [remote_call(41, started_at=t0, updated_at=t0 + timedelta(hours=2)),
                                  remote_call(42, started_at=t0, updated_at=t0, unanswered_questions=["Stale?"])])
    db.session.commit()
    assert asked() == [("call_000042", "Open on Sundays?"), ("call_000043", "Parking?")]
