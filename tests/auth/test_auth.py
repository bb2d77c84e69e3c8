import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import User


def user_count():
    return db.session.scalar(select(func.count(User.id)))


def signup(client, **overrides):
    data = {"name": "Ada Owner", "email": "ada@example.com", "password": "long-enough-pw", "confirm": "long-enough-pw"}
    data.update(overrides)
    return client.post("/signup", data=data)


def test_signup_says_check_your_inbox_and_hashes_password(client, auth):
    response = signup(client)
    assert response.status_code == 200
    assert b"Check your inbox" in response.data
    user = db.session.scalar(select(User).where(User.email == "ada@example.com"))
    assert user.password_hash != "long-enough-pw" and user.check_password("long-enough-pw")
    assert user.email_verified_at is None
    # Unverified accounts can log in and explore.
    assert auth.login("ada@example.com", "long-enough-pw").status_code == 302
    assert client.get("/businesses").status_code == 200


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"email": "not-an-email"}, b"Invalid email address"),
        ({"password": "short", "confirm": "short"}, b"Use at least 10 characters"),
        ({"confirm": "something-else"}, b"Passwords don"),
        ({"name": ""}, b"This field is required"),
    ],
)
def test_signup_rejects_bad_input_without_writing(client, overrides, message):
    response = signup(client, **overrides)
    assert response.status_code == 422
    assert message in response.data
    assert user_count() == 0


def test_duplicate_email_gets_the_same_answer_and_no_second_account(client, factories):
    factories.user(email="ada@example.com")
    fresh = signup(client, email="new@example.com")
    response = signup(client, email="ADA@example.com")
    assert response.status_code == fresh.status_code == 200
    # The page reveals nothing about which address already had an account.
    assert response.data.replace(b"ADA@example.com", b"X") == fresh.data.replace(b"new@example.com", b"X")
    assert user_count() == 2


def test_login_and_logout(client, auth, owner):
    assert auth.login(owner.email).status_code == 302
    assert client.get("/businesses").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/businesses").status_code == 302  # back to the login page


def test_wrong_password_gets_field_message(client, auth, owner):
    response = auth.login(owner.email, "wrong-password")
    assert response.status_code == 422
    assert b"Email or password is incorrect" in response.data


def test_logout_is_post_only(client, logged_in_owner):
    assert client.get("/logout").status_code == 405


def test_login_attempts_are_rate_limited(client, app, owner):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [client.post("/login", data={"email": owner.email, "password": "bad-password"}).status_code for _ in range(5)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "10 per minute;50 per hour"
    assert statuses[:3] == [422, 422, 422]
    assert statuses[3:] == [429, 429]


def test_login_redirect_ignores_other_sites(client, owner):
    response = client.post("/login?next=https://evil.example/", data={"email": owner.email, "password": "correct-horse-battery"})
    assert response.headers["Location"] == "/businesses"


def test_forged_csrf_token_is_refused(csrf_client):
    response = csrf_client.post(
        "/signup",
        data={"name": "X", "email": "x@example.com", "password": "long-enough-pw", "confirm": "long-enough-pw", "csrf_token": "forged"},
    )
    assert response.status_code == 400
    assert b"could not be verified" in response.data
    assert user_count() == 0


def test_htmx_post_without_csrf_header_is_refused(csrf_client, factories):
    business = factories.business(name="Free Listing")
    response = csrf_client.post(f"/directory/{business.slug}/claim", headers={"HX-Request": "true"})
    # Anonymous + no token: CSRF is checked before anything else.
    assert response.status_code == 400


def test_oversized_post_is_refused(client):
    response = client.post("/signup", data={"name": "x" * (10 * 1024 * 1024)})
    assert response.status_code == 413
    assert b"too large" in response.data
    assert user_count() == 0


@pytest.mark.parametrize("trusted_proxies, other_client_limited", [(1, False), (0, True)])
def test_address_limits_key_on_the_client_behind_a_trusted_proxy_only(tmp_path, trusted_proxies, other_client_limited):
    """Behind a load balancer every request comes from its address: with
    TRUSTED_PROXY_COUNT=1 the limit is per client (X-Forwarded-For); with 0 the
    header is ignored, so a client cannot dodge the limit by forging it."""
    from app import create_app
    from app.config import TestingConfig
    from app.extensions import db, limiter

    proxied = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'proxied.sqlite3'}",
                         TRUSTED_PROXY_COUNT=trusted_proxies, LOGIN_RATE_LIMIT="2 per minute", WTF_CSRF_ENABLED=False)
    with proxied.app_context():
        db.create_all()
        limiter.reset()
        client = proxied.test_client()

        def attempt(n: int, forwarded_for: str) -> int:
            return client.post("/login", data={"email": f"nobody{n}@example.com", "password": "bad-password"},
                               headers={"X-Forwarded-For": forwarded_for}).status_code

        first = [attempt(n, "203.0.113.7") for n in range(3)]
        other = attempt(9, "198.51.100.20")
        db.session.remove()
        db.engine.dispose()
    assert first == [422, 422, 429]
    assert (other == 429) is other_client_limited
