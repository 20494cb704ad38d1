"""Personal data at rest: Fernet encryption with PII_ENCRYPTION_KEY, and the masks every list
and export shows (张*, 138****5678)."""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def encrypt(key: str, value: str | None) -> bytes | None:
    return None if value is None else _fernet(key).encrypt(value.encode())


def decrypt(key: str, token: bytes | None) -> str | None:
    if token is None:
        return None
    try:
        return _fernet(key).decrypt(token).decode()
    except InvalidToken:
        return None


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * len(digits)
