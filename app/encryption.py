"""Encryption at rest for secrets the app must be able to read back (the
4calls organization keys). MultiFernet over ENCRYPTION_KEYS: a comma-separated
list of Fernet keys, newest first. New values are encrypted under the newest
key; any listed key decrypts. To rotate: put a new key in front, run
`flask rotate-keys`, then drop the old key from the list.
"""
from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class DecryptionFailed(Exception):
    """No key in ENCRYPTION_KEYS opens this value (a key was dropped too early)."""


@lru_cache(maxsize=8)
def _multifernet(keys: str) -> MultiFernet:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise RuntimeError("ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(k.encode()) for k in parts])


def cipher(keys: str | None = None) -> MultiFernet:
    return _multifernet(keys or current_app.config["ENCRYPTION_KEYS"])


def encrypt(plaintext: str, keys: str | None = None) -> str:
    return cipher(keys).encrypt(plaintext.encode()).decode()


def decrypt(token: str, keys: str | None = None) -> str:
    try:
        return cipher(keys).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("stored secret cannot be decrypted with ENCRYPTION_KEYS") from exc


def reencrypt(token: str, keys: str | None = None) -> str:
    """The same secret encrypted under the newest key."""
    try:
        return cipher(keys).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("stored secret cannot be decrypted with ENCRYPTION_KEYS") from exc
