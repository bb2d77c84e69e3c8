from __future__ import annotations

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import User
from app.models.base import utcnow


class EmailTaken(Exception):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(name: str, email: str, password: str) -> User:
    """A new account (unverified); raises EmailTaken."""
    email = normalise_email(email)
    if find_user_by_email(email):
        raise EmailTaken(email)
    user = User(name=name.strip(), email=email)
    user.set_password(password)
    user.is_admin = email in current_app.config.get("ADMIN_EMAILS", [])
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as exc:  # a concurrent signup with the same email
        db.session.rollback()
        raise EmailTaken(email) from exc
    return user


def register_user(name: str, email: str, password: str, *, verified: bool = False) -> User:
    """Create and commit an account (the demo seed and tests); raises EmailTaken."""
    user = create_user(name, email, password)
    if verified:
        user.email_verified_at = utcnow()
    db.session.commit()
    return user


def sign_up(name: str, email: str, password: str) -> User | None:
    """Sign-up: a new account gets a confirmation link; an address that already
    has an account gets a "you already have an account" mail instead. The page
    says "check your inbox" either way, so sign-up reveals no accounts."""
    from app.mail import send_email

    try:
        user = create_user(name, email, password)
    except EmailTaken:
        existing = find_user_by_email(email)
        if existing is not None:
            from app.auth import throttle

            if not throttle.blocked("verify", existing.email):
                throttle.count("verify", existing.email)
                send_email(existing.email, "accounts/already_registered", user=existing,
                           login_link=url_for("auth.login", _external=True),
                           reset_link=url_for("auth.forgot_password", _external=True))
                db.session.commit()
        return None
    send_verification(user)
    db.session.commit()
    return user


def send_verification(user: User) -> None:
    from app.auth.tokens import verification_token
    from app.mail import send_email

    send_email(user.email, "accounts/verify_email", user=user,
               link=url_for("auth.verify", token=verification_token(user), _external=True))


def verify_email(token: str) -> User | None:
    from app.auth.tokens import user_for_verification_token

    user = user_for_verification_token(token)
    if user is None:
        return None
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if user is None or not user.check_password(password):
        return None
    return user


def request_password_reset(email: str) -> None:
    """Mail a reset link if the address has an account (and it has not asked
    too often); otherwise do nothing. The caller answers the same either way."""
    from app.auth import throttle
    from app.auth.tokens import RESET_VALID_FOR, reset_token
    from app.mail import send_email

    throttle.count("reset", None)
    user = find_user_by_email(email)
    if user is None or throttle.blocked("reset", user.email):
        return
    throttle.count("reset", user.email)
    minutes = int(RESET_VALID_FOR.total_seconds() // 60)
    send_email(user.email, "accounts/password_reset", user=user, minutes=minutes,
               link=url_for("auth.reset", token=reset_token(user), _external=True))
    db.session.commit()


def reset_password(user: User, password: str) -> None:
    """New password; every session of the account ends (the link is spent with the old hash)."""
    from app.auth import sessions

    user.set_password(password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link reached their inbox
    sessions.end_all(user)
    db.session.commit()
