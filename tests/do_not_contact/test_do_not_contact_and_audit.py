"""The shared do-not-contact list and the append-only audit log."""
import pytest
from sqlalchemy import select

from app.audit import services as audit
from app.do_not_contact import services as dnc
from app.extensions import db
from app.models import AuditEntry, DoNotContactChannel, DoNotContactSource


def test_listed_numbers_are_blocked_in_any_format_until_lifted_with_a_reason(app, factories):
    owner = factories.user()
    business = factories.business(owner=owner)
    dnc.add(business, DoNotContactChannel.PHONE, "+1 (415) 555-0100", source=DoNotContactSource.MANUAL,
            reason="asked on the phone", actor=owner)
    db.session.commit()
    assert dnc.is_blocked(business.id, phone="+14155550100")
    assert dnc.is_blocked(business.id, phone="+1 415 555 0100")
    other = factories.business(owner=owner)
    assert not dnc.is_blocked(other.id, phone="+14155550100")

    # Adding twice keeps one active entry.
    again = dnc.add(business, DoNotContactChannel.PHONE, "+14155550100", source=DoNotContactSource.SMS_STOP)
    db.session.commit()
    assert again.source == DoNotContactSource.MANUAL

    with pytest.raises(dnc.DoNotContactError):
        dnc.lift(business, again, reason="  ", actor=owner)
    dnc.lift(business, again, reason="customer asked to be called back", actor=owner)
    db.session.commit()
    assert not dnc.is_blocked(business.id, phone="+14155550100")
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.created_at))]
    assert actions.count("do_not_contact.added") == 1 and "do_not_contact.lifted" in actions


def test_emails_are_case_insensitive_and_bad_values_refused(app, factories):
    business = factories.business(owner=factories.user())
    dnc.add(business, DoNotContactChannel.EMAIL, "Ann@Example.com", source=DoNotContactSource.EMAIL_UNSUBSCRIBE)
    db.session.commit()
    assert dnc.is_blocked(business.id, email="ann@example.COM")
    for channel, value in [(DoNotContactChannel.PHONE, "call me"), (DoNotContactChannel.EMAIL, "no-at-sign"),
                           ("fax", "123")]:
        with pytest.raises(dnc.DoNotContactError):
            dnc.add(business, channel, value, source=DoNotContactSource.MANUAL)


def test_audit_records_who_and_what_changed(app, factories):
    owner = factories.user()
    business = factories.business(owner=owner)
    before, after = audit.changed_fields({"script": "old", "name": "Ava"}, {"script": "new", "name": "Ava"})
    audit.record("assistant.script_changed", business=business, actor=owner, before=before, after=after)
    audit.record("sync.failed", business=business)
    db.session.commit()
    rows = db.session.scalars(audit.query(scope="business", business_id=business.id)).all()
    assert {r.actor_label for r in rows} == {owner.email, "system"}
    changed = next(r for r in rows if r.action == "assistant.script_changed")
    assert changed.before == {"script": "old"} and changed.after == {"script": "new"}
    assert db.session.scalars(audit.query(scope="business", business_id=business.id, action_prefix="assistant.")).all() == [changed]
