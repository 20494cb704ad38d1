"""Token attacks against every service (one signing module, so each must refuse the same way):
`alg: none` in any spelling, HS/RS confusion, other keys, expired and not-yet-valid tokens, wrong
audience or issuer, a tampered payload, a stripped signature — all 401 problem+json."""

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


def bad_tokens(settings: Settings) -> dict[str, str]:
    secret = settings.jwt_secret.encode()
    claims = _claims(settings)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    good = issue_token(settings, username="office", role=Role.office_admin, unit_code=None)
    header, payload, signature = good.split(".")
    escalated = json.loads(base64.urlsafe_b64decode(payload + "=="))
    escalated.update(role="office_admin", sub="intruder")
    now = datetime.now(UTC)
    return {
        **{
            f"alg {alg}": f"{_part({'alg': alg, 'typ': 'JWT'})}.{_part(claims)}."
            for alg in ("none", "None", "NONE", "nOnE")
        },
        "alg none with a signature": f"{_part({'alg': 'none'})}.{_part(claims)}.{signature}",
        "RS256 from another key pair": jwt.encode(claims, private_pem.decode(), algorithm="RS256"),
        # The classic confusion: the attacker HMACs with a public key the server might trust.
        "HS256 keyed with an RSA public key": _hmac_token(
            {"alg": "HS256", "typ": "JWT"}, claims, public_pem
        ),
        "RS256 header over our HMAC": _hmac_token({"alg": "RS256", "typ": "JWT"}, claims, secret),
        "HS512": jwt.encode(claims, settings.jwt_secret, algorithm="HS512"),
        "empty key": _hmac_token({"alg": "HS256", "typ": "JWT"}, claims, b""),
        "kid and jku pointing elsewhere": jwt.encode(
            claims,
            "attacker-secret-" * 4,
            algorithm="HS256",
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
        "not yet valid": jwt.encode(
            _claims(settings, nbf=int((now + timedelta(hours=1)).timestamp())),
            settings.jwt_secret,
            algorithm="HS256",
        ),
        "wrong audience": jwt.encode(
            _claims(settings, aud="another-system"), settings.jwt_secret, algorithm="HS256"
        ),
        "audience list without ours": jwt.encode(
            _claims(settings, aud=["a", "b"]), settings.jwt_secret, algorithm="HS256"
        ),
        "wrong issuer": jwt.encode(
            _claims(settings, iss="https://evil.example"), settings.jwt_secret, algorithm="HS256"
        ),
        "no issuer": jwt.encode(_claims(settings, iss=...), settings.jwt_secret, "HS256"),
        "no subject": jwt.encode(_claims(settings, sub=...), settings.jwt_secret, "HS256"),
        "tampered payload": f"{header}.{_part(escalated)}.{signature}",
        "signature stripped": f"{header}.{payload}.",
        "signature of another token": f"{header}.{payload}.{_b64(b'x' * 32)}",
        "two dots only": "..",
        "header not json": f"{_b64(b'{not json')}.{payload}.{signature}",
    }


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
