"""Sealing personal data at rest (shared/crypto.py): what is sealed opens only with its key,
and values sealed with Fernet before the switch to AES-GCM still open."""

from __future__ import annotations

from cryptography.fernet import Fernet

from shared.crypto import decrypt, encrypt

KEY = Fernet.generate_key().decode()


def test_a_sealed_value_opens_with_its_key_and_hides_the_plain_text() -> None:
    sealed = encrypt(KEY, "13812345678")
    assert sealed is not None
    assert b"13812345678" not in sealed
    assert decrypt(KEY, sealed) == "13812345678"
    assert encrypt(KEY, "13812345678") != sealed  # a fresh nonce every time


def test_a_value_sealed_with_fernet_before_the_switch_still_opens() -> None:
    legacy = Fernet(KEY.encode()).encrypt("张三明".encode())
    assert decrypt(KEY, legacy) == "张三明"
    assert decrypt(KEY, memoryview(legacy)) == "张三明"  # as asyncpg may hand back bytea


def test_another_key_or_a_changed_byte_opens_nothing() -> None:
    sealed = encrypt(KEY, "张三明")
    assert sealed is not None
    assert decrypt(Fernet.generate_key().decode(), sealed) is None
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    assert decrypt(KEY, tampered) is None
    assert decrypt(KEY, b"\x01short") is None
    assert decrypt(KEY, None) is None
    assert encrypt(KEY, None) is None
