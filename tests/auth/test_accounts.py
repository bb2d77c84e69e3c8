"""Accounts: email verification, password reset, sessions and login throttling."""
import re

from sqlalchemy import select

from app.extensions import db
from app.models import OutboundEmail, User, UserSession


def mails_to(address):
    return db.session.scalars(select(OutboundEmail).where(OutboundEmail.to_address == address)
                              .order_by(OutboundEmail.created_at)).all()


def link_in(mail, path):
    return re.search(r"http://localhost(" + path + r"[^\s\"<]+)", mail.text_body).group(1)


def signup(client, email="ada@example.com"):
    return client.post("/signup", data={"name": "Ada", "email": email, "password": "long-enough-pw",
                                        "confirm": "long-enough-pw"})


def test_signup_sends_a_confirmation_link_that_verifies(client, run_jobs):
    signup(client)
    run_jobs()
    [mail] = mails_to("ada@example.com")
    assert "Confirm" in mail.subject
    response = client.get(link_in(mail, "/verify-email/"))
    assert response.status_code == 302
    assert db.session.scalar(select(User).where(User.email == "ada@example.com")).email_verified_at is not None


def test_existing_address_gets_a_notice_instead_of_a_second_account(client, factories, run_jobs):
    factories.user(email="ada@example.com")
    signup(client)
    run_jobs()
    [mail] = mails_to("ada@example.com")
    assert "already have" in mail.subject


def test_unverified_account_cannot_buy(client, auth, factories):
    user = factories.user(verified=False)
    business = factories.business(owner=user)
    auth.login(user.email)
    page = client.get(f"/businesses/{business.slug}/packages")
    assert b"Confirm your email address" in page.data
    response = client.post(f"/businesses/{business.slug}/billing/checkout", data={"package": "ai_receptionist"})
    assert response.status_code == 403
    assert b"Confirm your email address" in response.data


def test_resending_the_confirmation_is_rate_limited(client, auth, factories, run_jobs):
    user = factories.user(verified=False)
    auth.login(user.email)
    for _ in range(5):
        client.post("/verify-email/resend")
    run_jobs()
    assert len(mails_to(user.email)) == 3
    page = client.get("/businesses")
    assert b"Try again at" in page.data


def test_password_reset_is_single_use_expires_and_ends_every_session(client, app, auth, owner, run_jobs, clock):
    other_device = app.test_client()
    other_device.post("/login", data={"email": owner.email, "password": "correct-horse-battery"})
    assert other_device.get("/businesses").status_code == 200

    response = client.post("/forgot-password", data={"email": owner.email})
    assert b"Check your inbox" in response.data
    run_jobs()
    [mail] = mails_to(owner.email)
    link = link_in(mail, "/reset-password/")
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "brand-new-password", "confirm": "brand-new-password"})
    assert response.status_code == 302
    # The other device is logged out; the link is spent; the new password works.
    assert other_device.get("/businesses").status_code == 302
    assert client.get(link).status_code == 404
    assert auth.login(owner.email, "brand-new-password").status_code == 302

    # A fresh link expires after an hour.
    client.post("/logout")
    client.post("/forgot-password", data={"email": owner.email})
    run_jobs()
    link = link_in(mails_to(owner.email)[-1], "/reset-password/")
    clock.advance(minutes=61)
    assert client.get(link).status_code == 404


def test_forgot_password_answers_the_same_for_unknown_addresses(client, owner, run_jobs):
    known = client.post("/forgot-password", data={"email": owner.email})
    unknown = client.post("/forgot-password", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.data.replace(owner.email.encode(), b"X") == unknown.data.replace(b"nobody@example.com", b"X")
    run_jobs()
    assert mails_to("nobody@example.com") == []


def test_reset_requests_are_limited_per_account(client, owner, run_jobs):
    for _ in range(5):
        assert client.post("/forgot-password", data={"email": owner.email}).status_code == 200
    run_jobs()
    assert len(mails_to(owner.email)) == 3


def test_sessions_are_listed_and_log_out_everywhere_ends_them(client, app, auth, owner):
    other_device = app.test_client()
    other_device.post("/login", data={"email": owner.email, "password": "correct-horse-battery"},
                      headers={"User-Agent": "Mozilla/5.0 (iPhone) Safari/604.1"})
    auth.login(owner.email)
    page = client.get("/account/security")
    assert b"Safari on iPhone" in page.data and b"This device" in page.data
    client.post("/account/sessions/end-all")
    assert other_device.get("/businesses").status_code == 302
    assert client.get("/businesses").status_code == 302
    assert db.session.scalar(select(UserSession).where(UserSession.revoked_at.is_(None))) is None


def test_logging_out_one_other_session(client, app, auth, owner):
    other_device = app.test_client()
    other_device.post("/login", data={"email": owner.email, "password": "correct-horse-battery"},
                      headers={"User-Agent": "Other device"})
    auth.login(owner.email)
    other = db.session.scalar(select(UserSession).where(UserSession.user_agent == "Other device"))
    client.post(f"/account/sessions/{other.id}/end")
    assert other_device.get("/businesses").status_code == 302
    assert client.get("/businesses").status_code == 200


def test_remember_me_cookie_is_bound_to_the_session(client, auth, owner):
    response = client.post("/login", data={"email": owner.email, "password": "correct-horse-battery", "remember": "y"})
    cookie = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "SameSite=Lax" in c and "HttpOnly" in c for c in cookie)
    row = db.session.scalar(select(UserSession))
    assert round((row.expires_at - row.created_at).total_seconds() / 86400) == 30


def test_production_cookies_are_secure():
    from app.config import ProductionConfig

    assert ProductionConfig.REMEMBER_COOKIE_SECURE and ProductionConfig.SESSION_COOKIE_SECURE
    assert ProductionConfig.REMEMBER_COOKIE_SAMESITE == "Lax"


def test_login_throttle_is_per_account_and_says_when(client, app, factories):
    victim = factories.user()
    colleague = factories.user()
    statuses = [client.post("/login", data={"email": victim.email, "password": "wrong"}).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]
    blocked = client.post("/login", data={"email": victim.email, "password": "correct-horse-battery"})
    assert blocked.status_code == 429
    assert re.search(rb"Try again at \d\d:\d\d UTC", blocked.data)
    # A colleague behind the same address is not locked out.
    assert client.post("/login", data={"email": colleague.email, "password": "correct-horse-battery"}).status_code == 302


def test_a_session_without_remember_me_ends_after_a_day_idle(app, client, auth, factories, clock, monkeypatch):
    from datetime import datetime, timezone

    monkeypatch.setitem(app.config, "SESSION_IDLE_HOURS", 24)
    clock.set(datetime(2027, 3, 3, 9, 0, tzinfo=timezone.utc))
    user = factories.user()
    business = factories.business(owner=user)
    auth.login(user.email)
    assert client.get(f"/businesses/{business.slug}/calls").status_code == 200
    clock.advance(hours=23)  # still in use: each visit pushes the end a day further
    assert client.get(f"/businesses/{business.slug}/calls").status_code == 200
    clock.advance(hours=25)
    assert client.get(f"/businesses/{business.slug}/calls").status_code == 302


def test_a_visit_marks_the_session_seen_and_leaves_a_remember_me_expiry_alone(app, client, factories, clock):
    """The user loader touches the session row at most every five minutes:
    `last_seen_at` moves; a remember-me session keeps its 30-day end."""
    from datetime import datetime, timedelta, timezone

    clock.set(datetime(2027, 3, 3, 9, 0, tzinfo=timezone.utc))
    user = factories.user()
    business = factories.business(owner=user)
    client.post("/login", data={"email": user.email, "password": "correct-horse-battery", "remember": "y"})
    row = db.session.scalar(select(UserSession))
    started, ends = row.last_seen_at, row.expires_at
    clock.advance(minutes=3)  # within five minutes: not written
    assert client.get(f"/businesses/{business.slug}/calls").status_code == 200
    db.session.refresh(row)
    assert row.last_seen_at == started
    clock.advance(minutes=10)
    assert client.get(f"/businesses/{business.slug}/calls").status_code == 200
    db.session.refresh(row)
    assert row.last_seen_at == started + timedelta(minutes=13)
    assert row.expires_at == ends


def test_a_visit_pushes_the_end_of_a_session_without_remember_me(app, client, factories, clock, monkeypatch):
    from datetime import datetime, timedelta, timezone

    monkeypatch.setitem(app.config, "SESSION_IDLE_HOURS", 24)
    clock.set(datetime(2027, 3, 3, 9, 0, tzinfo=timezone.utc))
    user = factories.user()
    business = factories.business(owner=user)
    client.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
    clock.advance(hours=6)
    assert client.get(f"/businesses/{business.slug}/calls").status_code == 200
    row = db.session.scalar(select(UserSession))
    db.session.refresh(row)
    assert row.last_seen_at == clock.now
    assert row.expires_at == clock.now + timedelta(hours=24)
