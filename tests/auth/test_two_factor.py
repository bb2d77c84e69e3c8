"""Two-factor sign-in: setup with a server-rendered QR code, codes, recovery codes, trusted devices."""
import re

import pyotp
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, RecoveryCode, User


def enable_two_factor(client, clock):
    page = client.get("/account/two-factor/setup")
    assert page.status_code == 200 and b"<svg" in page.data
    secret = re.search(rb'id="totp-secret">([A-Z2-7]+)<', page.data).group(1).decode()
    wrong = client.post("/account/two-factor/setup", data={"code": "000000"})
    assert wrong.status_code == 422
    response = client.post("/account/two-factor/setup", data={"code": pyotp.TOTP(secret).at(clock.now)})
    assert response.status_code == 200
    codes = re.findall(rb"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>", response.data)
    return secret, [c.decode() for c in codes]


def login(client, email, password="correct-horse-battery", **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def test_setup_shows_ten_hashed_recovery_codes_once_and_audits(client, auth, factories, clock):
    owner = factories.user()
    factories.business(owner=owner)
    auth.login(owner.email)
    secret, codes = enable_two_factor(client, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not any(code in h for code in codes for h in stored)
    user = db.session.get(User, owner.id)
    assert user.has_two_factor and secret not in (user.totp_secret_encrypted or "")
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "security.two_factor_enabled"))


def test_login_needs_a_code_then_a_recovery_code_works_once(client, auth, owner, clock):
    auth.login(owner.email)
    secret, codes = enable_two_factor(client, clock)
    auth.logout()

    response = login(client, owner.email)
    assert response.headers["Location"] == "/login/two-factor"
    assert client.get("/businesses").status_code == 302  # not logged in yet
    assert client.post("/login/two-factor", data={"code": "123456"}).status_code == 422
    clock.advance(seconds=30)
    assert client.post("/login/two-factor", data={"code": pyotp.TOTP(secret).at(clock.now)}).status_code == 302
    assert client.get("/businesses").status_code == 200
    auth.logout()

    # The same code cannot be replayed.
    login(client, owner.email)
    assert client.post("/login/two-factor", data={"code": pyotp.TOTP(secret).at(clock.now)}).status_code == 422
    # A recovery code works once.
    assert client.post("/login/two-factor", data={"code": codes[0]}).status_code == 302
    auth.logout()
    login(client, owner.email)
    assert client.post("/login/two-factor", data={"code": codes[0]}).status_code == 422


def test_trusted_device_skips_the_code_for_30_days(client, auth, owner, clock):
    auth.login(owner.email)
    secret, _ = enable_two_factor(client, clock)
    auth.logout()
    login(client, owner.email)
    clock.advance(seconds=30)
    client.post("/login/two-factor", data={"code": pyotp.TOTP(secret).at(clock.now), "remember_device": "y"})
    auth.logout()
    assert login(client, owner.email).headers["Location"] == "/businesses"
    auth.logout()
    clock.advance(days=31)
    assert login(client, owner.email).headers["Location"] == "/login/two-factor"


def test_wrong_codes_are_throttled_with_a_time(client, auth, owner, clock):
    auth.login(owner.email)
    enable_two_factor(client, clock)
    auth.logout()
    login(client, owner.email)
    statuses = [client.post("/login/two-factor", data={"code": "000000"}).status_code for _ in range(6)]
    assert statuses[-1] == 429
    assert b"Try again at" in client.post("/login/two-factor", data={"code": "000000"}).data


def test_disable_needs_password_and_code(client, auth, owner, clock):
    auth.login(owner.email)
    secret, _ = enable_two_factor(client, clock)
    clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(clock.now)
    assert client.post("/account/two-factor/disable", data={"password": "wrong", "code": code}).status_code == 422
    assert db.session.get(User, owner.id).has_two_factor
    response = client.post("/account/two-factor/disable", data={"password": "correct-horse-battery", "code": code})
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, owner.id).has_two_factor
    assert db.session.scalars(select(RecoveryCode)).all() == []


def test_admin_pages_require_two_factor_where_configured(app, client, auth, factories, clock):
    admin = factories.user(is_admin=True)
    auth.login(admin.email)
    app.config["ADMIN_REQUIRE_TWO_FACTOR"] = True
    try:
        response = client.get("/admin/")
        assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor/setup"
        enable_two_factor(client, clock)
        assert client.get("/admin/").status_code == 200
    finally:
        app.config["ADMIN_REQUIRE_TWO_FACTOR"] = False


def test_production_requires_admin_two_factor():
    from app.config import ProductionConfig

    assert ProductionConfig.ADMIN_REQUIRE_TWO_FACTOR is True
