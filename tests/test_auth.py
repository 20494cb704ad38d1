"""Login and token verification (shared.auth): every bad token is a 401 problem+json."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
from jose import jwt

from shared.auth import hash_password, issue_token
from shared.models import Role, UnitKind
from shared.settings import Settings
from tests.conftest import Factory


async def _login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/token", data={"username": username, "password": password})


async def test_login_returns_token_that_me_accepts(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    unit = await factory.unit("fagaiwei", name="云岭市发展和改革委员会")
    await factory.user("fagaiwei", Role.lead_unit, unit, hash_password("s3cret-pass"))

    response = await _login(tasks_client, "fagaiwei", "s3cret-pass")
    assert response.status_code == 200
    token = response.json()["access_token"]
    assert response.json()["token_type"] == "bearer"

    me = await tasks_client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json() == {
        "username": "fagaiwei",
        "display_name": "fagaiwei用户",
        "role": "lead_unit",
        "unit_code": "fagaiwei",
        "unit_name": "云岭市发展和改革委员会",
    }


async def test_wrong_password_and_unknown_user_are_401_with_same_message(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    unit = await factory.unit("shuiwu")
    await factory.user("shuiwu", Role.unit, unit, hash_password("right-password"))

    wrong = await _login(tasks_client, "shuiwu", "wrong-password")
    unknown = await _login(tasks_client, "nobody", "right-password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"] == "用户名或密码错误"


async def test_inactive_user_cannot_log_in(
    tasks_client: httpx.AsyncClient, factory: Factory
) -> None:
    unit = await factory.unit("sifa")
    user = await factory.user("sifa", Role.unit, unit, hash_password("pw-123456"))
    user.is_active = False
    await factory.session.flush()
    assert (await _login(tasks_client, "sifa", "pw-123456")).status_code == 401


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(settings: Settings, **override: object) -> dict[str, object]:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": "office",
        "role": "office_admin",
        "unit": "gaigeban",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    claims.update(override)
    return claims


async def test_bad_tokens_are_all_401(
    tasks_client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    unit = await factory.unit("gaigeban", UnitKind.office)
    await factory.user("office", Role.office_admin, unit)
    good = issue_token(settings, username="office", role=Role.office_admin, unit_code="gaigeban")
    header, _payload, signature = good.split(".")
    tampered_payload = _b64({**_claims(settings), "role": "office_admin", "sub": "someone"})

    bad_tokens = {
        "expired": issue_token(
            settings,
            username="office",
            role=Role.office_admin,
            unit_code="gaigeban",
            now=datetime.now(UTC) - timedelta(days=2),
            ttl=timedelta(hours=1),
        ),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(settings))}.",
        "other key": jwt.encode(_claims(settings), "another-secret-" * 4, algorithm="HS256"),
        "HS512": jwt.encode(_claims(settings), settings.jwt_secret, algorithm="HS512"),
        "wrong audience": jwt.encode(
            _claims(settings, aud="someone-else"), settings.jwt_secret, algorithm="HS256"
        ),
        "wrong issuer": jwt.encode(
            _claims(settings, iss="evil"), settings.jwt_secret, algorithm="HS256"
        ),
        "no expiry": jwt.encode(
            {k: v for k, v in _claims(settings).items() if k != "exp"},
            settings.jwt_secret,
            algorithm="HS256",
        ),
        "unknown role": jwt.encode(
            _claims(settings, role="superuser"), settings.jwt_secret, algorithm="HS256"
        ),
        "tampered payload": f"{header}.{tampered_payload}.{signature}",
        "garbage": "not-a-jwt",
    }
    sanity = await tasks_client.get("/api/auth/me", headers={"Authorization": f"Bearer {good}"})
    assert sanity.status_code == 200
    for name, token in bad_tokens.items():
        response = await tasks_client.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, name
        assert response.json()["code"] == "unauthorized", name
        assert response.headers["www-authenticate"] == "Bearer", name


async def test_missing_token_is_401(tasks_client: httpx.AsyncClient) -> None:
    response = await tasks_client.get("/api/tasks/v1/units")
    assert response.status_code == 401
    assert response.json()["title"] == "未登录或登录已失效"


async def test_user_token_cannot_post_internal_events(
    evaluation_client: httpx.AsyncClient, factory: Factory
) -> None:
    response = await evaluation_client.post(
        "/internal/events",
        json={
            "id": "8f14e45f-ceea-4c3a-9b8e-3f3c2f1d0a11",
            "type": "task.closed_out",
            "occurred_at": "2026-06-30T08:00:00Z",
            "data": {},
        },
        headers=factory.headers("office", Role.office_admin, "gaigeban"),
    )
    assert response.status_code == 403
