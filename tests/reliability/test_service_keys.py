"""Issue #23, finding 9, on the real processes: each service signs with a key only it holds
(Ed25519), every service trusts reform_tasks' key for people's tokens and the others' keys for
`service` tokens only. A compromised evaluation or hotline_ingest key mints no office token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt

from shared.auth import hash_password, issue_token
from shared.models import Role
from shared.signing_keys import private_key
from tests.reliability.conftest import execute
from tests.reliability.processes import SIGNING_KEYS, Services, signer

READS = {
    "reform_tasks": "/api/auth/me",
    "evaluation": "/api/evaluation/v1/scores",
    "hotline_ingest": "/api/hotline/v1/work-orders",
}


def _forged_office_token(key_name: str) -> str:
    """What an attacker holding `key_name`'s private key would sign."""
    settings = signer()
    now = datetime.now(UTC)
    claims = {
        "sub": "intruder",
        "role": Role.office_admin.value,
        "unit": None,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    key = private_key(SIGNING_KEYS[key_name])
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": key_name})


async def test_only_reform_tasks_key_signs_people_and_service_keys_sign_services(
    fresh_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = fresh_database("service_keys")
    digest = hash_password("keys-test-password")
    await execute(
        url,
        "INSERT INTO platform.users (username, display_name, password_hash, role) "
        f"VALUES ('keys', '密钥', '{digest}', 'office_admin')",
    )
    services = Services(url, tmp_path / "logs")
    services.start()
    try:
        async with httpx.AsyncClient(timeout=30) as client:
            login = await client.post(
                f"{services.url('reform_tasks')}/api/auth/token",
                data={"username": "keys", "password": "keys-test-password"},
            )
            assert login.status_code == 200, login.text
            person = login.json()["access_token"]
            assert jwt.get_unverified_header(person) == {
                "alg": "EdDSA",
                "kid": "reform_tasks",
                "typ": "JWT",
            }

            async def status(service: str, path: str, token: str, method: str = "GET") -> int:
                response = await client.request(
                    method,
                    services.url(service) + path,
                    headers={"Authorization": f"Bearer {token}"},
                )
                return response.status_code

            for service, path in READS.items():
                assert await status(service, path, person) == 200, service
                for stolen in ("evaluation", "hotline_ingest", "scheduler"):
                    forged = _forged_office_token(stolen)
                    assert await status(service, path, forged) == 401, (service, stolen)

            sweep = "/api/hotline/v1/sweeps/overdue"
            for caller in ("evaluation", "scheduler", "reform_tasks"):
                token = issue_token(
                    signer(caller), username=f"service:{caller}", role=Role.service, unit_code=None
                )
                assert await status("hotline_ingest", sweep, token, "POST") == 200, caller
    finally:
        services.stop()
