from __future__ import annotations

from flask import current_app
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


def register_user(name: str, email: str, password: str) -> User:
    email = normalise_email(email)
    if find_user_by_email(email):
        raise EmailTaken(email)
    user = User(name=name.strip(), email=email)
    user.set_password(password)
    user.is_admin = email in current_app.config.get("ADMIN_EMAILS", [])
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as exc:  # a concurrent signup with the same email
        db.session.rollback()
        raise EmailTaken(email) from exc
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if user is None or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user
