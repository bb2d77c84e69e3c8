"""Teams: invitations by email, roles, and always at least one owner."""
import re

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, Business, Invitation, Membership, OutboundEmail


def invite(client, business, email="sam@example.com", role="staff"):
    return client.post(f"/businesses/{business.slug}/team/invite", data={"email": email, "role": role})


def invitation_link(email):
    mail = db.session.scalars(select(OutboundEmail).where(OutboundEmail.to_address == email)
                              .order_by(OutboundEmail.created_at.desc())).first()
    return re.search(r"http://localhost(/invitations/\S+)", mail.text_body).group(1)


def test_invite_accept_as_existing_user_gives_the_role(client, auth, factories, run_jobs):
    owner = factories.user()
    business = factories.business(owner=owner)
    sam = factories.user(email="sam@example.com")
    auth.login(owner.email)
    assert invite(client, business).status_code == 302
    run_jobs()
    link = invitation_link("sam@example.com")
    auth.logout()
    auth.login(sam.email)
    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/businesses/{business.slug}/calls"
    assert client.get(f"/businesses/{business.slug}/calls").status_code == 200
    assert client.get(f"/businesses/{business.slug}/billing").status_code == 403
    # Single use.
    assert client.get(link).status_code == 404
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.business_id == business.id)).all()
    assert {"team.invited", "team.joined"} <= set(actions)


def test_invitation_creates_an_account_for_a_newcomer(client, auth, factories, run_jobs):
    owner = factories.user()
    business = factories.business(owner=owner)
    auth.login(owner.email)
    invite(client, business, email="new@example.com", role="manager")
    run_jobs()
    link = invitation_link("new@example.com")
    auth.logout()
    page = client.get(link)
    assert b"Create an account" in page.data
    client.post(f"/signup?next={link}", data={"name": "New", "email": "new@example.com",
                                               "password": "long-enough-pw", "confirm": "long-enough-pw"})
    client.post(f"/login?next={link}", data={"email": "new@example.com", "password": "long-enough-pw"})
    client.post(link)
    membership = db.session.scalar(select(Membership).where(Membership.business_id == business.id))
    assert membership.role == "manager"
    assert membership.user.email_verified_at is not None  # the invitation reached their inbox
    assert client.get(f"/businesses/{business.slug}/dashboard").status_code == 200
    assert client.get(f"/businesses/{business.slug}/team").status_code == 403


def test_invitations_expire_after_seven_days(client, auth, factories, run_jobs, clock):
    owner = factories.user()
    business = factories.business(owner=owner)
    auth.login(owner.email)
    invite(client, business)
    run_jobs()
    link = invitation_link("sam@example.com")
    clock.advance(days=7, minutes=1)
    assert client.get(link).status_code == 404


def test_invite_refuses_bad_input_and_writes_nothing(client, auth, factories):
    owner = factories.user()
    business = factories.business(owner=owner)
    auth.login(owner.email)
    assert invite(client, business, email="not-an-email").status_code == 422
    assert invite(client, business, role="emperor").status_code == 422
    assert invite(client, business, email="sam@example.com\x00").status_code == 422
    assert db.session.scalars(select(Invitation)).all() == []


def test_a_business_keeps_at_least_one_owner(client, auth, factories):
    owner = factories.user()
    business = factories.business(owner=owner)
    auth.login(owner.email)
    response = client.post(f"/businesses/{business.slug}/team/members/{owner.id}/role", data={"role": "staff"})
    assert response.status_code == 409 and b"at least one owner" in response.data
    response = client.post(f"/businesses/{business.slug}/team/members/{owner.id}/remove")
    assert response.status_code == 409
    assert client.get(f"/businesses/{business.slug}/billing").status_code == 200


def test_account_holder_steps_down_after_naming_another_owner(client, auth, factories):
    owner = factories.user()
    partner = factories.user()
    business = factories.business(owner=owner)
    db.session.add(Membership(business_id=business.id, user_id=partner.id, role="staff"))
    db.session.commit()
    auth.login(owner.email)
    client.post(f"/businesses/{business.slug}/team/members/{partner.id}/role", data={"role": "owner"})
    response = client.post(f"/businesses/{business.slug}/team/members/{owner.id}/role", data={"role": "manager"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Business, business.id).owner_id == partner.id
    assert client.get(f"/businesses/{business.slug}/billing").status_code == 403
    assert client.get(f"/businesses/{business.slug}/dashboard").status_code == 200
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "team.role_changed")).all()
    assert {(e.before["role"], e.after["role"]) for e in entries} == {("staff", "owner"), ("owner", "manager")}


def test_removed_member_loses_access_at_once(client, app, auth, factories):
    owner = factories.user()
    staff = factories.user()
    business = factories.business(owner=owner)
    db.session.add(Membership(business_id=business.id, user_id=staff.id, role="staff"))
    db.session.commit()
    staff_client = app.test_client()
    staff_client.post("/login", data={"email": staff.email, "password": "correct-horse-battery"})
    assert staff_client.get(f"/businesses/{business.slug}/calls").status_code == 200
    auth.login(owner.email)
    client.post(f"/businesses/{business.slug}/team/members/{staff.id}/remove")
    assert staff_client.get(f"/businesses/{business.slug}/calls").status_code == 404


def test_staff_nav_shows_only_staff_pages(client, auth, factories):
    owner = factories.user()
    staff = factories.user()
    business = factories.business(owner=owner)
    db.session.add(Membership(business_id=business.id, user_id=staff.id, role="staff"))
    db.session.commit()
    auth.login(staff.email)
    page = client.get(f"/businesses/{business.slug}/calls").data.decode()
    assert f"/businesses/{business.slug}/contacts" in page
    assert f"/businesses/{business.slug}/billing" not in page
    assert f"/businesses/{business.slug}/team" not in page
    mine = client.get("/businesses").data.decode()
    assert f"/businesses/{business.slug}/calls" in mine


def test_directory_offers_members_their_business(client, auth, factories):
    owner = factories.user()
    staff = factories.user()
    business = factories.business(owner=owner, name="Shared Salon")
    db.session.add(Membership(business_id=business.id, user_id=staff.id, role="staff"))
    db.session.commit()
    auth.login(staff.email)
    listing = client.get(f"/directory/{business.slug}").get_data(as_text=True)
    assert "You manage this business" in listing and f"/businesses/{business.slug}/calls" in listing
