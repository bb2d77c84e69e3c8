"""Signed, expiring links for password reset and email verification.

Nothing is stored: a reset token names the user and a fingerprint of their
current password hash, so it stops working the moment the password changes
(single use). Expiry is checked against the app's clock, so tests move time
instead of sleeping.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.web import parse_uuid

RESET_VALID_FOR = timedelta(hours=1)
VERIFY_VALID_FOR = timedelta(days=3)


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"alphasite-{purpose}")


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _issue(purpose: str, user: User, bound_to: str) -> str:
    return _serializer(purpose).dumps({"u": str(user.id), "f": _fingerprint(bound_to), "t": int(utcnow().timestamp())})


def _read(purpose: str, token: str, valid_for: timedelta, bound_to) -> User | None:
    try:
        data = _serializer(purpose).loads(token or "")
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int):
        return None
    user_id = parse_uuid(data.get("u"))
    user = db.session.get(User, user_id) if user_id else None
    if user is None or data.get("f") != _fingerprint(bound_to(user)):
        return None
    age = utcnow().timestamp() - data["t"]
    if age < 0 or age > valid_for.total_seconds():
        return None
    return user


def reset_token(user: User) -> str:
    return _issue("password-reset", user, user.password_hash)


def user_for_reset_token(token: str) -> User | None:
    return _read("password-reset", token, RESET_VALID_FOR, lambda u: u.password_hash)


def verification_token(user: User) -> str:
    return _issue("verify-email", user, user.email)


def user_for_verification_token(token: str) -> User | None:
    return _read("verify-email", token, VERIFY_VALID_FOR, lambda u: u.email)
