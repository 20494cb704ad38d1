"""Who called, without the number: the keyed hash that links a caller's orders (重复诉求).

The caller's phone number is sealed at rest (docs/HOTLINE.md "Personal data"). A plain hash of
it would not be: China's mobile numbers are few enough to hash them all. So the key is an
HMAC-SHA256 under a key derived (HKDF-SHA256, its own label) from PII_ENCRYPTION_KEY, of the
number's digits (a leading +86 dropped). Computed at intake, carried beside the event (never in
the event log) and kept in hotline.order_callers; no answer shows it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@lru_cache(maxsize=4)
def _secret(pii_key: str) -> bytes:
    material = base64.urlsafe_b64decode(pii_key.encode())
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"reform-platform caller key v1").derive(
        material
    )


def caller_key(pii_key: str, phone: str | None) -> str | None:
    """The caller's key, or None without a number (an order without one is never a repeat)."""
    digits = "".join(c for c in phone or "" if c.isdigit())
    if len(digits) > 11 and digits.startswith("86"):
        digits = digits[2:]
    if not digits:
        return None
    return hmac.new(_secret(pii_key), digits.encode(), hashlib.sha256).hexdigest()[:32]
