"""Two-factor sign-in with time-based codes (pyotp), recovery codes and
trusted devices.

The secret is stored encrypted with ENCRYPTION_KEYS; recovery codes only as
SHA-256 hashes. A code's time step is remembered so it cannot be replayed. A trusted
device is a signed cookie naming the user and a fingerprint of their secret,
so turning two-factor off (or on again) distrusts every device.
"""
from __future__ import annotations

import base64
import hashlib
import io
import secrets

import pyotp
import segno
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup
from sqlalchemy import delete, select

from app.encryption import decrypt, encrypt
from app.extensions import db
from app.models import RecoveryCode, User
from app.models.base import utcnow

ISSUER = "AlphaSite"
RECOVERY_CODE_COUNT = 10
TRUSTED_DEVICE_COOKIE = "alphasite_trusted_device"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The setup QR code as inline SVG, rendered here (no image service sees the secret)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True,
                                    title="Two-factor setup code")
    return Markup(out.getvalue().decode())


def _step_matching(secret: str, code: str) -> int | None:
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = utcnow()
    for drift in (-1, 0, 1):  # one step of clock drift either way
        moment = now.timestamp() + drift * totp.interval
        if secrets.compare_digest(totp.at(moment), code):
            return int(moment // totp.interval)
    return None


def code_is_valid_for_secret(secret: str, code: str) -> bool:
    return _step_matching(secret, code) is not None


def enable(user: User, secret: str) -> list[str]:
    """Turn two-factor on (the caller checked a code) and return fresh recovery codes to show once."""
    user.totp_secret_encrypted = encrypt(secret)
    user.totp_enabled_at = utcnow()
    user.totp_last_step = None
    return replace_recovery_codes(user)


def disable(user: User) -> None:
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def _recovery_hash(code: str) -> str:
    # 80 random bits per code: a plain SHA-256 cannot be brute-forced back, and
    # unlike a password hash it can be looked up directly.
    return hashlib.sha256(code.encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 16 characters
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code)))
    return codes


def remaining_recovery_codes(user: User) -> int:
    return len(db.session.scalars(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def check_code(user: User, code: str) -> bool:
    """A current authenticator code not used before; marks its step used (the caller commits)."""
    if not user.has_two_factor:
        return False
    step = _step_matching(decrypt(user.totp_secret_encrypted), code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def use_recovery_code(user: User, code: str) -> bool:
    code = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    if not user.has_two_factor or len(code) != 16:
        return False
    code = "-".join(code[i:i + 4] for i in range(0, 16, 4))
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _recovery_hash(code), RecoveryCode.used_at.is_(None)))
    if row is None:
        return False
    row.used_at = utcnow()
    return True


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="alphasite-trusted-device")


def _secret_fingerprint(user: User) -> str:
    return hashlib.sha256((user.totp_secret_encrypted or "").encode()).hexdigest()[:16]


def trusted_device_value(user: User) -> str:
    return _device_serializer().dumps({"u": str(user.id), "f": _secret_fingerprint(user),
                                       "t": int(utcnow().timestamp())})


def device_is_trusted(user: User, cookie: str | None) -> bool:
    if not cookie or not user.has_two_factor:
        return False
    try:
        data = _device_serializer().loads(cookie)
    except BadSignature:
        return False
    if not isinstance(data, dict) or data.get("u") != str(user.id) or data.get("f") != _secret_fingerprint(user):
        return False
    age = utcnow().timestamp() - (data.get("t") if isinstance(data.get("t"), int) else 0)
    return 0 <= age <= current_app.config["TRUSTED_DEVICE_DAYS"] * 86400
