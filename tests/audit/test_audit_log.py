"""The owner's audit log: changes are recorded with before -> after; owners and managers read it, filtered."""
from datetime import datetime, timezone

from sqlalchemy import select

from app.audit.services import record
from app.extensions import db
from app.models import AuditEntry, Contact, Membership
from tests.factories import make_integration


def settings_form(types="Haircut, 45"):
    form = {f"{d}_open": "08:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")}
    form.update({f"{d}_close": "18:00" for d in ("monday", "tuesday", "wednesday", "thursday", "friday")})
    form.update({"saturday_closed": "1", "sunday_closed": "1", "appointment_types": types, "reminders": "24"})
    return form


def actions(business):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.business_id == business.id)
                              .order_by(AuditEntry.created_at)).all()


def test_hours_and_appointment_types_are_recorded_with_before_and_after(client, auth, factories, run_jobs):
    owner = factories.user()
    business = factories.business(owner=owner)
    # Several appointment types are advanced scheduling (AI Sales Assistant and up).
    make_integration(business, package="ai_sales")
    auth.login(owner.email)
    client.post(f"/businesses/{business.slug}/appointments/settings", data=settings_form())
    client.post(f"/businesses/{business.slug}/appointments/settings", data=settings_form("Haircut, 45\nColour, 90"))
    entries = {e.action: e for e in actions(business)}
    assert "hours.changed" in entries
    types = [e for e in actions(business) if e.action == "appointments.types_changed"][-1]
    assert types.before == {"appointment_types": "Haircut (45 min)"}
    assert types.after == {"appointment_types": "Haircut (45 min), Colour (90 min)"}
    assert types.actor_label == owner.email


def test_contact_delete_and_exports_are_recorded(client, auth, factories):
    owner = factories.user()
    business = factories.business(owner=owner)
    contact = Contact(business_id=business.id, name="Zed Doe", phone="+15555550100")
    db.session.add(contact)
    db.session.commit()
    auth.login(owner.email)
    client.post(f"/businesses/{business.slug}/contacts/{contact.id}/delete")
    client.get(f"/businesses/{business.slug}/contacts/export.csv?tag=vip").get_data()
    client.get(f"/businesses/{business.slug}/calls/export.csv").get_data()
    by_action = {e.action: e for e in actions(business)}
    assert by_action["contacts.deleted"].target_label == "Zed Doe"
    assert by_action["contacts.exported"].after == {"tag": "vip"}
    assert "export.calls" in by_action


def test_owner_and_manager_read_the_log_filtered_staff_cannot(client, auth, factories):
    owner = factories.user()
    manager = factories.user()
    staff = factories.user()
    business = factories.business(owner=owner)
    other = factories.business(owner=factories.user())
    for person, role in ((manager, "manager"), (staff, "staff")):
        db.session.add(Membership(business_id=business.id, user_id=person.id, role=role))
    record("team.invited", business=business, actor=owner, target_label="a@example.com")
    record("hours.changed", business=business, before={"hours": "Mon 09:00-17:00"}, after={"hours": "Mon 08:00-18:00"})
    record("hours.changed", business=other, target_label="not ours")
    db.session.commit()

    auth.login(manager.email)
    page = client.get(f"/businesses/{business.slug}/audit").get_data(as_text=True)
    assert "a@example.com" in page and "Mon 08:00-18:00" in page and "not ours" not in page
    filtered = client.get(f"/businesses/{business.slug}/audit?area=team.").get_data(as_text=True)
    assert "a@example.com" in filtered and "Mon 08:00-18:00" not in filtered
    by_actor = client.get(f"/businesses/{business.slug}/audit?actor=system").get_data(as_text=True)
    assert "Mon 08:00-18:00" in by_actor and "a@example.com" not in by_actor
    for bad in ("since=9999-12-31", "since=0001-01-01", "until=banana", "area=nope", "page=99999999999999999999999"):
        assert client.get(f"/businesses/{business.slug}/audit?{bad}").status_code in (200, 422)
    auth.logout()
    auth.login(staff.email)
    assert client.get(f"/businesses/{business.slug}/audit").status_code == 403


def test_the_log_has_no_way_to_change_it(app):
    methods = {m for rule in app.url_map.iter_rules() if rule.endpoint.startswith("audit.") for m in rule.methods}
    assert methods <= {"GET", "HEAD", "OPTIONS"}


def test_date_filters_use_the_business_day(client, auth, factories, clock):
    owner = factories.user()
    business = factories.business(owner=owner, timezone="America/Los_Angeles")
    clock.set(datetime(2027, 3, 4, 6, 0, tzinfo=timezone.utc))  # 22:00 on the 3rd in Los Angeles
    record("hours.changed", business=business, target_label="late on the third")
    db.session.commit()
    auth.login(owner.email)
    third = client.get(f"/businesses/{business.slug}/audit?since=2027-03-03&until=2027-03-03").get_data(as_text=True)
    fourth = client.get(f"/businesses/{business.slug}/audit?since=2027-03-04").get_data(as_text=True)
    assert "late on the third" in third and "late on the third" not in fourth
