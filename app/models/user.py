from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import UTC, Timestamps, UUIDPrimaryKey


class User(UserMixin, UUIDPrimaryKey, Timestamps, db.Model):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTC)
    # -- accounts (issue 12)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTC)
    # The TOTP secret, encrypted with ENCRYPTION_KEYS; two-factor is on once confirmed.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTC)
    # The last accepted time step, so one code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    businesses = relationship(
        "Business", back_populates="owner", order_by="Business.name", lazy="select"
    )

    def set_password(self, password: str) -> None:
        from flask import current_app, has_app_context

        method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
        self.password_hash = generate_password_hash(password, method=method or "scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    # The login this request belongs to (set by the user loader); cookies carry
    # "<user id>:<session id>" so ending a session ends its remember-me cookie too.
    login_session_id = None

    def get_id(self) -> str:
        if self.login_session_id:
            return f"{self.id}:{self.login_session_id}"
        return str(self.id)
