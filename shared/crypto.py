"""Personal data at rest, sealed with PII_ENCRYPTION_KEY, and the masks every list and export
shows (张*, 138****5678).

A sealed value is version byte 0x01, a random 96-bit nonce and AES-256-GCM ciphertext with its tag,
under a key derived from PII_ENCRYPTION_KEY by HKDF-SHA256. The webhook seals every raw body and
each order's contact, and Fernet cost ~14–19 µs per value against ~2 µs
(docs/performance-log/experiments-2026-11-24-to-12-06.md).
Values sealed earlier with Fernet itself (base64 text, never starting with 0x01) still open; for
them the key must stay in Fernet's format, 32 bytes URL-safe base64, which is what `make up`
generates (`Fernet.generate_key()`).
"""

from __future__ import annotations

import base64
import os
import re
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_GCM = b"\x01"
_NONCE = 12


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


@lru_cache(maxsize=4)
def _aead(key: str) -> AESGCM:
    material = base64.urlsafe_b64decode(key.encode())
    derived = HKDF(hashes.SHA256(), 32, salt=None, info=b"reform-platform pii aes-256-gcm v1")
    return AESGCM(derived.derive(material))


def encrypt(key: str, value: str | None) -> bytes | None:
    if value is None:
        return None
    nonce = os.urandom(_NONCE)
    return _GCM + nonce + _aead(key).encrypt(nonce, value.encode(), None)


def decrypt(key: str, token: bytes | None) -> str | None:
    """The value, or None when it is missing or was sealed under another key."""
    if token is None:
        return None
    token = bytes(token)
    try:
        if token[:1] == _GCM:
            nonce = token[1 : 1 + _NONCE]
            return _aead(key).decrypt(nonce, token[1 + _NONCE :], None).decode()
        return _fernet(key).decrypt(token).decode()
    except (InvalidTag, InvalidToken, ValueError):
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
