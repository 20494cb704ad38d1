"""The Ed25519 keys that sign and verify tokens (EdDSA), and `python -m shared.signing_keys`.

Every process signs with a key of its own (`JWT_SIGNING_KEY`, named by `JWT_KEY_ID`) and trusts
the public keys it is given (`JWT_VERIFY_KEYS`, `name:key,name:key`; its own is always trusted).
Only the key named `JWT_PERSON_ISSUER` (reform_tasks, which logs people in) signs a person's
token; any other key signs `service` tokens only. So a compromised evaluation or hotline_ingest
can call the internal endpoints it already calls, but cannot mint an office token.

Keys are written as unpadded base64url of their 32 raw bytes (a private key's seed, a public
key's point): one line each, safe in env files and Kubernetes Secrets.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

# The processes that sign tokens (the migration job and tools sign none).
SIGNERS = ("reform_tasks", "evaluation", "hotline_ingest", "scheduler")
KEY_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


def _decode(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc
    if len(raw) != 32:
        raise ValueError("an Ed25519 key is 32 bytes")
    return raw


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def private_key(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_decode(text.strip()))


def public_text(key: Ed25519PrivateKey) -> str:
    return _encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def new_private_text() -> str:
    return _encode(Ed25519PrivateKey.generate().private_bytes_raw())


def parse_verify_keys(text: str) -> dict[str, Ed25519PublicKey]:
    """`name:key,name:key` → name → public key; a malformed entry is an error, never skipped."""
    keys: dict[str, Ed25519PublicKey] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = entry.partition(":")
        if not sep or not name or not set(name) <= KEY_NAME_CHARS:
            raise ValueError(f"JWT_VERIFY_KEYS entry {entry[:20]!r} is not name:key")
        if name in keys:
            raise ValueError(f"JWT_VERIFY_KEYS names {name} twice")
        keys[name] = Ed25519PublicKey.from_public_bytes(_decode(value.strip()))
    return keys


@dataclass(frozen=True, slots=True)
class KeyRing:
    key_id: str
    signing: Ed25519PrivateKey | None
    verifying: dict[str, Ed25519PublicKey]


@lru_cache(maxsize=8)
def key_ring(signing_key: str, key_id: str, verify_keys: str) -> KeyRing:
    """Parsed once per distinct setting (settings are immutable once a process has started)."""
    verifying = parse_verify_keys(verify_keys)
    signing = private_key(signing_key) if signing_key else None
    if signing is not None:
        verifying[key_id] = signing.public_key()
    return KeyRing(key_id=key_id, signing=signing, verifying=verifying)


cli = typer.Typer(help="令牌签名密钥（Ed25519）", no_args_is_help=True)


@cli.command()
def new(
    name: str = typer.Argument(..., help="the key's name (JWT_KEY_ID), e.g. evaluation"),
) -> None:
    """Print a new key: the signing process's two variables and its JWT_VERIFY_KEYS entry."""
    text = new_private_text()
    typer.echo(f"JWT_KEY_ID={name}\nJWT_SIGNING_KEY={text}")
    typer.echo(f"# JWT_VERIFY_KEYS entry: {name}:{public_text(private_key(text))}", err=True)


@cli.command("env-files")
def env_files(directory: Path = typer.Argument(..., help="where <process>.env go")) -> None:
    """One env file per signing process (JWT_KEY_ID, JWT_SIGNING_KEY), mode 600; prints the
    JWT_VERIFY_KEYS line every process needs."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for name in SIGNERS:
        text = new_private_text()
        path = directory / f"{name}.env"
        path.write_text(f"JWT_KEY_ID={name}\nJWT_SIGNING_KEY={text}\n")
        path.chmod(0o600)
        entries.append(f"{name}:{public_text(private_key(text))}")
    typer.echo("JWT_VERIFY_KEYS=" + ",".join(entries))


if __name__ == "__main__":
    cli()
