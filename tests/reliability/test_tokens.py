"""Token attacks against every service (one signing module, so each must refuse the same way):
`alg: none` in any spelling, HS/EdDSA confusion, other keys and unknown or missing `kid`s,
expired and not-yet-valid tokens, wrong audience or issuer, a tampered payload, a stripped
signature — all 401 problem+json."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth import issue_token
from shared.models import Role
from shared.settings import Settings

# One protected read per service.
PROBES = {
    "tasks": "/api/auth/me",
    "evaluation": "/api/evaluation/v1/scores",
    "hotline": "/api/hotline/v1/work-orders",
}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _part(data: dict[str, object]) -> str:
    return _b64(json.dumps(data, separators=(",", ":")).encode())


def _claims(settings: Settings, **override: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": "office",
        "role": "office_admin",
        "unit": None,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    claims.update(override)
    return {k: v for k, v in claims.items() if v is not ...}


def _hmac_token(header: dict[str, object], claims: dict[str, object], key: bytes) -> str:
    signing_input = f"{_part(header)}.{_part(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _signed(claims: dict[str, object], key: Ed25519PrivateKey, kid: str | None) -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(claims, key, algorithm="EdDSA", headers=headers)


def bad_tokens(settings: Settings) -> dict[str, str]:
    claims = _claims(settings)
    kid = settings.jwt_person_issuer
    attacker = Ed25519PrivateKey.generate()
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    our_public = settings.key_ring.verifying[kid]
    public_raw = our_public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    public_pem = our_public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    good = issue_token(settings, username="office", role=Role.office_admin, unit_code=None)
    header, payload, signature = good.split(".")
    escalated = json.loads(base64.urlsafe_b64decode(payload + "=="))
    escalated.update(role="office_admin", sub="intruder")
    now = datetime.now(UTC)
    return {
        **{
            f"alg {alg}": f"{_part({'alg': alg, 'typ': 'JWT', 'kid': kid})}.{_part(claims)}."
            for alg in ("none", "None", "NONE", "nOnE")
        },
        "alg none with a signature": f"{_part({'alg': 'none'})}.{_part(claims)}.{signature}",
        "EdDSA from another key pair under our kid": _signed(claims, attacker, kid),
        "EdDSA without a kid": _signed(claims, attacker, None),
        "EdDSA under an unknown kid": _signed(claims, attacker, "attacker"),
        "kid not a string": f"{_part({'alg': 'EdDSA', 'kid': 7})}.{payload}.{signature}",
        "RS256 from another key pair": jwt.encode(
            claims, private_pem.decode(), algorithm="RS256", headers={"kid": kid}
        ),
        # The classic confusion: HMAC keyed with a public key the server trusts.
        "HS256 keyed with our public key (raw)": _hmac_token(
            {"alg": "HS256", "typ": "JWT", "kid": kid}, claims, public_raw
        ),
        "HS256 keyed with our public key (PEM)": _hmac_token(
            {"alg": "HS256", "typ": "JWT", "kid": kid}, claims, public_pem
        ),
        "empty key": _hmac_token({"alg": "HS256", "typ": "JWT", "kid": kid}, claims, b""),
        "kid and jku pointing elsewhere": jwt.encode(
            claims,
            attacker,
            algorithm="EdDSA",
            headers={"kid": "../../dev/null", "jku": "http://127.0.0.1:1/jwks.json"},
        ),
        "expired": issue_token(
            settings,
            username="office",
            role=Role.office_admin,
            unit_code=None,
            now=now - timedelta(days=1),
            ttl=timedelta(hours=1),
        ),
        **{
            name: _our_key(settings, forged)
            for name, forged in {
                "not yet valid": _claims(settings, nbf=int((now + timedelta(hours=1)).timestamp())),
                "wrong audience": _claims(settings, aud="another-system"),
                "audience list without ours": _claims(settings, aud=["a", "b"]),
                "wrong issuer": _claims(settings, iss="https://evil.example"),
                "no issuer": _claims(settings, iss=...),
                "no subject": _claims(settings, sub=...),
                "no expiry": _claims(settings, exp=...),
                "unknown role": _claims(settings, role="superuser"),
            }.items()
        },
        "tampered payload": f"{header}.{_part(escalated)}.{signature}",
        "signature stripped": f"{header}.{payload}.",
        "signature of another token": f"{header}.{payload}.{_b64(b'x' * 64)}",
        "two dots only": "..",
        "header not json": f"{_b64(b'{not json')}.{payload}.{signature}",
    }


def _our_key(settings: Settings, claims: dict[str, object]) -> str:
    """Signed with the real person-issuer key: only the claims are wrong."""
    signing = settings.key_ring.signing
    assert signing is not None
    return _signed(claims, signing, settings.jwt_person_issuer)


@pytest.mark.parametrize("service", sorted(PROBES))
async def test_every_service_refuses_every_bad_token(
    service: str,
    settings: Settings,
    tasks_client: httpx.AsyncClient,
    evaluation_client: httpx.AsyncClient,
    hotline_client: httpx.AsyncClient,
) -> None:
    client = {"tasks": tasks_client, "evaluation": evaluation_client, "hotline": hotline_client}[
        service
    ]
    path = PROBES[service]
    good = issue_token(settings, username="office", role=Role.office_admin, unit_code=None)
    sane = await client.get(path, headers={"Authorization": f"Bearer {good}"})
    assert sane.status_code != 401, sane.text  # the probe itself accepts a good token
    for name, token in bad_tokens(settings).items():
        response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (name, response.text)
        assert response.headers["content-type"] == "application/problem+json", name
        assert response.headers["www-authenticate"] == "Bearer", name
