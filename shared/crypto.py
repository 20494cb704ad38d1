"""Personal data at rest: Fernet encryption with PII_ENCRYPTION_KEY, and the masks every list
and export shows (张*, 138****5678)."""

from __future__ import annotations

import re
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


# Mobile numbers (11 digits from 1) and resident ID numbers (18 characters) inside free text.
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_text(text: str | None) -> str | None:
    """Free text (an appeal's content, a reply) with phone and ID numbers masked."""
    if not text:
        return text
    masked = _MOBILE.sub(r"\1****\3", text)
    return _RESIDENT_ID.sub(r"\1********\2", masked)
